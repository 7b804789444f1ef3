"""Speed benchmark: claimnet against the standard Hugging Face recipe, in one process.

Training: (a) the standard recipe (``AutoModelForSequenceClassification`` +
``Trainer``, sentence only, padded to 128, fp32, batch 32, lr 2e-5), (b)
claimnet's default config, (c) claimnet with context window 1; same train
split, same weights, same epochs. Tagging: ``transformers.pipeline`` on the
fine-tuned export against ``ClaimTagger`` with each backend and precision.
Peak RSS is sampled per phase from ``/proc/self/status``.
"""

from __future__ import annotations

import logging
import os
import platform
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("claimnet.benchmark")


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def peak_rss(result: dict[str, Any], interval: float = 0.05):
    """Record the peak resident memory (MB) seen while the block runs into ``result['peak_rss_mb']``."""
    peak = [rss_mb()]
    stop = threading.Event()

    def sample():
        while not stop.wait(interval):
            peak[0] = max(peak[0], rss_mb())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        result["peak_rss_mb"] = round(max(peak[0], rss_mb()), 1)


def machine() -> dict[str, Any]:
    from claimnet.precision import cpu_flags
    from claimnet.runs import cpu_name, versions

    flags = cpu_flags()
    info = {
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "flags": sorted(f for f in flags if f.startswith(("avx512", "amx")) or f in ("avx2", "fma")),
        "platform": platform.platform(),
        "versions": {k: v for k, v in versions().items() if k in ("torch", "transformers", "onnxruntime", "tokenizers", "claimnet")},
    }
    import torch

    info["torch_threads"] = torch.get_num_threads()
    info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def standard_recipe(cfg, splits, labels: Sequence[str], out_dir: Path) -> dict[str, Any]:
    """(a) What a user writes by hand from the Hugging Face docs: pad to 128, fp32, batch 32, lr 2e-5."""
    from datasets import Dataset
    from sklearn.metrics import f1_score
    from transformers import Trainer, TrainingArguments, set_seed

    from claimnet.modeling import build_model, build_tokenizer, resolve_source

    b = cfg.benchmark
    set_seed(cfg.seed)
    source = resolve_source(cfg.model.source, cfg.model.sha256)
    tokenizer = build_tokenizer(source)
    label2id = {l: i for i, l in enumerate(labels)}

    def dataset(articles):
        texts = [t for a in articles for t in a.sentence_texts()]
        enc = tokenizer(texts, padding="max_length", truncation=True, max_length=b.recipe_max_length)
        real = sum(int(sum(m)) for m in enc["attention_mask"])
        return Dataset.from_dict({**enc, "labels": [label2id[s.label] for a in articles for s in a.sentences]}), real

    train_ds, real_tokens = dataset(splits["train"])
    dev_ds, _ = dataset(splits["dev"])
    model = build_model(source, labels, dict(cfg.model.random_init) if cfg.model.random_init else None)
    args = TrainingArguments(
        output_dir=str(out_dir / "recipe"), num_train_epochs=cfg.trainer.epochs, max_steps=cfg.trainer.max_steps,
        per_device_train_batch_size=b.recipe_batch_size, per_device_eval_batch_size=64,
        learning_rate=b.recipe_learning_rate, save_strategy="no", report_to="none", seed=cfg.seed,
        use_cpu=True, disable_tqdm=True, logging_steps=50,
    )
    trainer = Trainer(model=model, args=args, train_dataset=train_ds)
    result: dict[str, Any] = {"name": "standard recipe (pad 128, fp32, batch 32, lr 2e-5)"}
    with peak_rss(result):
        started = time.perf_counter()
        train_out = trainer.train()
        seconds = time.perf_counter() - started
    preds = trainer.predict(dev_ds)
    epochs = train_out.metrics.get("epoch", cfg.trainer.epochs)
    n = len(train_ds)
    result.update({
        "seconds": round(seconds, 2),
        "epochs": epochs,
        "sentences_per_s": round(n * epochs / seconds, 2),
        "real_tokens_per_s": round(real_tokens * epochs / seconds, 1),
        "dev_macro_f1": float(f1_score(preds.label_ids, preds.predictions.argmax(-1), average="macro")),
    })
    return result


