"""`make train`: compose configs/train.yaml with key=value overrides and run claimnet.tasks.train.train."""

import os
from pathlib import Path

os.environ.setdefault("CLAIMNET_ROOT", str(Path(__file__).resolve().parents[1]))

import hydra  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from claimnet.tasks.entry import exit_with, run  # noqa: E402
from claimnet.tasks.train import train  # noqa: E402


@hydra.main(version_base="1.3", config_path="../configs", config_name="train")
def main(cfg: DictConfig):
    return run(train, cfg)


if __name__ == "__main__":
    exit_with(main, "train")
