"""An interrupted run resumes from its last checkpoint and ends where an uninterrupted one does."""

from __future__ import annotations

import json

import numpy as np
import pytest
from transformers import TrainerCallback

from claimnet.errors import ConfigError
from claimnet.tasks.train import train
from helpers import compose


class Interrupt(TrainerCallback):
    """Stands in for Ctrl-C / a killed job: raises after the given step."""

    def __init__(self, at_step: int) -> None:
        self.at_step = at_step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.at_step:
            raise KeyboardInterrupt


def smoke(tmp_path, name, *extra):
    return compose("train", ["experiment=smoke", "trainer.max_steps=8", "trainer.eval_steps=2",
                             "trainer.early_stopping_patience=0", f"run_dir={tmp_path / name}",
                             f"paths.output_dir={tmp_path / name}-outputs", *extra])


def test_interrupted_run_resumes_to_the_same_result(tmp_path):
    whole = train(smoke(tmp_path, "whole"))

    with pytest.raises(KeyboardInterrupt):
        train(smoke(tmp_path, "cut"), callbacks=[Interrupt(at_step=5)])
    run = tmp_path / "cut"
    outputs = tmp_path / "cut-outputs"
    assert not (run / "export").exists()
    # the interrupted run is `running`; `latest` never points at a run without an export
    assert (outputs / "running").resolve() == run.resolve() and not (outputs / "latest").exists()
    resumed = train(smoke(tmp_path, "cut", "trainer.resume=true"))
    assert (outputs / "latest").resolve() == run.resolve() and not (outputs / "running").exists()

    assert resumed["training"]["resumed_from"].endswith("checkpoint-4")
    assert resumed["training"]["steps"] == whole["training"]["steps"] == 8
    assert abs(resumed["dev"]["macro_f1"] - whole["dev"]["macro_f1"]) <= 0.005
    assert abs(resumed["test"]["macro_f1"] - whole["test"]["macro_f1"]) <= 0.005
    # stronger than the F1 figures: the resumed model predicts what the uninterrupted one does
    def probabilities(name):
        lines = (tmp_path / name / "eval" / "dev" / "predictions.jsonl").read_text().splitlines()
        return [list(json.loads(line)["probabilities"].values()) for line in lines]

    np.testing.assert_allclose(probabilities("cut"), probabilities("whole"), atol=2e-5)
    from safetensors.numpy import load_file

    cut, full = (load_file(tmp_path / n / "export" / "model.safetensors") for n in ("cut", "whole"))
    assert cut.keys() == full.keys()
    for name in full:
        np.testing.assert_allclose(cut[name], full[name], atol=1e-5, err_msg=name)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["training"]["resumed_from"].endswith("checkpoint-4")


def test_resume_without_a_checkpoint_says_so(tmp_path):
    with pytest.raises(ConfigError, match="holds no checkpoint to resume from"):
        train(smoke(tmp_path, "empty", "trainer.resume=true"))


def test_resume_skips_a_half_written_checkpoint(tmp_path, caplog):
    with pytest.raises(KeyboardInterrupt):
        train(smoke(tmp_path, "half"), callbacks=[Interrupt(at_step=5)])
    newest = tmp_path / "half" / "checkpoints" / "checkpoint-4"
    (newest / "trainer_state.json").unlink()  # killed while the Trainer was writing checkpoint-4
    with caplog.at_level("WARNING"):
        resumed = train(smoke(tmp_path, "half", "trainer.resume=true"))
    assert resumed["training"]["resumed_from"].endswith("checkpoint-2")
    assert resumed["training"]["steps"] == 8
    assert "Skipping checkpoint-4: incomplete (no trainer_state.json)" in caplog.text


def test_a_leftover_of_an_interrupted_export_swap_is_recovered(tmp_path):
    from claimnet.tasks.finish import recover_export

    (tmp_path / ".export-old").mkdir()
    (tmp_path / ".export-old" / "claimnet.json").write_text("{}")
    recover_export(tmp_path)  # the crash came before the new export moved in: the old one comes back
    assert (tmp_path / "export" / "claimnet.json").is_file() and not (tmp_path / ".export-old").exists()
    (tmp_path / ".export-old").mkdir()
    recover_export(tmp_path)  # both there: the leftover goes
    assert (tmp_path / "export").is_dir() and not (tmp_path / ".export-old").exists()
