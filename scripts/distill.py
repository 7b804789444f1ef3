"""`make distill`: train or take a teacher, write its soft labels (configs/distill.yaml with key=value overrides)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("CLAIMNET_ROOT", str(Path(__file__).resolve().parents[1]))

from claimnet.tasks.runner import run_job  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_job("distill", sys.argv[1:], "scripts/distill.py"))
