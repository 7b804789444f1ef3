"""The real Hydra configs compose, and a wrong value names its key and the allowed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from claimnet.errors import ConfigError
from claimnet.labels import LabelSet
from claimnet.training.class_weights import class_weights
from claimnet.training.config import validate_train_config
from helpers import CONFIG_DIR, LABELS, compose

GROUPS = {g: sorted(p.stem for p in (Path(CONFIG_DIR) / g).glob("*.yaml")) for g in ("model", "trainer", "logger", "data", "hparams_search")}
EXPERIMENTS = sorted(p.stem for p in (Path(CONFIG_DIR) / "experiment").glob("*.yaml"))


def test_default_train_config_is_valid_and_points_inside_the_project():
    cfg = compose("train")
    validate_train_config(cfg)
    assert list(cfg.data.labels) == LABELS
    assert cfg.model.context_window == 0
    assert Path(cfg.data.train_path).is_file() and "shared" not in cfg.data.train_path


@pytest.mark.parametrize("group, option", [(g, o) for g, opts in GROUPS.items() for o in opts])
def test_every_group_option_composes(group, option):
    # data=custom leaves name, licence and paths to the user (its own test below checks the message)
    mandatory = ["data.name=x", "data.license=y", "data.train_path=a", "data.dev_path=b", "data.test_path=c"]
    validate_train_config(compose("train", [f"{group}={option}", *(mandatory if option == "custom" else [])]))


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes(experiment):
    validate_train_config(compose("train", [f"experiment={experiment}"]))


def test_evaluate_and_export_configs_compose():
    cfg = compose("evaluate", ["model_path=some/export", "output_dir=x"])
    assert cfg.model_path == "some/export" and cfg.data_path.endswith("test.jsonl")
    assert compose("export", ["run_dir=r"]).run_dir == "r"


@pytest.mark.parametrize(
    "override, message",
    [
        ("trainer.precision=fp8", r"trainer.precision must be one of \['auto', 'bf16', 'fp16', 'fp32'\]. Got 'fp8' instead."),
        ("model.max_length=1024", r"model.max_length must be an int in the range \[8, 512\]. Got 1024 instead."),
        ("model.context_window=-1", r"model.context_window must be an int in the range \[0, 20\]. Got -1 instead."),
        ("trainer.learning_rate=0", r"trainer.learning_rate must be a number in the range \(0, 1\]. Got 0 instead."),
        ("trainer.class_weights=inverse", r"trainer.class_weights must be one of \['none', 'balanced', 'sqrt'\] or a mapping"),
        ("trainer.eval_strategy=never", r"trainer.eval_strategy must be one of \['epoch', 'steps'\]"),
        ("evaluation.backend=tensorflow", r"evaluation.backend must be one of \['auto', 'onnx', 'torch'\]"),
        ("export.int8_max_f1_drop=5", r"export.int8_max_f1_drop must be a number in the range \[-1, 1\]. Got 5 instead."),
        ("export.int8_min_agreement=0.99", r"export.int8_min_agreement is no longer a setting: use export.int8_max_f1_drop"),
        ("evaluation.batch_size=0", r"evaluation.batch_size must be an int in the range \[1, inf\] or null"),
        ("optimized_metric=test_macro_f1", r"optimized_metric must be one of \['dev_macro_f1', 'dev_accuracy', 'dev_f1_attribution'"),
        ("trainer.per_device_train_batch_size=0", r"trainer.per_device_train_batch_size must be an int in the range \[1, inf\]"),
        ("trainer.freeze_word_embeddings=maybe", r"trainer.freeze_word_embeddings must be of type bool. Got 'maybe' instead."),
        ("trainer.learning_rate=fast", r"trainer.learning_rate must be of type float. Got 'fast' instead."),
        ("trainer.lerning_rate=1e-4", r"trainer.lerning_rate is not a claimnet setting. Did you mean trainer.learning_rate\?"),
        ("+trainer.lerning_rate=1e-4", r"trainer.lerning_rate is not a claimnet setting. Did you mean trainer.learning_rate\?"),
        ("trainer.gradient_checkpointing=true", r"pass it as \+trainer.training_arguments.gradient_checkpointing="),
        ("+trainer.training_arguments.gradient_chekpointing=true", r"not an argument of transformers.TrainingArguments. Did you mean trainer.training_arguments.gradient_checkpointing\?"),
        ("+trainer.training_arguments.seed=1", r"trainer.training_arguments.seed: seed is set by claimnet itself"),
        ("model=tinyy", r"model=tinyy: no such option; model is one of \[.*\]. Did you mean model=tiny\?"),
        ("trainer.bulk_dropout=fast", r"trainer.bulk_dropout must be one of \['auto', True, False\]"),
        ("trainer.fp32_residual=auto", r"trainer.fp32_residual must be of type bool. Got 'auto' instead."),
    ],
)
def test_bad_values_name_key_and_allowed_values(override, message):
    with pytest.raises(ConfigError, match=message):
        validate_train_config(compose("train", [override]))


def test_class_weights():
    counts = {"attribution": 400, "hedge": 25, "claim": 400, "background": 100}
    labels = LabelSet.from_names(LABELS)
    assert class_weights(counts, labels, "none") is None
    balanced = class_weights(counts, labels, "balanced")
    assert balanced[1] == pytest.approx(925 / (4 * 25))
    assert class_weights(counts, labels, "sqrt")[1] == pytest.approx(balanced[1] ** 0.5)
    assert class_weights(counts, labels, {"attribution": 1, "hedge": 3, "claim": 1, "background": 2}) == [1, 3, 1, 2]
    with pytest.raises(ConfigError, match=r"missing \['background'\]"):
        class_weights(counts, labels, {"attribution": 1, "hedge": 3, "claim": 1})


def test_label_set_rejects_duplicates_and_single_labels():
    with pytest.raises(ConfigError, match=r"must not repeat a label. Repeated: \['claim'\]"):
        LabelSet.from_names(["claim", "hedge", "claim"])
    with pytest.raises(ConfigError, match="at least 2 labels"):
        LabelSet.from_names(["claim"])
    assert LabelSet.from_names(LABELS).id2label[1] == "hedge"


def test_custom_data_needs_a_name_and_a_license(tmp_path):
    from helpers import run_script

    proc = run_script("train.py", "experiment=smoke", "data=custom", f"paths.output_dir={tmp_path}")
    assert proc.returncode == 2
    assert ("error: data.name, data.train_path, data.dev_path, data.test_path, data.license must be set: "
            "this data config leaves them to you (e.g. data.name=...)") in proc.stderr
    assert "Traceback" not in proc.stderr
    split = Path(CONFIG_DIR).parent / "data" / "claimnet-wikinews"
    cfg = compose("train", ["data=custom", "data.name=my-news", "data.license=CC BY 4.0",
                            *(f"data.{s}_path={split / s}.jsonl" for s in ("train", "dev", "test"))])
    validate_train_config(cfg)
    assert cfg.data.labels == LABELS and cfg.data.source is None and cfg.data.name == "my-news"


@pytest.mark.parametrize("script, override, message", [
    ("train.py", "+trainer.epoch=3", "trainer.epoch is not a claimnet setting. Did you mean "
                                     "trainer.num_train_epochs\\?"),
    ("train.py", "model.contxt_window=1", "model.contxt_window is not a claimnet setting. Did you mean "
                                          "model.context_window\\?"),
    ("evaluate.py", "gates.macro_f1=80", "gates.macro_f1 must be a number in the range \\[0, 1\\] \\(an F1 score\\) "
                                         "or null. Got 80 instead."),
])
def test_typos_and_impossible_values_are_refused_before_any_work(tmp_path, script, override, message):
    import re

    from helpers import run_script

    extra = ["model_path=nowhere"] if script == "evaluate.py" else ["experiment=smoke"]
    proc = run_script(script, override, *extra, f"paths.output_dir={tmp_path}")
    assert proc.returncode == 2 and re.search(message, proc.stderr), proc.stderr
    assert not any(tmp_path.rglob("*.log"))
