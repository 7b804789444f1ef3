"""MLflow tracking around one training run (``logger=mlflow``).

transformers' own ``MLflowCallback`` logs the TrainingArguments and every
training and evaluation log line; this module opens the run (in the run
folder's store unless a tracking URI is given), adds claimnet's own settings as
parameters, and closes it with the final dev and test figures and the reports.
A resumed run continues the same MLflow run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from claimnet.errors import ConfigError
from claimnet.scores import figures

RUN_ID_FILE = "mlflow-run-id"
# claimnet's settings logged as parameters (TrainingArguments come from the Trainer's callback).
PARAM_KEYS = ("seed", "model.name", "model.context_window", "model.max_length", "data.name", "data.version",
              "trainer.class_weights", "trainer.precision", "trainer.early_stopping_patience",
              "trainer.group_by_length")


def tracking_uri(settings: Mapping[str, Any], run_dir: Path) -> str:
    """The configured URI, or a SQLite store inside the run folder (MLflow 3 retired its plain-file store)."""
    return settings.get("tracking_uri") or f"sqlite:///{(run_dir / 'mlflow.db').resolve()}"


class MlflowRun:
    """One MLflow run for one claimnet run: :meth:`start` before training, :meth:`finish` after the export."""

    def __init__(self, settings: Mapping[str, Any], run_dir: Path) -> None:
        try:
            import mlflow
        except ImportError:
            raise ConfigError("logger=mlflow needs MLflow: install claimnet's scale extra (pip install "
                              "\"/path/to/claimnet[scale]\"), or choose logger=tensorboard or logger=none") from None

        self.mlflow = mlflow
        self.run_dir = run_dir
        self.uri = tracking_uri(settings, run_dir)
        self.experiment = settings.get("experiment_name") or "claimnet"
        self.run_name = settings.get("run_name") or run_dir.name

    def start(self, cfg: Mapping[str, Any]) -> str:
        """Open (or reopen, when resuming) the run and log claimnet's parameters; returns the run id."""
        from omegaconf import OmegaConf

        mlflow = self.mlflow
        mlflow.set_tracking_uri(self.uri)
        found = mlflow.get_experiment_by_name(self.experiment)
        if found is not None:
            experiment_id = found.experiment_id
        else:
            local = self.uri.startswith("sqlite:///") and not OmegaConf.select(cfg, "logger.mlflow.tracking_uri")
            artifacts = (self.run_dir / "mlartifacts").resolve().as_uri() if local else None
            experiment_id = mlflow.create_experiment(self.experiment, artifact_location=artifacts)
        saved = self.run_dir / RUN_ID_FILE
        run = mlflow.start_run(run_id=saved.read_text().strip() if saved.exists() else None,
                               experiment_id=experiment_id, run_name=None if saved.exists() else self.run_name)
        saved.write_text(run.info.run_id)
        if not run.data.params:
            mlflow.log_params({key: str(OmegaConf.select(cfg, key)) for key in PARAM_KEYS})
        return run.info.run_id

    def callback(self):
        """The Trainer's MLflow integration, logging into the run :meth:`start` opened."""
        from transformers.integrations import MLflowCallback

        return MLflowCallback()

    def finish(self, summary: Mapping[str, Any] | None) -> None:
        """Log the final figures and the report folders (when the run finished), then close the run."""
        mlflow = self.mlflow
        if summary is None:
            mlflow.end_run(status="FAILED")
            return
        mlflow.log_metrics(figures(summary["dev"], "dev") | figures(summary["test"], "test")
                           | {"train_seconds": float(summary["training"]["seconds"])})
        mlflow.log_artifacts(str(self.run_dir / "eval"), artifact_path="eval")
        mlflow.log_artifact(str(Path(summary["export_dir"]) / "README.md"), artifact_path="export")
        mlflow.end_run()


@contextmanager
def mlflow_run(settings: Mapping[str, Any] | None, run_dir: Path, cfg: Mapping[str, Any]) -> Iterator[MlflowRun | None]:
    """An open :class:`MlflowRun` for the block (``None`` without settings); a failure closes it as FAILED."""
    if not settings:
        yield None
        return
    run = MlflowRun(settings, run_dir)
    run.start(cfg)
    try:
        yield run
    except BaseException:
        run.finish(None)
        raise
