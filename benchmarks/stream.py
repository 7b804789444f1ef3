"""Streaming tagging at scale: one single-line article of 5 MB and of 50 MB through ``claimnet tag``.

Prints, as JSON, each run's wall time, sentences/s and the tagging process's peak
RSS, next to the same command on the test split's 44 articles (the baseline, run
by the same script on the same machine), and the ratios. Throughput is compared
from the first sentence out to the last, so start-up does not flatter the big file.

    python -m benchmarks stream --model outputs/latest/export [--sizes 5 50] [--out FILE]

Bulk JSONL (``--input jsonl``): ``--jsonl-articles 500 2000`` tags files of that many
articles (the test split resampled) with one process, for peak RSS at two sizes, and
the largest also with each of ``--workers 1 2``, for throughput per worker count.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tag_file(model: str, path: Path, input_format: str, workers: int = 1) -> dict:
    """Run ``claimnet tag --format jsonl`` on ``path``; count its output lines as they come."""
    cmd = [sys.executable, "-m", "claimnet.cli", "tag", "--model", model, "--input", input_format,
           "--format", "jsonl", "--workers", str(workers), str(path)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sentences, first = 0, None
    for _ in proc.stdout:
        sentences += 1
        if first is None:
            first = time.perf_counter() - start
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-2000:]}")
    return {"bytes": path.stat().st_size, "sentences": sentences, "wall_s": round(wall, 1),
            "first_output_s": round(first or 0, 2), "sentences_per_s": round(sentences / wall, 1),
            # from the first sentence out to the last: the model load and start-up left out
            "steady_sentences_per_s": round((sentences - 1) / max(wall - (first or 0), 1e-9), 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}  # the largest process (one worker, or the parent)


def bulk_jsonl(args: argparse.Namespace, texts: list[str], tmp: Path) -> dict:
    """``claimnet tag --input jsonl`` on files of ``--jsonl-articles`` articles, then the largest per worker count."""
    import random

    rng = random.Random(0)
    out: dict = {"sizes": [], "workers": []}
    files = {}
    for n in args.jsonl_articles:
        path = tmp / f"bulk-{n}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(json.dumps({"id": f"a{i}", "text": rng.choice(texts)}) + "\n")
        files[n] = path
        figures = tag_file(args.model, path, "jsonl") | {"articles": n}
        out["sizes"].append(figures)
        print(json.dumps(figures), flush=True)
    largest = files[max(files)]
    for workers in args.workers:
        figures = tag_file(args.model, largest, "jsonl", workers) | {"articles": max(files), "workers": workers}
        out["workers"].append(figures)
        print(json.dumps(figures), flush=True)
    small, large = out["sizes"][0], out["sizes"][-1]
    out["peak_rss_ratio_largest_vs_smallest"] = round(large["peak_rss_mb"] / small["peak_rss_mb"], 3)
    base = out["workers"][0]["steady_sentences_per_s"]
    out["throughput_vs_one_worker"] = {str(w["workers"]): round(w["steady_sentences_per_s"] / base, 3)
                                       for w in out["workers"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="outputs/latest/export")
    parser.add_argument("--sizes", type=float, nargs="*", default=[5, 50], help="article sizes in MB")
    parser.add_argument("--jsonl-articles", type=int, nargs="*", default=[], help="bulk JSONL sizes in articles")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts for the largest JSONL")
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = parser.parse_args()
    test = ROOT / "data" / "claimnet-wikinews" / "test.jsonl"
    texts = [json.loads(line)["text"] for line in test.read_text(encoding="utf-8").splitlines() if line.strip()]
    line = " ".join(t.replace("\n", " ") for t in texts) + " "
    results = {"model": args.model, "baseline": tag_file(args.model, test, "jsonl"), "articles": []}
    print(json.dumps(results["baseline"]), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"article-{size:g}MB.txt"
            target = int(size * 1_000_000)
            with path.open("w", encoding="utf-8") as fh:
                written = 0
                while written < target:
                    piece = line[: target - written]
                    fh.write(piece)
                    written += len(piece.encode("utf-8"))
            figures = tag_file(args.model, path, "text") | {"size_mb": size}
            figures["throughput_vs_test_split"] = round(
                figures["steady_sentences_per_s"] / results["baseline"]["steady_sentences_per_s"], 3)
            results["articles"].append(figures)
            print(json.dumps(figures), flush=True)
            path.unlink()
        results["jsonl"] = bulk_jsonl(args, texts, Path(tmp)) if args.jsonl_articles else None
    if len(results["articles"]) >= 2:
        small, large = results["articles"][0], results["articles"][-1]
        results["peak_rss_ratio_largest_vs_smallest"] = round(large["peak_rss_mb"] / small["peak_rss_mb"], 3)
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
