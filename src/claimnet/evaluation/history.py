"""Earlier metrics to compare against: ``compare_to=`` and the previous finished run."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

from claimnet.errors import ModelLoadError

log = logging.getLogger(__name__)


def read_previous(path: str | Path | None) -> dict | None:
    """A previous metrics.json to compare against (``compare_to=``)."""
    if not path:
        return None
    p = Path(path)
    if p.is_dir():
        p = p / "metrics.json"
    if not p.is_file():
        raise ModelLoadError(f"compare_to: {p} does not exist; pass the path of a previous metrics.json")
    try:
        data = json.loads(p.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ModelLoadError(f"compare_to: {p} is not UTF-8 (byte at offset {exc.start})") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ModelLoadError(f"compare_to: {p} is not valid JSON ({getattr(exc, 'msg', exc)})") from None
    if not isinstance(data, dict) or "macro_f1" not in data or "per_label" not in data:
        raise ModelLoadError(f"compare_to: {p} is not a claimnet metrics.json (no macro_f1/per_label)")
    number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)  # noqa: E731
    if not number(data["macro_f1"]) or not isinstance(data["per_label"], dict) or not all(
            isinstance(m, dict) and number(m.get("f1")) for m in data["per_label"].values()):
        raise ModelLoadError(f"compare_to: {p}: macro_f1 and per_label.<label>.f1 must be finite numbers (a NaN "
                             "cannot be compared); it is not a usable claimnet metrics.json")
    data["_path"] = str(p)
    return data


def previous_run_metrics(run_dir: Path | None, current: Path) -> dict[str, dict] | None:
    """The dev/test metrics of an earlier run folder (``outputs/latest`` before this run), if any."""
    if run_dir is None or not run_dir.exists() or run_dir.resolve() == current.resolve():
        return None
    found = {}
    for split in ("dev", "test"):
        path = run_dir / "eval" / split / "metrics.json"
        if path.exists():
            try:
                found[split] = read_previous(path)
            except ModelLoadError as exc:
                log.warning("Not comparing with the previous run: %s", exc)
    return found or None
