"""Fault injection: a run killed in each phase resumes to a finished run, and `claimnet tag` then works.

Each kill is deterministic (``os._exit`` from inside the phase, as SIGKILL would leave it: no clean-up,
no exception handlers): during training, while a checkpoint is being written, during the export, during
the evaluation. After each, ``trainer.resume=true`` finishes the run, ``outputs/latest`` points at it,
and ``claimnet tag`` with the default model tags.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

KILLS = {
    # phase: (object to patch, attribute, which call dies)
    "training": ("transformers.Trainer", "training_step", 3),
    "checkpoint save": ("transformers.Trainer", "_save_optimizer_and_scheduler", 2),
    "export": ("claimnet.exporters.onnx", "export_onnx", 1),
    "evaluation": ("claimnet.evaluation.scoring", "write_report", 1),
}
CHILD = """
import importlib, os, sys
target, attribute, nth, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
module_name, _, class_name = target.rpartition(".") if target.startswith("transformers.") else (target, "", "")
owner = getattr(importlib.import_module(module_name), class_name) if class_name else importlib.import_module(target)
original, calls = getattr(owner, attribute), [0]
def dying(*args, **kwargs):
    calls[0] += 1
    if calls[0] == nth:
        os._exit(9)
    return original(*args, **kwargs)
setattr(owner, attribute, dying)
import claimnet
claimnet.train(overrides=["experiment=smoke", f"paths.output_dir={out}", "trainer.early_stopping_patience=0"])
"""


def child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("CLAIMNET_OUTPUT_DIR", "CLAIMNET_MODEL")}


def assert_finished_and_tagging(out, cwd) -> None:
    """``latest`` is a finished run with nothing half-made left, and ``claimnet tag`` tags with it by default."""
    run = (out / "latest").resolve()
    assert (run / "export" / "claimnet.json").is_file() and not (out / "running").exists()
    assert not (run / ".export-tmp").exists() and not (run / ".export-old").exists()
    tag = subprocess.run([sys.executable, "-m", "claimnet.cli", "tag", "-"], input=b"Police said so. It may rain.",
                         capture_output=True, cwd=cwd, env=child_env(), timeout=120)
    assert tag.returncode == 0 and len(tag.stdout.decode().splitlines()) == 2, tag.stderr


@pytest.mark.parametrize("phase", list(KILLS))
def test_a_run_killed_in_any_phase_resumes_and_the_default_model_tags(tmp_path, phase):
    out = tmp_path / "outputs"
    target, attribute, nth = KILLS[phase]
    killed = subprocess.run([sys.executable, "-c", CHILD, target, attribute, str(nth), str(out)],
                            capture_output=True, text=True, env=child_env(), timeout=600)
    assert killed.returncode == 9, killed.stderr[-2000:]
    assert (out / "running").exists() and not (out / "latest").exists()  # nothing half-made is `latest`
    assert not (out / "running" / "export").exists()
    resume = subprocess.run(
        [sys.executable, "-c", "import sys, claimnet; claimnet.train(overrides=sys.argv[1:])", "experiment=smoke",
         f"paths.output_dir={out}", "trainer.early_stopping_patience=0", "trainer.resume=true"],
        capture_output=True, text=True, env=child_env(), timeout=600)
    assert resume.returncode == 0, resume.stderr[-3000:]
    if phase == "checkpoint save":  # checkpoint-4 has weights but no optimizer or trainer state
        assert "Skipping checkpoint-4: incomplete (no trainer_state.json, optimizer.pt" in resume.stderr
    assert_finished_and_tagging(out, tmp_path)


RESUME = ["-c", "import sys, claimnet; claimnet.train(overrides=sys.argv[1:])", "experiment=smoke",
          "trainer.early_stopping_patience=0"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_a_run_killed_at_a_random_moment_resumes_and_the_default_model_tags(tmp_path, seed):
    """SIGKILL at a moment drawn from the seed (start-up, training, a checkpoint save, export or evaluation)."""
    import random
    import signal
    import time

    out = tmp_path / "outputs"
    moment = random.Random(seed).uniform(2.0, 14.0)  # a whole smoke run takes ~13 s here
    proc = subprocess.Popen([sys.executable, *RESUME, f"paths.output_dir={out}"], env=child_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(moment)
    proc.send_signal(signal.SIGKILL)
    code = proc.wait(120)
    if code == 0:  # it finished first: nothing to resume, and the model is there
        assert (out / "latest" / "export" / "claimnet.json").is_file()
    else:
        assert code == -signal.SIGKILL
        latest_before = (out / "latest").exists()
        assert not latest_before or (out / "latest" / "export" / "claimnet.json").is_file()
        if (out / "running").exists():
            resume = subprocess.run([sys.executable, *RESUME, f"paths.output_dir={out}", "trainer.resume=true"],
                                    capture_output=True, text=True, env=child_env(), timeout=600)
            assert resume.returncode == 0, f"killed at {moment:.1f} s: " + resume.stderr[-3000:]
        else:  # killed before the run had a folder: a new run is the whole remedy
            again = subprocess.run([sys.executable, *RESUME, f"paths.output_dir={out}"], capture_output=True,
                                   text=True, env=child_env(), timeout=600)
            assert again.returncode == 0, again.stderr[-3000:]
    assert_finished_and_tagging(out, tmp_path)
