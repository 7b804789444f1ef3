"""Sweeps and clusters: Hydra's Optuna sweeper over real trials, the submitit launcher's config."""

from __future__ import annotations

import json

import pytest
from hydra.utils import instantiate

from claimnet.tasks.runner import compose_job
from helpers import run_script


def test_an_optuna_sweep_records_every_trial_best_first_and_a_failed_trial_does_not_stop_it(tmp_path):
    out = tmp_path / "outputs"
    # data.limit_articles=0 is refused by the config check: with this seed the first trial draws it.
    proc = run_script("train.py", "-m", "hparams_search=optuna", "experiment=smoke", f"paths.output_dir={out}",
                      "hydra.sweeper.n_trials=3", "hydra.sweeper.sampler.n_startup_trials=3",
                      "evaluation.baselines=false", "data.limit_articles=choice(8,0)")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (sweep,) = (out / "sweeps").iterdir()
    summary = json.loads((sweep / "summary.json").read_text())
    assert (summary["trials"], summary["completed"], summary["failed"]) == (3, 2, 1)
    assert summary["optimized_metric"] == "dev_macro_f1"
    assert "experiment=smoke" in summary["common_overrides"]

    ranked = summary["ranked"]
    done = [t for t in ranked if t["status"] == "completed"]
    assert [t["value"] for t in done] == sorted((t["value"] for t in done), reverse=True)
    assert ranked[-1]["status"] == "failed" and "data.limit_articles=0" in ranked[-1]["overrides"]
    assert "data.limit_articles must be an int in the range [1, inf]" in ranked[-1]["error"]
    for trial in done:
        dev = json.loads((sweep / str(trial["trial"]) / "eval" / "dev" / "metrics.json").read_text())
        assert trial["value"] == trial["dev_macro_f1"] == dev["macro_f1"]
        assert trial["dev_f1_hedge"] == dev["per_label"]["hedge"]["f1"]
        assert any(o.startswith("trainer.learning_rate=") for o in trial["overrides"])
        assert not any(k.startswith("test_") for k in trial), "a sweep never shows test figures"
    assert summary["best"] == done[0]

    table = (sweep / "summary.md").read_text().splitlines()
    rows = [line for line in table if line.startswith("| ") and not line.startswith("| rank")]
    assert len(rows) == 3 and rows[0].startswith("| 1 |") and "failed" in rows[-1]
    assert "optimization_results.yaml" in {p.name for p in sweep.iterdir()}


def test_the_sweep_config_searches_the_recipe_on_dev_with_a_seeded_tpe():
    cfg = compose_job("train", ["hparams_search=optuna"], keep_hydra=True, resolve_outputs=False)
    sweeper = cfg.hydra.sweeper
    assert sweeper._target_.endswith("OptunaSweeper") and sweeper.direction == "maximize"
    assert sweeper.sampler._target_ == "optuna.samplers.TPESampler" and sweeper.sampler.seed == 1234
    assert set(sweeper.params) == {"trainer.learning_rate", "trainer.num_train_epochs", "trainer.class_weights",
                                   "model.context_window"}
    assert sweeper.max_failure_rate == 1.0 and cfg.optimized_metric == "dev_macro_f1"
    assert "sweep_summary" in cfg.hydra.callbacks


@pytest.mark.parametrize("overrides", [[], ["hparams_search=optuna"]])
def test_the_slurm_launcher_composes_with_its_keys_and_instantiates(overrides):
    cfg = compose_job("train", [*overrides, "hydra/launcher=slurm", "hydra.launcher.partition=gpu",
                                "hydra.launcher.gpus_per_node=4", "hydra.launcher.timeout_min=240"],
                      keep_hydra=True, resolve_outputs=False)
    launcher = cfg.hydra.launcher
    assert launcher._target_ == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert (launcher.partition, launcher.gpus_per_node, launcher.timeout_min) == ("gpu", 4, 240)
    assert launcher.submitit_folder.endswith(".submitit/%j")
    built = instantiate(launcher)  # no Slurm needed to build it
    assert type(built).__name__ == "SlurmLauncher" and built.params["partition"] == "gpu"