def claimnet_training(cfg, name: str, run_dir: Path, overrides: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    """(b)/(c): claimnet's own train task (fit, export, evaluate); timing is the fit alone."""
    from omegaconf import OmegaConf

    from claimnet import tasks
    from claimnet.data import load_articles

    run_cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k not in ("benchmark", "out", "quick", "quick_overrides")])
    OmegaConf.set_struct(run_cfg, False)
    for key, value in overrides.items():
        OmegaConf.update(run_cfg, key, value, merge=False)
    run_cfg.run_dir = str(run_dir)
    run_cfg.paths.output_dir = str(run_dir.parent / f"{run_dir.name}-outputs")
    result: dict[str, Any] = {"name": name}
    with peak_rss(result):
        summary = tasks.train(run_cfg)
    training = summary["training"]
    train_articles = load_articles(run_cfg.data.train_path, run_cfg.data.labels)
    if run_cfg.data.limit_articles:
        train_articles = train_articles[: run_cfg.data.limit_articles]
    real_tokens = _real_tokens(run_dir / "export", train_articles, run_cfg.model.context_window, run_cfg.model.max_length)
    n = sum(len(a.sentences) for a in train_articles)
    epochs = training["epochs"]
    result.update({
        "seconds": training["seconds"],
        "epochs": epochs,
        "sentences_per_s": round(n * epochs / training["seconds"], 2),
        "real_tokens_per_s": round(real_tokens * epochs / training["seconds"], 1),
        "dev_macro_f1": summary["dev"]["macro_f1"],
        "precision": training["precision"],
    })
    return result, run_dir / "export"


def _real_tokens(export_dir: Path, articles, window: int, max_length: int) -> int:
    from claimnet.features import SentenceEncoder, context_pairs

    encoder = SentenceEncoder.from_dir(export_dir, max_length)
    return sum(len(e["input_ids"]) for a in articles for e in encoder.encode(context_pairs(a.sentence_texts(), window)))


def _latencies(fn: Callable[[str], Any], texts: Sequence[str]) -> dict[str, float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - started)
    return {"p50_ms": round(float(np.percentile(times, 50)) * 1000, 2),
            "p95_ms": round(float(np.percentile(times, 95)) * 1000, 2)}


