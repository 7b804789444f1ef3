"""logger=mlflow: one MLflow run per training run, with parameters, per-evaluation and final figures, reports."""

from __future__ import annotations

import json

from helpers import LABELS


def test_an_mlflow_run_holds_the_parameters_the_figures_and_the_reports(tmp_path):
    from mlflow.tracking import MlflowClient

    import claimnet

    out = tmp_path / "outputs"
    claimnet.train(["experiment=smoke", "logger=mlflow", f"paths.output_dir={out}", "evaluation.baselines=false"])
    run_dir = (out / "latest").resolve()
    client = MlflowClient(f"sqlite:///{run_dir / 'mlflow.db'}")
    (experiment,) = [e for e in client.search_experiments() if e.name == "claimnet"]
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == run_dir.name
    assert (run_dir / "mlflow-run-id").read_text() == run.info.run_id

    params = run.data.params
    assert params["model.name"] == "tiny-random-bert" and params["seed"] == "42"
    assert float(params["learning_rate"]) == 1.0e-3  # TrainingArguments, from the Trainer's callback

    evaluations = client.get_metric_history(run.info.run_id, "eval_macro_f1")
    assert [m.step for m in evaluations] == [2, 4], "one dev figure per evaluation"
    metrics = json.loads((run_dir / "eval" / "test" / "metrics.json").read_text())
    assert run.data.metrics["test_macro_f1"] == metrics["macro_f1"]
    for label in LABELS:
        assert run.data.metrics[f"test_f1_{label}"] == metrics["per_label"][label]["f1"]
    assert "dev_macro_f1" in run.data.metrics and run.data.metrics["train_seconds"] > 0

    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "eval")}
    assert artifacts == {"eval/dev", "eval/test"}
    reports = {a.path for a in client.list_artifacts(run.info.run_id, "eval/test")}
    assert {"eval/test/metrics.json", "eval/test/report.html"} <= reports
    assert str(run_dir / "mlartifacts") in run.info.artifact_uri
