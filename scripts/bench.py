"""`make bench`: how fast an export tags on this host (configs/bench.yaml with key=value overrides)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("CLAIMNET_ROOT", str(Path(__file__).resolve().parents[1]))

from claimnet.tasks.runner import run_job  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_job("bench", sys.argv[1:], "scripts/bench.py"))
