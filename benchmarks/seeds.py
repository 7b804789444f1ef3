"""Mean ± sd over the runs of a multirun (``hparams_search=seeds``): dev and test, per label, training time.

    python -m benchmarks seeds outputs/sweeps/DATE [--markdown]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def figures(run: Path) -> dict[str, float]:
    out = {}
    for split in ("dev", "test"):
        metrics = json.loads((run / "eval" / split / "metrics.json").read_text())
        out[f"{split} macro-F1"] = metrics["macro_f1"]
        out.update({f"{split} {label}": m["f1"] for label, m in metrics["per_label"].items()})
    summary = json.loads((run / "summary.json").read_text())
    out["fit s"] = summary["training"]["seconds"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", type=Path)
    args = parser.parse_args()
    runs = sorted(p for p in args.sweep.iterdir() if (p / "eval" / "test" / "metrics.json").exists())
    rows = [figures(run) for run in runs]
    seeds = [json.loads((run / "export" / "claimnet.json").read_text())["run"]["seed"] for run in runs]
    result = {"runs": [str(r) for r in runs], "seeds": seeds,
              "figures": {key: {"mean": statistics.mean(r[key] for r in rows),
                                "sd": statistics.stdev(r[key] for r in rows) if len(rows) > 1 else 0.0,
                                "values": [r[key] for r in rows]} for key in rows[0]}}
    print(json.dumps(result, indent=2))
    print("\n| figure | mean ± sd | per seed |\n|---|---:|---|")
    for key, f in result["figures"].items():
        print(f"| {key} | {f['mean']:.3f} ± {f['sd']:.3f} | {', '.join(f'{v:.3f}' for v in f['values'])} |")


if __name__ == "__main__":
    main()
