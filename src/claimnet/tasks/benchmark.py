"""``scripts/benchmark.py`` (``make bench``): claimnet against the standard Hugging Face recipe, in one process.

Training: (a) the standard recipe (:mod:`claimnet.training.recipe`), (b)
claimnet's default config, (c) claimnet with context window 1; same train
split, same weights, same epochs. Tagging (:mod:`claimnet.evaluation.speed`):
``transformers.pipeline`` on the fine-tuned export against ``ClaimTagger``
with each backend and precision; the headline is the ``auto`` path a user gets.
``model_path=`` times an existing export instead of training one.
"""

from __future__ import annotations

import logging
import os
import platform
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from claimnet.data import load_articles, load_splits
from claimnet.errors import ClaimnetError
from claimnet.evaluation.speed import cold_start, peak_rss, real_tokens, tagging
from claimnet.labels import LabelSet
from claimnet.runtime.backends import onnx_graphs, why_no_int8
from claimnet.runtime.environment import cpu_flags, cpu_has_fast_bf16, cpu_name, package_versions
from claimnet.runtime.files import write_json
from claimnet.runtime.manifest import read_manifest
from claimnet.tasks.train import train
from claimnet.training.config import validate_train_config
from claimnet.training.recipe import standard_recipe

log = logging.getLogger("claimnet.benchmark")


def machine() -> dict[str, Any]:
    flags = cpu_flags()
    info = {
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "flags": sorted(f for f in flags if f.startswith(("avx512", "amx")) or f in ("avx2", "fma")),
        "platform": platform.platform(),
        "versions": {k: v for k, v in package_versions().items()
                     if k in ("torch", "transformers", "onnxruntime", "tokenizers", "claimnet")},
    }
    import torch

    info["torch_threads"] = torch.get_num_threads()
    info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def claimnet_training(cfg, name: str, run_dir: Path, overrides: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    """(b)/(c): claimnet's own train task (fit, export, evaluate); timing is the fit alone."""
    run_cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k not in ("benchmark", "out", "quick", "quick_overrides")])
    OmegaConf.set_struct(run_cfg, False)
    for key, value in overrides.items():
        OmegaConf.update(run_cfg, key, value, merge=False)
    run_cfg.run_dir = str(run_dir)
    run_cfg.paths.output_dir = str(run_dir.parent / f"{run_dir.name}-outputs")
    result: dict[str, Any] = {"name": name}
    with peak_rss(result):
        summary = train(run_cfg)
    training = summary["training"]
    train_articles = load_splits(run_cfg.data, LabelSet.from_names(run_cfg.data.labels), ["train"])["train"]
    real = real_tokens(run_dir / "export", train_articles, run_cfg.model.context_window, run_cfg.model.max_length)
    n = sum(len(a.sentences) for a in train_articles)
    epochs = training["epochs"]
    result.update({
        "seconds": training["seconds"],
        "epochs": epochs,
        "sentences_per_s": round(n * epochs / training["seconds"], 2),
        "real_tokens_per_s": round(real * epochs / training["seconds"], 1),
        "dev_macro_f1": summary["dev"]["macro_f1"],
        "precision": training["precision"],
    })
    return result, run_dir / "export"


def apply_quick(cfg) -> None:
    """Shrink the run to seconds (``quick=true``), from the config's ``quick_overrides``."""
    from omegaconf import OmegaConf

    from claimnet.config.schema import ModelConfig

    OmegaConf.set_struct(cfg, False)
    for key, value in cfg.quick_overrides.items():
        if key == "model":  # a whole preset: the schema's defaults, then the preset's values
            cfg.model = OmegaConf.merge(OmegaConf.structured(ModelConfig), OmegaConf.load(value))
        else:
            OmegaConf.update(cfg, key, value, merge=False)


def training_runs(cfg, splits, labels: LabelSet, work: Path) -> tuple[dict[str, Any], Path]:
    """(a) the standard recipe, (b) claimnet's default, (c) context window 1; returns figures and (b)'s export."""
    log.info("Training (a): the standard recipe")
    recipe = standard_recipe(cfg, splits, labels, work)
    log.info("Training (b): claimnet default")
    default, export_dir = claimnet_training(cfg, "claimnet default (context 0)", work / "claimnet-default", {})
    runs = {"recipe": recipe, "claimnet": default}
    if cfg.benchmark.context_run:
        log.info("Training (c): claimnet, context window 1")
        runs["claimnet_context1"], _ = claimnet_training(
            cfg, "claimnet context window 1", work / "claimnet-context1",
            {"model.context_window": 1, "model.max_length": cfg.benchmark.context_max_length})
    figures = {
        "runs": runs,
        "speedup": round(default["sentences_per_s"] / recipe["sentences_per_s"], 2),
        "dev_macro_f1_delta": round(default["dev_macro_f1"] - recipe["dev_macro_f1"], 4),
    }
    return figures, export_dir


