"""keep_onednn_primitives: a script's process keeps every oneDNN kernel it builds; a user's own size wins."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")

from claimnet.training.device import ONEDNN_PRIMITIVE_CACHE, keep_onednn_primitives  # noqa: E402

# 1,100 fp32 GELUs of distinct shapes, twice (torch runs a CPU GELU as a oneDNN kernel, whatever
# the CPU's bf16 support): with oneDNN's default cache (1,024) the second round builds every kernel
# again; with claimnet's it finds them all.
ROUNDS = """
import os, sys
{setup}
import torch
for _ in range(2):
    for n in range(1, 1101):
        torch.nn.functional.gelu(torch.randn(n, 64))
    print("ROUND", flush=True)
"""


def builds_per_round(setup: str) -> list[int]:
    env = {k: v for k, v in os.environ.items() if "PRIMITIVE_CACHE" not in k} | {"ONEDNN_VERBOSE": "all"}
    out = subprocess.run([sys.executable, "-c", ROUNDS.format(setup=setup)], env=env, capture_output=True,
                         text=True, check=True).stdout
    return [chunk.count("create:cache_miss") for chunk in out.split("ROUND")[:2]]


@pytest.mark.parametrize("var", ["ONEDNN_PRIMITIVE_CACHE_CAPACITY", "DNNL_PRIMITIVE_CACHE_CAPACITY"])
def test_a_users_own_size_is_kept(monkeypatch, var):
    monkeypatch.delenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", raising=False)
    monkeypatch.delenv("DNNL_PRIMITIVE_CACHE_CAPACITY", raising=False)
    monkeypatch.setenv(var, "64")
    keep_onednn_primitives()
    assert os.environ[var] == "64"
    assert "ONEDNN_PRIMITIVE_CACHE_CAPACITY" not in os.environ or var == "ONEDNN_PRIMITIVE_CACHE_CAPACITY"


def test_the_entry_points_set_up_sizes_the_cache_before_torch_runs():
    default_first, default_second = builds_per_round("")
    assert default_first >= 1000 and default_second >= 1000  # evicted: built again
    first, second = builds_per_round("from claimnet.tasks.setup import set_up; set_up()")
    assert first >= 1000 and second == 0
    assert ONEDNN_PRIMITIVE_CACHE > 2 * 1100
