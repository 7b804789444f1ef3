"""``scripts/export.py``: re-export a run's best checkpoint (``make export ARGS="run_dir=..."``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from claimnet.config.checks import check_config
from claimnet.config.schema import ExportJob
from claimnet.data import label_counts, load_splits
from claimnet.errors import ModelLoadError
from claimnet.labels import LabelSet
from claimnet.tasks.train import print_outcome, write_summary

log = logging.getLogger("claimnet")


def export(cfg: DictConfig) -> dict[str, Any]:
    """Export the best checkpoint of ``run_dir`` with this call's export and evaluation settings."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from claimnet.evaluation.baselines import Baselines
    from claimnet.tasks.finish import finish_export
    from claimnet.training.trainer import last_checkpoint

    check_config(cfg, ExportJob)
    run_dir = Path(cfg.run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.exists():
        raise ModelLoadError(f"{run_dir}: not a training run folder (no config.yaml); pass run_dir=PATH")
    run_cfg = OmegaConf.load(config_path)
    if OmegaConf.select(run_cfg, "model.kind") == "article":
        raise ModelLoadError(f"{run_dir}: an article-model run; article training and export were retired (round 3). "
                             "Its export still loads and tags; re-exporting it needs the claimnet that trained it")
    last = last_checkpoint(run_dir / "checkpoints")
    if last is None:
        raise ModelLoadError(f"{run_dir / 'checkpoints'}: no checkpoint to export")
    best = json.loads((Path(last) / "trainer_state.json").read_text()).get("best_model_checkpoint") or last
    best = run_dir / "checkpoints" / Path(best).name
    log.info("Exporting %s", best)
    model = AutoModelForSequenceClassification.from_pretrained(str(best))
    tokenizer = AutoTokenizer.from_pretrained(str(best))
    labels = LabelSet.from_names(run_cfg.data.labels)
    splits = load_splits(run_cfg.data, labels)
    run_cfg.evaluation = cfg.evaluation  # this call's settings, not the run's
    run_cfg.export = cfg.export
    summary_path = run_dir / "summary.json"
    training = json.loads(summary_path.read_text())["training"] if summary_path.exists() else {}
    baselines = Baselines(splits["train"], labels, run_cfg.seed) if cfg.evaluation.baselines else None
    exported = finish_export(model, tokenizer, run_dir, run_cfg, labels, splits, label_counts(splits["train"]),
                            training, baselines)
    summary = write_summary(run_dir, training, exported)
    print_outcome(run_dir, summary)
    return summary
