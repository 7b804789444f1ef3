"""An evaluation says what it was computed on; figures from other data do not compare; gates that cannot be
measured are a usage error (exit 2), not a failed gate; two evaluations never share a folder."""

from __future__ import annotations

import json

import pytest

import claimnet
from claimnet.errors import ConfigError, ModelLoadError
from claimnet.runtime.files import sha256_file
from helpers import DATA_DIR, compose


def test_metrics_record_the_data_path_hash_and_labels(trained_run):
    metrics = json.loads((trained_run / "eval" / "test" / "metrics.json").read_text())
    assert metrics["data"]["sha256"] == sha256_file(DATA_DIR / "test.jsonl")
    assert metrics["data"]["path"].endswith("test.jsonl") and len(metrics["data"]["labels"]) == 4


def test_compare_to_figures_of_other_data_is_refused_unless_asked(trained_run, tmp_path):
    previous = trained_run / "eval" / "test" / "metrics.json"
    base = [f"model_path={trained_run}", f"data_path={DATA_DIR / 'dev.jsonl'}", f"compare_to={previous}",
            "evaluation.bootstrap_resamples=5", "evaluation.baselines=false"]
    with pytest.raises(ConfigError, match=r"do not compare. Pass compare_across_data=true"):
        claimnet.evaluate([*base, f"output_dir={tmp_path / 'a'}"])
    metrics = claimnet.evaluate([*base, f"output_dir={tmp_path / 'b'}", "compare_across_data=true"])
    assert metrics["compared_to"]["path"] == str(previous)


def test_a_gate_on_a_label_the_data_lacks_is_a_usage_error(trained_run, tmp_path):
    lines = [line for line in (DATA_DIR / "dev.jsonl").read_text(encoding="utf-8").splitlines()
             if '"hedge"' not in line][:4]
    data = tmp_path / "no-hedge.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gates.per_label.hedge: .* has no hedge sentence") as info:
        claimnet.evaluate([f"model_path={trained_run}", f"data_path={data}", "gates.per_label.hedge=0.5",
                           f"output_dir={tmp_path / 'out'}", "evaluation.baselines=false"])
    assert info.value.exit_code == 2


def test_a_nan_in_the_compared_figures_is_refused(trained_run, tmp_path):
    metrics = json.loads((trained_run / "eval" / "test" / "metrics.json").read_text())
    metrics["macro_f1"] = float("nan")
    bad = tmp_path / "metrics.json"
    bad.write_text(json.dumps(metrics))
    with pytest.raises(ModelLoadError, match="finite numbers"):
        claimnet.evaluate([f"model_path={trained_run}", f"compare_to={bad}", "gates.max_drop=0.1",
                           f"output_dir={tmp_path / 'out'}", "evaluation.baselines=false"])


def test_two_evaluations_composed_in_the_same_second_get_two_folders():
    from claimnet.tasks.runner import compose_job

    first, second = (compose_job("evaluate", ["model_path=x"]).output_dir for _ in range(2))
    # the random suffix differs even when the second-resolution timestamps are equal
    assert first.rsplit("-", 1)[1] != second.rsplit("-", 1)[1] and len(first.rsplit("-", 1)[1]) == 6
    assert compose("evaluate", ["model_path=x"]).output_dir != first
