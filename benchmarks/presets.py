"""One row of the presets table: a preset's 3-seed sweep (dev/test, hedge F1, minutes) and its shipped tagging speed.

    python scripts/train.py hparams_search=seeds [PRESET OVERRIDES]      # a sweep folder of 3 runs
    python -m benchmarks presets SWEEP --name default --command "make train" \\
        [--out benchmarks/results/presets-HOSTKIND.json]

The row is merged into the results file by name (other rows stay); the docs'
"Presets" table is generated from these files. Tagging speed: the first run's
export as it ships (``ClaimTagger.load(EXPORT)``: int8 where the export kept it),
the test split tagged 3 times after a warm-up, the median. Run it with nothing
else on the machine.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+\]")


def run_minutes(run: Path) -> float:
    """Minutes from a run's first to its last log line (RUN/train.log, or distill.log): fit, export, evaluation.

    A later ``claimnet export`` of the run writes its own export.log beside: not part of the run's minutes.
    """
    log = next(path for name in ("train.log", "distill.log") if (path := run / name).exists())
    stamps = [m.group(1) for line in log.read_text(encoding="utf-8").splitlines() if (m := STAMP.match(line))]
    first, last = (datetime.strptime(s, "%Y-%m-%d %H:%M:%S") for s in (stamps[0], stamps[-1]))
    return (last - first).total_seconds() / 60


def figures(run: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for split in ("dev", "test"):
        metrics = json.loads((run / "eval" / split / "metrics.json").read_text(encoding="utf-8"))
        out[f"{split}_macro_f1"] = metrics["macro_f1"]
        out[f"{split}_hedge_f1"] = metrics["per_label"]["hedge"]["f1"]
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    out["fit_seconds"] = summary["training"]["seconds"]
    out["run_minutes"] = run_minutes(run)
    return out


def tagging_speed(export: Path, rounds: int = 3) -> dict[str, object]:
    from claimnet import ClaimTagger

    tagger = ClaimTagger.load(export)
    texts = [json.loads(line)["text"] for line in
             (ROOT / "data" / "claimnet-wikinews" / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    sentences = sum(len(t) for t in tagger.tag_many(texts))  # the warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        tagger.tag_many(texts)
        times.append(time.perf_counter() - started)
    return {"sentences_per_s": round(sentences / statistics.median(times), 1), "sentences": sentences,
            "backend": tagger.backend.name, "precision": tagger.backend.precision}


def main() -> None:
    from claimnet.tasks.bench import machine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", type=Path, help="a folder of finished runs (a hparams_search=seeds sweep)")
    parser.add_argument("--name", required=True, help="the preset's row name")
    parser.add_argument("--command", required=True, help="how a user trains it")
    parser.add_argument("--note", default="", help="what the row is")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--timed", type=int, nargs="+", default=None,
                        help="indexes of the runs whose minutes count (others ran beside other work); default all")
    args = parser.parse_args()
    runs = sorted(p for p in args.sweep.iterdir() if (p / "eval" / "test" / "metrics.json").is_file())
    if not runs:
        raise SystemExit(f"{args.sweep}: no finished run inside")
    rows = [figures(run) for run in runs]
    seeds = [json.loads((run / "export" / "claimnet.json").read_text())["run"]["seed"] for run in runs]
    host = machine()
    row = {"name": args.name, "command": args.command, "note": args.note, "seeds": seeds,
           "figures": {key: {"mean": statistics.mean(r[key] for r in rows),
                             "sd": statistics.stdev(r[key] for r in rows) if len(rows) > 1 else None,
                             "values": [r[key] for r in rows]} for key in rows[0]},
           "timed_runs": args.timed,
           "tagging": tagging_speed(runs[0] / "export"), "int8_kept": [
               bool((json.loads((run / "export" / "claimnet.json").read_text()).get("int8") or {}).get("included"))
               for run in runs]}
    if args.timed is not None:  # minutes and fit seconds only from the runs that had the machine to themselves
        for key in ("run_minutes", "fit_seconds"):
            timed = [rows[i][key] for i in args.timed]
            row["figures"][key] = {"mean": statistics.mean(timed), "values": timed,
                                   "sd": statistics.stdev(timed) if len(timed) > 1 else None}
    out = args.out or ROOT / "benchmarks" / "results" / f"presets-{host['host_kind']}.json"
    report = json.loads(out.read_text()) if out.is_file() else {"presets": {}}
    report["machine"] = host
    report["presets"][args.name] = row
    out.write_text(json.dumps(report, indent=2) + "\n")
    f = row["figures"]

    def sd(key: str) -> str:
        return f" ± {f[key]['sd']:.3f}" if f[key]["sd"] is not None else ""

    print(f"{args.name}: dev {f['dev_macro_f1']['mean']:.3f}{sd('dev_macro_f1')}, test "
          f"{f['test_macro_f1']['mean']:.3f}{sd('test_macro_f1')}, hedge (test) {f['test_hedge_f1']['mean']:.3f}, "
          f"{f['run_minutes']['mean']:.1f} min, {row['tagging']['sentences_per_s']} sentences/s -> {out}")


if __name__ == "__main__":
    main()
