"""The soft-label file: written whole, read back exactly, refused for other data, bad lines named."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from claimnet.data.soft_labels import (
    TRAIN,
    UNLABELLED,
    SoftArticle,
    read_provenance,
    read_soft_labels,
    write_soft_labels,
)
from claimnet.data.unlabelled import iter_unlabelled
from claimnet.errors import DataError

LABELS = ["attribution", "hedge", "claim", "background"]
PROVENANCE = {"labels": LABELS, "teacher": {"model": "t"},
              "labelled": {TRAIN: {"path": "train.jsonl", "sha256": "a" * 64}, UNLABELLED: []}}


def _log_probs(n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    p = rng.dirichlet(np.ones(4), size=n)
    return np.log(p)


def _write(path):
    articles = [SoftArticle("a1", TRAIN, [(0, 10), (11, 20)], _log_probs(2)),
                SoftArticle("u1", UNLABELLED, [(0, 5), (6, 9), (10, 14)], _log_probs(3), "Hello you. And then."),
                SoftArticle("u2", UNLABELLED, [(0, 4)], _log_probs(1), "Last.")]
    write_soft_labels(path, PROVENANCE, articles)
    return articles


def test_round_trip_keys_by_article_and_offsets(tmp_path):
    path = tmp_path / "soft.jsonl.gz"
    articles = _write(path)
    soft = read_soft_labels(path, "train.jsonl", "a" * 64, LABELS)
    assert soft.provenance["teacher"] == {"model": "t"} and read_provenance(path)["format_version"] == 1
    np.testing.assert_allclose(soft.for_sentence("a1", (11, 20)), articles[0].log_probs[1], atol=1e-4)
    assert soft.for_sentence("a1", (0, 11)) is None and soft.for_sentence("zz", (0, 10)) is None
    assert [a.id for a in soft.unlabelled] == ["u1", "u2"] and soft.unlabelled[0].text == "Hello you. And then."


def test_unlabelled_limit_keeps_the_first_sentences(tmp_path):
    path = tmp_path / "soft.jsonl.gz"
    _write(path)
    soft = read_soft_labels(path, "train.jsonl", "a" * 64, LABELS, unlabelled_limit=2)
    assert [len(a.spans) for a in soft.unlabelled] == [2] and soft.unlabelled[0].log_probs.shape == (2, 4)
    assert read_soft_labels(path, "train.jsonl", "a" * 64, LABELS, unlabelled_limit=0).unlabelled == []


def test_refused_for_another_training_file_or_label_set(tmp_path):
    path = tmp_path / "soft.jsonl.gz"
    _write(path)
    with pytest.raises(DataError, match=r"made for a training file with SHA-256 aaaa.*data.train_path mine.jsonl "
                                        r"has SHA-256 bbbb.*claimnet distill"):
        read_soft_labels(path, "mine.jsonl", "b" * 64, LABELS)
    with pytest.raises(DataError, match="soft labels over"):
        read_soft_labels(path, "train.jsonl", "a" * 64, LABELS[::-1])


def test_bad_files_are_named(tmp_path):
    with pytest.raises(DataError, match="no such soft-label file"):
        read_provenance(tmp_path / "missing.jsonl.gz")
    plain = tmp_path / "plain.jsonl"
    plain.write_text("{}\n")
    with pytest.raises(DataError, match=r"plain.jsonl:1: not a gzip"):
        read_provenance(plain)
    path = tmp_path / "soft.jsonl.gz"
    _write(path)
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    record = json.loads(lines[2])
    record["log_probs"] = record["log_probs"][:1]
    lines[2] = json.dumps(record)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    with pytest.raises(DataError, match=r"soft.jsonl.gz:3: 3 spans but log_probs of shape \(1, 4\)"):
        read_soft_labels(path, "train.jsonl", "a" * 64, LABELS)


def test_a_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "soft.jsonl.gz"
    _write(path)
    before = path.read_bytes()

    def broken():
        yield SoftArticle("a1", TRAIN, [(0, 1)], _log_probs(1))
        raise RuntimeError("teacher died")

    with pytest.raises(RuntimeError):
        write_soft_labels(path, PROVENANCE, broken())
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["soft.jsonl.gz"]


def test_unlabelled_files_read_text_or_paragraphs_and_name_bad_lines(tmp_path):
    path = tmp_path / "pool.jsonl.gz"
    rows = [{"id": "r1", "paragraphs": ["First one.", " ", "Second."]}, {"text": "Plain text."}, {"text": ""}]
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    found = list(iter_unlabelled(path))
    assert [(a.id, a.text) for a in found] == [("r1", "First one.\n\nSecond."), ("pool.jsonl.gz:2", "Plain text.")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok."}\n{"title": "no text"}\nnot json\n')
    with pytest.raises(DataError) as err:
        list(iter_unlabelled(bad))
    assert "bad.jsonl:2:" in str(err.value) and "bad.jsonl:3:" in str(err.value)


def test_the_shipped_soft_labels_fit_the_shipped_training_file_and_never_hold_dev_or_test():
    from claimnet.runtime.files import sha256_file
    from helpers import DATA_DIR

    train = DATA_DIR / "train.jsonl"
    soft = read_soft_labels(DATA_DIR / "teacher" / "soft-labels.jsonl.gz", train, sha256_file(train), LABELS)
    articles = [json.loads(line) for line in train.read_text(encoding="utf-8").splitlines()]
    assert {a["id"] for a in articles} == set(soft.train)
    for article in articles:
        assert soft.train[article["id"]].spans == [(s["start"], s["end"]) for s in article["sentences"]]
    held_out = {" ".join(a["text"][s["start"]:s["end"]].split()) for split in ("dev", "test")
                for a in map(json.loads, (DATA_DIR / f"{split}.jsonl").read_text(encoding="utf-8").splitlines())
                for s in a["sentences"]}
    unlabelled = [" ".join(a.text[s:e].split()) for a in soft.unlabelled for s, e in a.spans]
    assert len(unlabelled) == soft.provenance["counts"]["unlabelled"]["sentences"] == 20000
    assert not held_out & set(unlabelled)
    probabilities = np.exp(np.concatenate([a.log_probs for a in soft.train.values()]))
    assert np.allclose(probabilities.sum(axis=1), 1, atol=2e-3)
    assert "/" not in soft.provenance["teacher"]["run"] and "paths" not in soft.provenance["teacher"]["config"]
