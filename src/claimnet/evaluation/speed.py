"""Speed measurements for the benchmark: memory, tagging throughput and latency, cold start.

Peak RSS is sampled per phase from ``/proc/self/status``; cold start runs in a
child process that reports its own high-water mark. Each tagging path is fed
the same raw texts, segmentation included, and compared with
``transformers.pipeline`` on the same inputs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.evaluation.ceiling import ceiling, fraction_of_ceiling
from claimnet.runtime.backends import available_cores, onnx_graphs
from claimnet.runtime.encoding import SentenceEncoder, context_pairs
from claimnet.runtime.tagger import ClaimTagger


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


def real_tokens(export_dir: Path, articles, window: int, max_length: int) -> int:
    """How many tokens (no padding) the encoder makes of these articles' sentences."""
    encoder = SentenceEncoder.from_dir(export_dir, max_length)
    return sum(len(e["input_ids"]) for a in articles for e in encoder.encode(context_pairs(a.sentence_texts(), window)))


def segmentation_speed(texts: Sequence[str]) -> dict[str, Any]:
    """claimnet's segmenter against plain pysbd on the same paragraphs (same sentences, in one process)."""
    import pysbd

    from claimnet.runtime.segmentation import segment

    plain_segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)

    def plain(text: str) -> int:
        return sum(len(plain_segmenter.segment(line)) for line in text.split("\n") if line.strip())

    timed = {}
    for name, fn in (("pysbd", plain), ("claimnet", lambda t: len(segment(t)))):
        fn(texts[0])  # warm-up
        started = time.perf_counter()
        n = sum(fn(t) for t in texts)
        timed[name] = (n, time.perf_counter() - started)
    n, seconds = timed["claimnet"]
    return {"sentences_per_s": round(n / seconds, 1), "seconds": round(seconds, 3),
            "pysbd_sentences_per_s": round(timed["pysbd"][0] / timed["pysbd"][1], 1),
            "speedup_vs_pysbd": round(timed["pysbd"][1] / seconds, 2)}


def _latencies(fn: Callable[[str], Any], texts: Sequence[str]) -> dict[str, float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - started)
    return {"p50_ms": round(float(np.percentile(times, 50)) * 1000, 2),
            "p95_ms": round(float(np.percentile(times, 95)) * 1000, 2)}


def tagging(export_dir: Path, texts: Sequence[str], threads: int | None,
            backends: Sequence[tuple[str, str]], ceiling_seconds: float = 1.0, rounds: int = 3,
            settle_seconds: float = 1.0) -> dict[str, Any]:
    """Sentences/s, latency, agreement and fraction of the machine's ceiling of each tagging path on raw texts.

    Every path tags all ``texts`` once per round, the paths in turn within a
    round; a path's sentences/s is its median over the ``rounds`` (a pass on a
    shared VM swings by a quarter; alternating rounds spread that over all
    paths alike). ``settle_seconds`` between passes lets torch's OpenMP workers
    stop spinning before the next path runs. ``ceiling_seconds``: how long
    each precision's matmul throughput is timed.
    """
    from transformers import pipeline

    reference_tagger = ClaimTagger.load(export_dir, backend="onnx", precision="fp32")
    manifest_window = reference_tagger.context_window
    segment = reference_tagger.segment
    spans = [segment(t) for t in texts]
    n = sum(len(s) for s in spans)
    results: dict[str, Any] = {"articles": len(texts), "sentences": n, "rounds": rounds,
                               "segmentation": segmentation_speed(texts), "paths": {}}
    pairs = [p for text, s in zip(texts, spans) for p in reference_tagger.article_pairs(text, s)]
    lengths = [len(e["input_ids"]) for e in reference_tagger.encoder.encode(pairs)]
    graph = export_dir / onnx_graphs(reference_tagger.manifest)["fp32"]
    results["ceiling"] = ceiling(graph, lengths, threads or available_cores(),
                                 seconds=ceiling_seconds)

    def pipeline_path():
        clf = pipeline("text-classification", model=str(export_dir), device=-1)

        def pipeline_tag(text_list):
            inputs = []
            for text in text_list:
                sents = [text[s:e] for s, e in segment(text)]
                for target, context in context_pairs(sents, manifest_window):
                    inputs.append({"text": target, "text_pair": context} if context else target)
            return [r["label"] for r in clf(inputs, batch_size=32, truncation=True)]

        return "pipeline", pipeline_tag, lambda t: pipeline_tag([t])

    def claimnet_path(backend: str, precision: str):
        def load():
            tagger = ClaimTagger.load(export_dir, backend=backend, precision=precision, num_threads=threads)
            return (tagger.backend_name, lambda ts: [s.label for article in tagger.tag_many(ts) for s in article],
                    tagger.tag)
        return load

    # claimnet's paths first, ONNX before torch: a runtime user has no torch loaded, and torch's OpenMP workers
    # keep spinning for a while after a torch run (settle_seconds waits that out between passes).
    loaders = [(f"{b}-{p}", claimnet_path(b, p)) for b, p in backends] + [("pipeline", pipeline_path)]
    paths: dict[str, dict[str, Any]] = {}
    for round_index in range(rounds):
        for key, load in loaders:
            path = paths.setdefault(key, {"entry": {}})
            entry = path["entry"]
            if "error" in entry:
                continue
            try:
                with peak_rss(entry) if round_index == 0 else nullcontext():
                    if round_index == 0:
                        path["name"], path["tag_many"], path["tag_one"] = load()
                        path["tag_many"](texts[:1])  # warm-up
                    started = time.perf_counter()
                    path["labels"] = path["tag_many"](texts)
                    entry.setdefault("rounds_sentences_per_s", []).append(round(n / (time.perf_counter() - started), 1))
                    if round_index == 0:
                        entry.update(_latencies(path["tag_one"], texts))
            except Exception as exc:  # reported in the JSON; the benchmark task then fails
                if key == "pipeline":
                    raise  # nothing to compare against
                entry["error"] = f"{type(exc).__name__}: {exc}"
            if settle_seconds:
                time.sleep(settle_seconds)

    reference = paths["pipeline"]["labels"]
    base = float(np.median(paths["pipeline"]["entry"]["rounds_sentences_per_s"]))
    path_labels: dict[str, list[str]] = {}
    for key in ["pipeline", *(k for k in paths if k != "pipeline")]:  # the baseline first in the report
        path = paths[key]
        entry = path["entry"]
        name = path.get("name", key)
        if "error" not in entry:
            path_labels[name] = path["labels"]
            entry["sentences_per_s"] = round(float(np.median(entry["rounds_sentences_per_s"])), 1)
            entry["agreement"] = round(float(np.mean([a == b for a, b in zip(path["labels"], reference)])), 4)
            entry["speedup"] = round(entry["sentences_per_s"] / base, 2)
            entry["fraction_of_ceiling"] = fraction_of_ceiling("fp32" if name == "pipeline" else name,
                                                               entry["sentences_per_s"], results["ceiling"])
        results["paths"][name] = entry
    if {"onnx-int8", "onnx-fp32"} <= set(path_labels):
        pairs = zip(path_labels["onnx-int8"], path_labels["onnx-fp32"])
        results["int8_agreement_with_onnx_fp32"] = round(float(np.mean([a == b for a, b in pairs])), 4)
    auto = ClaimTagger.load(export_dir, num_threads=threads).backend_name
    results["auto"] = auto  # the headline: the path a user gets by default
    if auto in results["paths"] and "error" not in results["paths"][auto]:
        results.update({"speedup": results["paths"][auto]["speedup"], "agreement": results["paths"][auto]["agreement"]})
    return results