def tagging(export_dir: Path, texts: Sequence[str], threads: int | None, backends: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Sentences/s, latency and agreement of each tagging path on raw article texts."""
    from transformers import pipeline

    from claimnet.inference import ClaimTagger
    from claimnet.segmentation import segment

    started = time.perf_counter()
    spans = [segment(t) for t in texts]
    seg_seconds = time.perf_counter() - started
    n = sum(len(s) for s in spans)
    results: dict[str, Any] = {
        "articles": len(texts), "sentences": n,
        "segmentation": {"sentences_per_s": round(n / seg_seconds, 1), "seconds": round(seg_seconds, 3)},
        "paths": {},
    }
    manifest_window = ClaimTagger.load(export_dir, backend="onnx", precision="fp32").context_window

    # (a) transformers.pipeline, fed what claimnet feeds the model
    entry: dict[str, Any] = {}
    with peak_rss(entry):
        clf = pipeline("text-classification", model=str(export_dir), device=-1)

        def pipeline_tag(text_list):
            from claimnet.features import context_pairs

            inputs = []
            for text in text_list:
                sents = [text[s:e] for s, e in segment(text)]
                for target, context in context_pairs(sents, manifest_window):
                    inputs.append({"text": target, "text_pair": context} if context else target)
            return [r["label"] for r in clf(inputs, batch_size=32, truncation=True)]

        pipeline_tag(texts[:1])  # warm-up
        started = time.perf_counter()
        reference = pipeline_tag(texts)
        seconds = time.perf_counter() - started
    entry.update({"sentences_per_s": round(n / seconds, 1), **_latencies(lambda t: pipeline_tag([t]), texts),
                  "agreement": 1.0})
    results["paths"]["pipeline"] = entry
    base = entry["sentences_per_s"]
    path_labels: dict[str, list[str]] = {}

    for backend, precision in backends:
        entry = {}
        try:
            with peak_rss(entry):
                tagger = ClaimTagger.load(export_dir, backend=backend, precision=precision, num_threads=threads)
                tagger.tag_many(texts[:1])  # warm-up
                started = time.perf_counter()
                tagged = tagger.tag_many(texts)
                seconds = time.perf_counter() - started
        except Exception as exc:  # a backend this machine lacks is reported, not fatal
            results["paths"][f"{backend}-{precision}"] = {"error": str(exc)}
            continue
        labels = [s.label for article in tagged for s in article]
        path_labels[tagger.backend_name] = labels
        entry.update({
            "sentences_per_s": round(n / seconds, 1),
            **_latencies(tagger.tag, texts),
            "agreement": round(float(np.mean([a == b for a, b in zip(labels, reference)])), 4),
        })
        entry["speedup"] = round(entry["sentences_per_s"] / base, 2)
        results["paths"][tagger.backend_name] = entry
    if {"onnx-int8", "onnx-fp32"} <= set(path_labels):
        pairs = zip(path_labels["onnx-int8"], path_labels["onnx-fp32"])
        results["int8_agreement_with_onnx_fp32"] = round(float(np.mean([a == b for a, b in pairs])), 4)
    eligible = {k: v for k, v in results["paths"].items() if k != "pipeline" and v.get("agreement", 0) >= 0.97}
    if eligible:
        best = max(eligible, key=lambda k: eligible[k]["sentences_per_s"])
        results.update({"best": best, "speedup": eligible[best]["speedup"], "agreement": eligible[best]["agreement"]})
    return results


def apply_quick(cfg) -> None:
    """Shrink the run to seconds (``quick=true``), from the config's ``quick_overrides``."""
    from omegaconf import OmegaConf

    OmegaConf.set_struct(cfg, False)
    for key, value in cfg.quick_overrides.items():
        if key == "model":
            cfg.model = OmegaConf.load(value)
        else:
            OmegaConf.update(cfg, key, value, merge=False)


COLD_START = {
    "claimnet_onnx": (
        "from claimnet import ClaimTagger\n"
        "ClaimTagger.load(EXPORT).tag(TEXT)\n"
    ),
    "pipeline": (
        "from transformers import pipeline\n"
        "from claimnet.segmentation import segment\n"
        "clf = pipeline('text-classification', model=EXPORT)\n"
        "clf([TEXT[s:e] for s, e in segment(TEXT)], batch_size=32)\n"
    ),
}
# The child reports its own high-water mark: a forked child's ru_maxrss counts the parent's pages.
_REPORT_PEAK = (
    "import pathlib\n"
    "hwm = [l for l in pathlib.Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM:')]\n"
    "print('PEAK_KB', hwm[0].split()[1] if hwm else 0)\n"
)


def cold_start(export_dir: Path, text: str, repeats: int = 3) -> dict[str, Any]:
    """Process start to first tagged article, and that process's peak RSS, for each way of loading."""
    import subprocess
    import sys

    results = {}
    for name, body in COLD_START.items():
        code = f"EXPORT = {str(export_dir)!r}\nTEXT = {text!r}\n" + body + _REPORT_PEAK
        times, peaks = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if proc.returncode != 0:
                raise RuntimeError(f"cold start of {name} failed: {proc.stderr[-500:]}")
            peaks.append(int(proc.stdout.split("PEAK_KB")[-1]) / 1024)
        results[name] = {"seconds": round(float(np.median(times)), 2), "peak_rss_mb": round(float(np.median(peaks)), 1)}
    return results


def run_benchmark(cfg) -> dict[str, Any]:
    """Everything: machine, training (a)/(b)/(c), tagging; returns the JSON report."""
    import torch

    from claimnet.data import load_articles
    from claimnet.labels import LabelSet
    from claimnet.tasks import load_splits

    b = cfg.benchmark
    threads = b.threads
    if threads:
        torch.set_num_threads(threads)
    work = Path(b.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    labels = LabelSet.from_names(cfg.data.labels)
    splits = load_splits(cfg.data, labels)
    report: dict[str, Any] = {"quick": bool(cfg.quick), "machine": machine(), "training": {}, "tagging": {}}
    log.info("Training (a): the standard recipe")
    recipe = standard_recipe(cfg, splits, labels.names, work)
    log.info("Training (b): claimnet default")
    default, export_dir = claimnet_training(cfg, "claimnet default (context 0)", work / "claimnet-default", {})
    runs = {"recipe": recipe, "claimnet": default}
    if b.context_run:
        log.info("Training (c): claimnet, context window 1")
        runs["claimnet_context1"], _ = claimnet_training(
            cfg, "claimnet context window 1", work / "claimnet-context1",
            {"model.context_window": 1, "model.max_length": b.context_max_length})
    report["training"] = {
        "runs": runs,
        "speedup": round(default["sentences_per_s"] / recipe["sentences_per_s"], 2),
        "dev_macro_f1_delta": round(default["dev_macro_f1"] - recipe["dev_macro_f1"], 4),
    }
    test = load_articles(cfg.data.test_path, labels.names)
    texts = [a.text for a in test[: b.tag_articles or None]]
    backends = [("torch", "fp32"), ("torch", "bf16"), ("onnx", "fp32"), ("onnx", "int8")]
    from claimnet.precision import cpu_has_fast_bf16

    if not cpu_has_fast_bf16() and not torch.cuda.is_available():
        backends.remove(("torch", "bf16"))
    report["tagging"] = tagging(export_dir, texts, threads, backends)
    report["tagging"]["cold_start"] = cold_start(export_dir, texts[0], repeats=1 if cfg.quick else 3)
    report["export_sizes_mb"] = {
        p.relative_to(export_dir).as_posix(): round(p.stat().st_size / 1e6, 1)
        for p in sorted(export_dir.rglob("*")) if p.suffix in (".safetensors", ".onnx")
    }
    return report


def table(report: dict[str, Any]) -> str:
    lines = ["training                                   s    sent/s   tokens/s  peak MB  dev F1"]
    for r in report["training"]["runs"].values():
        lines.append(f"  {r['name'][:38]:<38} {r['seconds']:>6.0f} {r['sentences_per_s']:>9.1f} "
                     f"{r['real_tokens_per_s']:>10.0f} {r['peak_rss_mb']:>8.0f}  {r['dev_macro_f1']:.3f}")
    lines.append(f"  speedup (b)/(a): {report['training']['speedup']}x sentences/s")
    t = report["tagging"]
    lines.append(f"tagging {t['sentences']} sentences ({t['articles']} articles); segmentation alone "
                 f"{t['segmentation']['sentences_per_s']:.0f} sent/s")
    lines.append("  path             sent/s   p50 ms   p95 ms  peak MB  agreement  speedup")
    for name, r in t["paths"].items():
        if "error" in r:
            lines.append(f"  {name:<15} {r['error'][:60]}")
            continue
        lines.append(f"  {name:<15} {r['sentences_per_s']:>7.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
                     f"{r['peak_rss_mb']:>8.0f} {r['agreement']:>10.4f} {r.get('speedup', 1.0):>7.2f}x")
    if "best" in t:
        lines.append(f"  best: {t['best']} at {t['speedup']}x the pipeline, agreement {t['agreement']}")
    for name, r in t.get("cold_start", {}).items():
        lines.append(f"  cold start {name:<14} {r['seconds']:>6.2f} s to the first tagged article, peak RSS {r['peak_rss_mb']:.0f} MB")
    return "\n".join(lines)
