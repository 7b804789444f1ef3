"""A sweep's record: every trial's overrides and dev figures in one summary, failed trials included.

Hydra calls :class:`SweepSummary` (``hydra.callbacks`` in ``configs/hparams_search/``)
at the end of each trial, in the trial's own process (on a cluster node under
submitit too): the trial writes ``SWEEP/trials/N.json``, and the summary
(``SWEEP/summary.json`` and ``SWEEP/summary.md``, best dev figure first) is
rebuilt from all trial files, so an interrupted sweep still has one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from claimnet.runtime.files import write_json
from claimnet.scores import figures

TRIALS = "trials"


def optimized_value(summary: Mapping[str, Any], name: str) -> float:
    """The figure ``optimized_metric`` names, from a finished run's summary: what Hydra's sweepers maximise."""
    dev = summary.get("dev")
    found = figures(dev, "dev") if isinstance(dev, Mapping) else summary  # rank > 0 has summary.json's flat keys
    return float(found.get(name, math.nan))


def trial_record(config: DictConfig, job_return: JobReturn) -> dict[str, Any]:
    """One trial: its number, overrides, status and, when it finished, its dev figures and training time."""
    run_dir = Path(config.hydra.runtime.output_dir)
    record: dict[str, Any] = {"trial": int(config.hydra.job.num), "overrides": list(job_return.overrides or []),
                              "run_dir": str(run_dir)}
    try:
        outcome = job_return.return_value if job_return.status == JobStatus.COMPLETED else None
        error = None if job_return.status == JobStatus.COMPLETED else repr(job_return._return_value)
    except Exception as exc:  # noqa: BLE001  (the trial's own error, recorded rather than raised)
        outcome, error = None, repr(exc)
    if error is None and getattr(outcome, "error", None) is not None:  # claimnet's runner recorded why it failed
        error = str(outcome.error).splitlines()[0] if str(outcome.error) else repr(outcome.error)
    value = float(outcome) if outcome is not None and error is None else None
    metrics_file = run_dir / "eval" / "dev" / "metrics.json"
    if error is None and value is not None and not math.isnan(value) and metrics_file.exists():
        summary = json.loads((run_dir / "summary.json").read_text())
        record |= {"status": "completed", "value": value,
                   **figures(json.loads(metrics_file.read_text()), "dev"),
                   "best_checkpoint": summary["training"].get("best_checkpoint"),
                   "epochs": summary["training"].get("epochs"),
                   "train_seconds": summary["training"].get("seconds")}
    else:
        record |= {"status": "failed", "error": error or "the trial returned no figure"}
    return record


def write_sweep_summary(sweep_dir: Path, metric: str | None, swept: Sequence[str] = ()) -> dict[str, Any]:
    """Rebuild ``summary.json`` and ``summary.md`` from the trial files; returns the summary.

    ``swept`` are the searched keys: their values stay in each trial's row even when trials agree.
    """
    trials = [json.loads(p.read_text()) for p in sorted((sweep_dir / TRIALS).glob("*.json"))]
    done = sorted((t for t in trials if t["status"] == "completed"), key=lambda t: -t["value"])
    failed = sorted((t for t in trials if t["status"] != "completed"), key=lambda t: t["trial"])
    common = [o for o in trials[0]["overrides"] if o.split("=", 1)[0] not in swept
              and all(o in t["overrides"] for t in trials)] if trials else []
    summary = {"optimized_metric": metric, "direction": "maximize", "trials": len(trials),
               "completed": len(done), "failed": len(failed), "common_overrides": common,
               "best": done[0] if done else None, "ranked": done + failed}
    write_json(sweep_dir / "summary.json", summary)
    tmp = sweep_dir / ".summary.md.tmp"
    tmp.write_text(markdown_table(done + failed, metric, common), encoding="utf-8")
    tmp.replace(sweep_dir / "summary.md")
    return summary


def markdown_table(trials: Sequence[Mapping[str, Any]], metric: str | None, common: Sequence[str] = ()) -> str:
    """The trials as a Markdown table, best first; failed trials last, with their error.

    Each row shows its trial's own overrides; those every trial shares are listed once above.
    """
    labels = list(dict.fromkeys(k[len("dev_f1_"):] for t in trials for k in t if k.startswith("dev_f1_")))
    header = ["rank", "trial", metric or "value", *(f"dev F1 {label}" for label in labels), "epochs",
              "train s", "overrides"]
    shared = " ".join(f"`{o}`" for o in common) or "none"
    lines = [f"# Sweep: {metric or 'value'}, best first", "", f"Every trial: {shared}", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for rank, t in enumerate(trials, start=1):
        overrides = " ".join(f"`{o}`" for o in t["overrides"] if o not in common)
        if t["status"] == "completed":
            cells = [rank, t["trial"], f"{t['value']:.4f}", *(f"{t.get(f'dev_f1_{label}', 0):.3f}" for label in labels),
                     f"{t['epochs']:.2f}" if t.get("epochs") is not None else "",
                     f"{t['train_seconds']:.0f}" if t.get("train_seconds") is not None else "", overrides]
        else:
            cells = ["–", t["trial"], "failed", *([""] * len(labels)), "", "",
                     f"{overrides} — {str(t['error']).replace('|', '/')[:300]}"]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def swept_keys(config: DictConfig) -> list[str]:
    """The keys the sweeper searches (its ``params``)."""
    params = OmegaConf.select(config, "hydra.sweeper.params")
    return list(params) if params else []


class SweepSummary(Callback):
    """Hydra callback: record each trial as it ends, and the whole sweep when it ends."""

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        record = trial_record(config, job_return)
        write_json(sweep_dir / TRIALS / f"{record['trial']}.json", record)
        write_sweep_summary(sweep_dir, OmegaConf.select(config, "optimized_metric"), swept_keys(config))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if (sweep_dir / TRIALS).is_dir():
            summary = write_sweep_summary(sweep_dir, OmegaConf.select(config, "optimized_metric"), swept_keys(config))
            print(f"Sweep: {summary['completed']} trials completed, {summary['failed']} failed; "
                  f"{sweep_dir / 'summary.md'}", flush=True)
