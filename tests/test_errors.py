"""The edge: what ends a command decides its exit code, in one place (claimnet.errors.report)."""

from __future__ import annotations

import errno

import pytest

from claimnet.errors import ConfigError, GateFailure, ModelLoadError, report


@pytest.mark.parametrize(("exc", "code", "shown"), [
    (ConfigError("trainer.x is not a claimnet setting"), 2, "prog: error: trainer.x is not a claimnet setting"),
    (ModelLoadError("no export"), 2, "prog: error: no export"),
    (GateFailure("gates.macro_f1: 0.7 < 0.8"), 1, "gates.macro_f1: 0.7 < 0.8"),
    (OSError(errno.ENOSPC, "No space left on device", "/tmp/out.json"), 2,
     "prog: error: /tmp/out.json: No space left on device"),
    (KeyboardInterrupt(), 130, "prog: interrupted"),
])
def test_each_error_ends_in_one_line_and_its_code(capsys, monkeypatch, exc, code, shown):
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    assert report(exc, "prog") == code
    err = capsys.readouterr().err
    assert err.strip() == shown and "Traceback" not in err


def test_a_bug_exits_70_with_its_traceback(capsys):
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError as exc:
        assert report(exc, "prog") == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err and "a bug, exit 70" in err


def test_a_job_that_raises_a_bug_exits_70_through_the_runner(monkeypatch, tmp_path, capsys):
    from claimnet.tasks import runner
    from claimnet.tasks.registry import Job

    def broken(cfg):
        raise RuntimeError("boom")

    monkeypatch.setattr(Job, "function", lambda self: broken)
    assert runner.run_job("export", [f"run_dir={tmp_path}"], "claimnet export") == 70
    assert "RuntimeError: boom" in capsys.readouterr().err

    def interrupted(cfg):
        raise KeyboardInterrupt

    monkeypatch.setattr(Job, "function", lambda self: interrupted)
    assert runner.run_job("export", [f"run_dir={tmp_path}"], "claimnet export") == 130
