"""Train anywhere: the wheel carries configs and corpus; `claimnet train` and `claimnet.train()` run the job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import claimnet
from claimnet.cli import main
from claimnet.errors import ConfigError
from helpers import ROOT


def test_the_wheel_carries_the_configs_and_the_corpus(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    configs = {p.relative_to(ROOT / "configs").as_posix() for p in (ROOT / "configs").rglob("*.yaml")}
    assert {f"claimnet/bundled/configs/{c}" for c in configs} <= names
    for split in ("train", "dev", "test"):
        assert f"claimnet/bundled/corpus/claimnet-wikinews/{split}.jsonl" in names
    assert "claimnet/bundled/corpus/claimnet-wikinews/README.md" in names
    assert {"claimnet/exporters/model_card_template.md", "claimnet/py.typed"} <= names


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("CLAIMNET_ROOT", "CLAIMNET_OUTPUT_DIR")}


def test_an_installed_claimnet_trains_from_another_folder(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = (f"import sys; sys.path.insert(0, {str(site)!r})\n"
            "import claimnet.cli\n"
            f"assert claimnet.cli.__file__.startswith({str(site)!r}), claimnet.cli.__file__\n"
            "sys.exit(claimnet.cli.main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, "-c", code, "train", "experiment=smoke"], cwd=work, env=clean_env(),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = (work / "outputs" / "latest").resolve()
    config = (run / "config.yaml").read_text()
    assert f"train_path: {site}/claimnet/bundled/corpus/claimnet-wikinews/train.jsonl" in config
    assert (run / "export" / "claimnet.json").is_file() and proc.stdout.strip().splitlines()[-1].startswith("Export:")
    bad = subprocess.run([sys.executable, "-c", code, "train", "trainer.epochs=3"], cwd=work, env=clean_env(),
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "trainer.epochs" in bad.stderr


def test_version_and_job_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"claimnet {claimnet.__version__}"
    assert main(["evaluate", "--help"]) == 0
    assert "model_path" in capsys.readouterr().out


def test_the_python_api_trains_with_a_users_own_config_folder(tmp_path):
    mine = tmp_path / "my-configs" / "experiment"
    mine.mkdir(parents=True)
    (mine / "mine.yaml").write_text("# @package _global_\ndefaults:\n  - smoke\n  - _self_\nseed: 7\n")
    result = claimnet.train(overrides=["experiment=mine", f"paths.output_dir={tmp_path / 'out'}"],
                            config_dir=tmp_path / "my-configs")
    run = tmp_path / "out" / "latest"
    assert run.resolve() == Path(result["run_dir"]).resolve()
    assert json.loads((run.resolve() / "export" / "claimnet.json").read_text())["run"]["seed"] == 7
    assert 0 <= result["test"]["macro_f1"] <= 1
    with pytest.raises(ConfigError, match="trainer.epochs"):
        claimnet.train(overrides=["trainer.epochs=3"])
    with pytest.raises(TypeError, match="list of 'key=value' strings"):
        claimnet.train(overrides="experiment=smoke")


def test_job_help_describes_each_key_from_the_schema(capsys):
    assert main(["train", "--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("claimnet train: fine-tune on annotated articles")
    assert "  data         claimnet_wikinews*, custom" in text
    for key, words in [("trainer.num_train_epochs = 4.0", "passes over the training data"), ("trainer.class_weights = sqrt", "none | balanced | sqrt"),
                       ("model.context_window = 0", "sentences of context on each side")]:
        line = next(line for line in text.splitlines() if line.strip().startswith(key))
        assert words in line
    assert main(["evaluate", "--help"]) == 0
    assert "minimum macro-F1" in capsys.readouterr().out
    assert main(["train", "--help", "trainer.precision"]) == 0
    one = capsys.readouterr().out
    assert one.startswith("trainer.precision = auto") and "one of auto | bf16 | fp16 | fp32" in one
    assert main(["train", "--help", "trainer.lerning_rate"]) == 0
    assert "Did you mean trainer.learning_rate?" in capsys.readouterr().out


def test_shell_completion_offers_subcommands_groups_and_keys(capsys):
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert "complete -F _claimnet claimnet" in script and "train" in script and "export-tasks" in script
    assert main(["_complete", "train"]) == 0
    words = capsys.readouterr().out.split()
    assert {"model=tiny", "experiment=smoke", "trainer.num_train_epochs=", "data.train_path="} <= set(words)
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "_complete" not in capsys.readouterr().out  # the completion script's helper stays out of the help