def run_benchmark(cfg) -> dict[str, Any]:
    """Everything: machine, training (a)/(b)/(c), tagging; returns the JSON report."""
    import torch

    b = cfg.benchmark
    threads = b.threads
    if threads:
        torch.set_num_threads(threads)
    work = Path(b.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    labels = validate_train_config(cfg)
    splits = load_splits(cfg.data, labels)
    report: dict[str, Any] = {"quick": bool(cfg.quick), "machine": machine(), "training": None, "tagging": {}}
    if cfg.model_path:
        from claimnet.tasks.evaluate import resolve_model_path

        export_dir = resolve_model_path(cfg.model_path)
        log.info("Timing the existing export %s (no training)", export_dir)
    else:
        report["training"], export_dir = training_runs(cfg, splits, labels, work)
    test = load_articles(cfg.data.test_path, labels.names)
    texts = [a.text for a in test[: b.tag_articles or None]]
    backends = [("onnx", "int8"), ("onnx", "fp32"), ("torch", "fp32"), ("torch", "bf16")]
    if not cpu_has_fast_bf16() and not torch.cuda.is_available():
        backends.remove(("torch", "bf16"))
    manifest = read_manifest(export_dir)
    int8_left_out = onnx_graphs(manifest)["int8"] not in manifest["files"]
    if int8_left_out:  # the export's own decision (its check, or export.int8=false): not a crash
        backends.remove(("onnx", "int8"))
        log.info("No int8 path: %s", why_no_int8(manifest))
    report["tagging"] = tagging(export_dir, texts, threads, backends, ceiling_seconds=0.05 if cfg.quick else 1.0,
                                rounds=b.tag_rounds, settle_seconds=b.settle_seconds)
    if int8_left_out:
        report["tagging"]["int8_left_out"] = why_no_int8(manifest)
    report["tagging"]["cold_start"] = cold_start(export_dir, texts[0], repeats=1 if cfg.quick else 3)
    report["export_sizes_mb"] = {
        p.relative_to(export_dir).as_posix(): round(p.stat().st_size / 1e6, 1)
        for p in sorted(export_dir.rglob("*")) if p.suffix in (".safetensors", ".onnx")
    }
    return report


def table(report: dict[str, Any]) -> str:
    lines = []
    if report["training"]:
        lines.append("training                                   s    sent/s   tokens/s  peak MB  dev F1")
    for r in (report["training"] or {"runs": {}})["runs"].values():
        lines.append(f"  {r['name'][:38]:<38} {r['seconds']:>6.0f} {r['sentences_per_s']:>9.1f} "
                     f"{r['real_tokens_per_s']:>10.0f} {r['peak_rss_mb']:>8.0f}  {r['dev_macro_f1']:.3f}")
    if report["training"]:
        lines.append(f"  speedup (b)/(a): {report['training']['speedup']}x sentences/s")
    t = report["tagging"]
    seg = t["segmentation"]
    lines.append(f"tagging {t['sentences']} sentences ({t['articles']} articles, median of {t['rounds']} alternating "
                 f"rounds); segmentation alone "
                 f"{seg['sentences_per_s']:.0f} sent/s ({seg['speedup_vs_pysbd']}x plain pysbd)")
    c = t.get("ceiling")
    if c:
        lines.append(f"ceiling ({c['threads']} threads): " + ", ".join(
            f"{p} {c['ops_per_s'][p] / 1e9:.0f} G ops/s = {c['sentences_per_s'][p]:.0f} sent/s" for p in c["ops_per_s"])
            + f" at {c['work']['ops_per_sentence'] / 1e9:.2f} G ops per sentence ({c['work']['mean_tokens']} tokens)")
    lines.append("  path             sent/s   p50 ms   p95 ms  peak MB  agreement  speedup  of ceiling")
    for name, r in t["paths"].items():
        if "error" in r:
            lines.append(f"  {name:<15} {r['error'][:60]}")
            continue
        lines.append(f"  {name:<15} {r['sentences_per_s']:>7.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
                     f"{r['peak_rss_mb']:>8.0f} {r['agreement']:>10.4f} {r.get('speedup', 1.0):>7.2f}x"
                     f" {r.get('fraction_of_ceiling') or 0:>10.1%}")
    if "int8_left_out" in t:
        lines.append(f"  no int8 path: {t['int8_left_out']}")
    if "speedup" in t:
        lines.append(f"  auto ({t['auto']}): {t['speedup']}x the pipeline, agreement {t['agreement']}")
    for name, r in t.get("cold_start", {}).items():
        lines.append(f"  cold start {name:<14} {r['seconds']:>6.2f} s to the first tagged article, "
                     f"peak RSS {r['peak_rss_mb']:.0f} MB")
    return "\n".join(lines)


def benchmark(cfg: DictConfig) -> dict[str, Any]:
    """Run the benchmark; write the JSON report to ``out`` and print a table.

    A tagging path that crashed is recorded in the report and then fails the task
    (exit 2), so a broken backend cannot pass as a benchmark result.
    """
    if cfg.quick:
        apply_quick(cfg)
    report = run_benchmark(cfg)
    write_json(cfg.out, report)
    print(table(report))
    print(f"Report: {cfg.out}")
    check_paths(report)
    return report


def check_paths(report: dict[str, Any]) -> None:
    """Raise when a tagging path crashed: its figures would be missing from the report."""
    crashed = {name: r["error"] for name, r in report["tagging"]["paths"].items() if "error" in r}
    if crashed:
        raise ClaimnetError("tagging path(s) crashed: " + "; ".join(f"{k}: {v}" for k, v in crashed.items()))
