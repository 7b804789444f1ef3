"""`make train`: fine-tune, export and evaluate (configs/train.yaml with key=value overrides)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("CLAIMNET_ROOT", str(Path(__file__).resolve().parents[1]))

from claimnet.tasks.runner import run_job  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_job("train", sys.argv[1:], "scripts/train.py"))
