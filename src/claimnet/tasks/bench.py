"""``claimnet bench``: how fast an export tags on this host, against ``transformers.pipeline`` and the host's ceiling.

Like spaCy's ``benchmark speed``: every available path (ONNX int8 and fp32,
torch fp32, and torch bf16 where the CPU has fast bf16) tags the test articles
in alternating rounds; each path's figure is its median, reported as
sentences/s, its fraction of this host's arithmetic ceiling for its precision,
its ratio to the pipeline, its agreement with the pipeline's labels and its
peak memory. The headline is the ``auto`` path a user gets. The lab's
comparisons of training recipes live in ``benchmarks/`` (not in the wheel).
"""

from __future__ import annotations

import logging
import os
import platform
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from claimnet.config.checks import check_config
from claimnet.config.schema import BenchJob
from claimnet.data import load_articles
from claimnet.errors import ClaimnetError
from claimnet.evaluation.profile import profile_lines, where_time_goes
from claimnet.evaluation.speed import cold_start, memory_per_path, tagging
from claimnet.runtime.backends import onnx_graphs, why_no_int8
from claimnet.runtime.environment import cpu_flags, cpu_has_fast_bf16, cpu_name, package_versions
from claimnet.runtime.files import write_json
from claimnet.runtime.manifest import read_manifest
from claimnet.runtime.tagger import ClaimTagger

log = logging.getLogger("claimnet.bench")


def machine() -> dict[str, Any]:
    """The host: CPU name and vector ISA, cores, platform, library versions, GPU."""
    flags = cpu_flags()
    info = {
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "flags": sorted(f for f in flags if f.startswith(("avx512", "amx")) or f in ("avx2", "fma")),
        "host_kind": "amx" if "amx_int8" in flags else "avx512" if "avx512f" in flags else "avx2",
        "platform": platform.platform(),
        "versions": {k: v for k, v in package_versions().items()
                     if k in ("torch", "transformers", "onnxruntime", "tokenizers", "claimnet")},
    }
    import torch

    info["torch_threads"] = torch.get_num_threads()
    info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def time_export(export_dir: Path, texts: list[str], *, threads: int | None, rounds: int, settle_seconds: float,
                quick: bool = False, memory_article_mb: float | None = None) -> dict[str, Any]:
    """The tagging report of one export: every path, the ceiling, the cold start, the file sizes."""
    import torch

    backends = [("onnx", "int8"), ("onnx", "fp32"), ("torch", "fp32"), ("torch", "bf16")]
    if not cpu_has_fast_bf16() and not torch.cuda.is_available():
        backends.remove(("torch", "bf16"))
    manifest = read_manifest(export_dir)
    int8_left_out = onnx_graphs(manifest)["int8"] not in manifest["files"]
    if int8_left_out:  # the export's own decision (its check, or export.int8=false): not a crash
        backends.remove(("onnx", "int8"))
        log.info("No int8 path: %s", why_no_int8(manifest))
    report = tagging(export_dir, texts, threads, backends, ceiling_seconds=0.05 if quick else 1.0,
                     rounds=rounds, settle_seconds=settle_seconds)
    if int8_left_out:
        report["int8_left_out"] = why_no_int8(manifest)
    shipped = ClaimTagger.load(export_dir, num_threads=threads)  # the path a user gets: where its time goes
    report["profile"] = where_time_goes(shipped, texts, report.get("ceiling"), rounds=rounds)
    report["cold_start"] = cold_start(export_dir, texts[0], repeats=1 if quick else 3)
    report["memory"] = memory_per_path(export_dir, texts, backends, memory_article_mb)
    report["export_sizes_mb"] = {p.relative_to(export_dir).as_posix(): round(p.stat().st_size / 1e6, 1)
                                 for p in sorted(export_dir.rglob("*")) if p.suffix in (".safetensors", ".onnx")}
    return report


def tagging_table(t: dict[str, Any]) -> list[str]:
    """The tagging report as lines for a terminal."""
    seg = t["segmentation"]
    lines = [f"tagging {t['sentences']} sentences ({t['articles']} articles, median of {t['rounds']} alternating "
             f"rounds); segmentation alone {seg['sentences_per_s']:.0f} sent/s ({seg['speedup_vs_pysbd']}x plain "
             "pysbd)"]
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
    if "profile" in t:
        lines += profile_lines(t["profile"])
    for name, row in t.get("memory", {}).items():
        lines.append(f"  memory {name:<12} " + "; ".join(
            f"{what}: {r['error']}" if "error" in r else f"{what}: peak RSS {r['peak_rss_mb']:.0f} MB "
            f"({r['sentences']} sentences, {r['seconds']:.0f} s)" for what, r in row.items())
            + " (a fresh process per path)")
    for name, r in t.get("cold_start", {}).items():
        lines.append(f"  cold start {name:<14} {r['seconds']:>6.2f} s to the first tagged article, "
                     f"peak RSS {r['peak_rss_mb']:.0f} MB")
    return lines


def check_paths(report: dict[str, Any]) -> None:
    """Raise when a tagging path crashed: its figures would be missing from the report."""
    crashed = {name: r["error"] for name, r in report["tagging"]["paths"].items() if "error" in r}
    if crashed:
        raise ClaimnetError("tagging path(s) crashed: " + "; ".join(f"{k}: {v}" for k, v in crashed.items()))


def bench(cfg: DictConfig) -> dict[str, Any]:
    """Time ``model_path`` on ``data_path``; write the JSON report to ``out`` and print a table.

    A tagging path that crashed is recorded in the report and then fails the job
    (exit 2), so a broken backend cannot pass as a benchmark result.
    """
    check_config(cfg, BenchJob)
    from claimnet.runtime.packages import resolve_model

    if cfg.threads:
        import torch

        torch.set_num_threads(cfg.threads)
    export_dir = resolve_model(cfg.model_path)
    manifest = read_manifest(export_dir)
    texts = [a.text for a in load_articles(cfg.data_path, manifest["labels"])[: cfg.articles or None]]
    report = {"machine": machine(), "model_path": str(export_dir),
              "tagging": time_export(export_dir, texts, threads=cfg.threads, rounds=cfg.rounds,
                                     settle_seconds=cfg.settle_seconds, quick=cfg.quick,
                                     memory_article_mb=cfg.memory_article_mb)}
    write_json(cfg.out, report)
    print("\n".join(tagging_table(report["tagging"])))
    print(f"Report: {cfg.out}")
    check_paths(report)
    return report
