"""Streaming tagging at scale: one single-line article of 5 MB and of 50 MB through ``claimnet tag``.

Prints, as JSON, each run's wall time, sentences/s and the tagging process's peak
RSS, next to the same command on the test split's 44 articles (the baseline, run
by the same script on the same machine), and the ratios. Throughput is compared
from the first sentence out to the last, so start-up does not flatter the big file.

    python scripts/bench_stream.py --model outputs/latest/export [--sizes 5 50] [--out FILE]
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


def tag_file(model: str, path: Path, input_format: str) -> dict:
    """Run ``claimnet tag --format jsonl`` on ``path``; count its output lines as they come."""
    cmd = [sys.executable, "-m", "claimnet.cli", "tag", "--model", model, "--input", input_format,
           "--format", "jsonl", str(path)]
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
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="outputs/latest/export")
    parser.add_argument("--sizes", type=float, nargs="+", default=[5, 50], help="article sizes in MB")
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
    if len(results["articles"]) >= 2:
        small, large = results["articles"][0], results["articles"][-1]
        results["peak_rss_ratio_largest_vs_smallest"] = round(large["peak_rss_mb"] / small["peak_rss_mb"], 3)
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
