"""``claimnet distill`` end to end on the tiny run: provenance, what is labelled, what is refused, a student."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

import claimnet
from claimnet.data.soft_labels import read_soft_labels
from claimnet.errors import ConfigError, DataError
from claimnet.runtime.files import sha256_file
from helpers import DATA_DIR, LABELS


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """Unlabelled articles, one of which repeats a dev article's sentences (never to be labelled)."""
    dev = json.loads((DATA_DIR / "dev.jsonl").read_text(encoding="utf-8").splitlines()[0])
    rows = [{"id": f"r{i}", "paragraphs": [f"The agency said on day {i} that it had filed the case.",
                                           f"Officials may appeal the ruling {i}. The fine was ${i} million."]}
            for i in range(30)] + [{"id": "leak", "text": dev["text"]}]
    path = tmp_path_factory.mktemp("pool") / "pool.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    return path


@pytest.fixture(scope="module")
def soft_file(trained_run, pool, tmp_path_factory):
    out = tmp_path_factory.mktemp("distill")
    result = claimnet.distill([f"teacher.run={trained_run}", f"teacher.unlabelled=[{pool}]",
                               "teacher.unlabelled_sentences=1000", f"teacher.output={out / 'soft.jsonl.gz'}",
                               f"paths.output_dir={out / 'outputs'}"])
    return out / "soft.jsonl.gz", result


def test_every_training_sentence_and_the_unlabelled_sample_get_soft_labels(soft_file, trained_run, pool):
    path, result = soft_file
    soft = read_soft_labels(path, DATA_DIR / "train.jsonl", sha256_file(DATA_DIR / "train.jsonl"), LABELS)
    train_sentences = sum(len(json.loads(line)["sentences"])
                          for line in (DATA_DIR / "train.jsonl").read_text(encoding="utf-8").splitlines())
    assert sum(len(a.spans) for a in soft.train.values()) == train_sentences
    provenance = soft.provenance
    assert provenance["teacher"]["run"] == trained_run.name and "paths" not in provenance["teacher"]["config"]
    assert str(trained_run.parent) not in json.dumps(provenance)  # no folder of the machine that made it
    assert provenance["teacher"]["figures"]["dev"]["macro_f1"] == pytest.approx(
        json.loads((trained_run / "eval" / "dev" / "metrics.json").read_text())["macro_f1"])
    assert provenance["teacher"]["temperature"] is not None and provenance["teacher"]["config"]["model"]["name"]
    assert provenance["labelled"]["unlabelled"][0]["sha256"] == sha256_file(pool)
    assert provenance["labelled"]["train"]["sha256"] == sha256_file(DATA_DIR / "train.jsonl")
    # the teacher's own probabilities, as its export gives them
    tagger = claimnet.ClaimTagger.load(trained_run / "export", precision="fp32")
    article = json.loads((DATA_DIR / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    spans = [(s["start"], s["end"]) for s in article["sentences"]]
    import numpy as np

    expected = np.log(tagger.predict_spans([article["text"]], [spans])[0])
    np.testing.assert_allclose(soft.train[article["id"]].log_probs, expected, atol=2e-3)


def test_dev_sentences_inside_unlabelled_text_are_never_labelled(soft_file):
    path, result = soft_file
    soft = read_soft_labels(path, DATA_DIR / "train.jsonl", sha256_file(DATA_DIR / "train.jsonl"), LABELS)
    dev = json.loads((DATA_DIR / "dev.jsonl").read_text(encoding="utf-8").splitlines()[0])
    dev_sentences = {" ".join(dev["text"][s["start"]:s["end"]].split()) for s in dev["sentences"]}
    labelled = {" ".join(a.text[s:e].split()) for a in soft.unlabelled for s, e in a.spans}
    assert labelled and not labelled & dev_sentences
    assert result["counts"]["unlabelled"]["dropped_as_in_dev_or_test"] >= len(dev_sentences) - 1


def test_an_evaluation_split_is_refused_as_unlabelled_text(trained_run, tmp_path):
    copy = tmp_path / "renamed.jsonl"
    shutil.copy(DATA_DIR / "test.jsonl", copy)
    with pytest.raises(ConfigError, match="is the test split"):
        claimnet.distill([f"teacher.run={trained_run}", f"teacher.unlabelled=[{copy}]",
                          f"teacher.output={tmp_path / 'soft.jsonl.gz'}", f"paths.output_dir={tmp_path}"])
    assert not (tmp_path / "soft.jsonl.gz").exists()


def test_a_student_learns_from_them_and_other_data_is_refused(soft_file, tmp_path):
    path, _ = soft_file
    result = claimnet.train(["experiment=smoke", f"paths.output_dir={tmp_path / 'a'}", "evaluation.baselines=false",
                             f"data.soft_labels={path}", "trainer.distillation.weight=1",
                             "trainer.distillation.unlabelled_sentences=40"])
    run = tmp_path / "a" / "latest"
    assert json.loads((run / "data.json").read_text())["soft_labels"] == sha256_file(path)
    assert result["training"]["steps"] == 4
    changed = tmp_path / "train.jsonl"
    changed.write_text((DATA_DIR / "train.jsonl").read_text(encoding="utf-8").replace("said", "says", 1))
    with pytest.raises(DataError, match="soft labels were made for a training file"):
        claimnet.train(["experiment=smoke", f"paths.output_dir={tmp_path / 'b'}", f"data.train_path={changed}",
                        f"data.soft_labels={path}", "trainer.distillation.weight=1"])
    assert not (tmp_path / "b" / "runs").exists()
    with pytest.raises(ConfigError, match="data.soft_labels is null"):
        claimnet.train(["experiment=smoke", f"paths.output_dir={tmp_path / 'c'}", "data.soft_labels=null",
                        "trainer.distillation.weight=0.5"])
