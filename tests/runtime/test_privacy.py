"""Dependencies' telemetry is off once a model is loaded (Python API included), unless the user opts in."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from helpers import FIXTURES

CODE = ("import json, os\nfrom claimnet import ClaimTagger\n"
        f"ClaimTagger.load({str(FIXTURES / 'v2-sentence')!r}, backend='onnx', precision='fp32')\n"
        "print(json.dumps({k: os.environ.get(k) for k in ('ORT_DISABLE_TELEMETRY', 'HF_HUB_DISABLE_TELEMETRY')}))\n")


def run(extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if "TELEMETRY" not in k} | extra
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_loading_a_model_switches_telemetry_off():
    assert run({}) == {"ORT_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}


def test_the_user_can_turn_it_on():
    assert run({"CLAIMNET_TELEMETRY": "1"}) == {"ORT_DISABLE_TELEMETRY": None, "HF_HUB_DISABLE_TELEMETRY": None}