COLD_START = {
    "claimnet_onnx": (
        "from claimnet import ClaimTagger\n"
        "ClaimTagger.load(EXPORT).tag(TEXT)\n"
    ),
    "pipeline": (
        "from transformers import pipeline\n"
        "from claimnet.runtime.segmentation import segment\n"
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




_TAG_IN_A_FRESH_PROCESS = (
    "import json, sys\n"
    "from claimnet import ClaimTagger\n"
    "tagger = ClaimTagger.load(EXPORT, backend=BACKEND, precision=PRECISION)\n"
    "if ARTICLE is None:\n"
    "    n = sum(len(t) for t in tagger.tag_many(json.load(open(TEXTS))))\n"
    "else:\n"
    "    with open(ARTICLE, encoding='utf-8') as fh:\n"
    "        n = sum(1 for _ in tagger.tag_stream(fh))\n"
    "print('SENTENCES', n)\n"
)


def memory_per_path(export_dir: Path, texts: list[str], paths: list[tuple[str, str]],
                    article_mb: float | None = None) -> dict[str, Any]:
    """Peak RSS of tagging in a fresh process per path (nothing else loaded there): the test split with
    ``tag_many``, and, with ``article_mb``, one article of that many MB streamed through ``tag_stream`` (as
    ``claimnet tag`` reads a file), built by repeating the texts."""
    import json as _json
    import subprocess
    import sys
    import tempfile

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(_json.dumps(texts), encoding="utf-8")
        article = None
        if article_mb:
            article = Path(tmp) / "article.txt"
            with open(article, "w", encoding="utf-8") as fh:
                size, i = 0, 0
                while size < article_mb * 1e6:
                    part = texts[i % len(texts)] + "\n\n"
                    fh.write(part)
                    size += len(part.encode("utf-8"))
                    i += 1
        for backend, precision in paths:
            row: dict[str, Any] = {}
            for name, source in (("test_split", None), (f"article_{article_mb:g}mb" if article_mb else "", article)):
                if not name:
                    continue
                code = (f"EXPORT = {str(export_dir)!r}\nBACKEND = {backend!r}\nPRECISION = {precision!r}\n"
                        f"TEXTS = {str(texts_file)!r}\nARTICLE = {str(source) if source else None!r}\n"
                        + _TAG_IN_A_FRESH_PROCESS + _REPORT_PEAK)
                started = time.perf_counter()
                proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
                if proc.returncode != 0:
                    row[name] = {"error": proc.stderr.strip().splitlines()[-1][:300] if proc.stderr.strip() else
                                 f"exit {proc.returncode}"}
                    continue
                row[name] = {"peak_rss_mb": round(int(proc.stdout.split("PEAK_KB")[-1]) / 1024, 1),
                             "sentences": int(proc.stdout.split("SENTENCES")[1].split()[0]),
                             "seconds": round(time.perf_counter() - started, 1)}
            out[f"{backend}-{precision}"] = row
    return out
