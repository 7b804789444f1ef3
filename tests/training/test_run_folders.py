"""Run folders that cannot be shared, reused or resumed into something else (issue: reliability, runs)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

import claimnet
from claimnet.errors import ConfigError
from helpers import DATA_DIR


def test_two_processes_starting_in_the_same_second_get_two_folders(tmp_path):
    code = f"from claimnet.training.runs import run_dir_for; print(run_dir_for({str(tmp_path)!r}, None, False))"
    first, second = (subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                    timeout=120).stdout.strip() for _ in range(2))
    assert first.rsplit("-", 1)[1] != second.rsplit("-", 1)[1]  # the random suffix, whatever the clock says


def test_a_second_writer_of_a_live_run_is_refused_by_name(tmp_path):
    from filelock import FileLock

    run = tmp_path / "run"
    run.mkdir()
    with FileLock(str(run / ".lock")):
        with pytest.raises(ConfigError, match=r"is in use: another claimnet process holds its lock"):
            claimnet.train(["experiment=smoke", f"run_dir={run}", f"paths.output_dir={tmp_path / 'out'}"])
    assert sorted(p.name for p in run.iterdir()) == [".lock"]  # nothing written beside the lock


def test_a_finished_run_is_never_trained_again(trained_run, tmp_path):
    before = sorted(p.relative_to(trained_run) for p in trained_run.rglob("*"))
    for resume in ("false", "true"):
        with pytest.raises(ConfigError, match="is a finished run"):
            claimnet.train(["experiment=smoke", f"run_dir={trained_run}", f"trainer.resume={resume}"])
    assert sorted(p.relative_to(trained_run) for p in trained_run.rglob("*")) == before


@pytest.fixture
def unfinished(trained_run, tmp_path):
    """A copy of the session's run, marked failed: a run a resume may continue."""
    run = tmp_path / "run"
    shutil.copytree(trained_run, run, symlinks=True)
    (run / "status").write_text("failed: killed\n")
    return run


@pytest.mark.parametrize(("override", "named"), [
    ("trainer.learning_rate=0.5", "trainer.learning_rate"),
    (f"data.train_path={DATA_DIR / 'test.jsonl'}", "data.train_path"),
    ("model.max_length=32", "model.max_length"),
    ("seed=7", "seed"),
])
def test_a_resume_that_would_change_the_model_or_the_data_is_refused_and_touches_nothing(unfinished, override,
                                                                                           named):
    before = {p: p.stat().st_mtime_ns for p in unfinished.rglob("*")}
    with pytest.raises(ConfigError, match=rf"would continue .* with a different setup: .*{named}"):
        claimnet.train(["experiment=smoke", f"run_dir={unfinished}", "trainer.resume=true", override])
    assert {p: p.stat().st_mtime_ns for p in unfinished.rglob("*")} == before


def test_a_resume_may_change_what_cannot_change_the_result(unfinished):
    from claimnet.tasks.train import refuse_changed_resume
    from helpers import compose

    cfg = compose("train", ["experiment=smoke", f"run_dir={unfinished}", "trainer.resume=true",
                            "trainer.logging_steps=5", "evaluation.bootstrap_resamples=7", "logger=none"])
    refuse_changed_resume(unfinished, cfg)  # no error
