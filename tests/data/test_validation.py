"""Reading and validating annotated articles: every kind of bad input names file and line."""

from __future__ import annotations

import json

import pytest

from claimnet.data import load_articles, summarize
from claimnet.errors import DataError
from helpers import DATA_DIR, LABELS

GOOD = {"id": "a1", "text": "One thing happened. Officials said so.",
        "sentences": [{"start": 0, "end": 19, "label": "claim"}, {"start": 20, "end": 38, "label": "attribution"}]}


def write(tmp_path, *lines: str | bytes, name="data.jsonl"):
    path = tmp_path / name
    path.write_bytes(b"\n".join(l if isinstance(l, bytes) else l.encode() for l in lines) + b"\n")
    return path


def with_sentences(*sentences, text=GOOD["text"], id="a1"):
    return json.dumps({"id": id, "text": text, "sentences": list(sentences)})


def test_bundled_corpus_loads_with_documented_counts():
    counts = {s: load_articles(DATA_DIR / f"{s}.jsonl", LABELS) for s in ("train", "dev", "test")}
    assert [len(v) for v in counts.values()] == [600, 39, 44]
    assert [sum(len(a.sentences) for a in v) for v in counts.values()] == [9302, 719, 713]
    table = summarize(counts, LABELS)
    assert "9302" in table and "hedge" in table.splitlines()[0]


def test_good_file_round_trips(tmp_path):
    (article,) = load_articles(write(tmp_path, json.dumps(GOOD)), LABELS)
    assert article.sentence_texts() == ["One thing happened.", "Officials said so."]
    assert article.labels() == ["claim", "attribution"]


@pytest.mark.parametrize(
    "line, message",
    [
        (json.dumps(GOOD)[:40], r"data.jsonl:2: not valid JSON"),
        (with_sentences({"start": 0, "end": 99, "label": "claim"}),
         r"data.jsonl:2: sentence 0 ends at 99, past the end of the text \(38 characters\)"),
        (with_sentences({"start": 0, "end": 19, "label": "opinion"}),
         r"sentence 0 has unknown label 'opinion'; expected one of \['attribution', 'hedge', 'claim', 'background'\]"),
        (with_sentences({"start": 0, "end": 19, "label": "claim"}, {"start": 10, "end": 38, "label": "claim"}),
         r"sentence 1 starts at 10, inside or before the previous sentence"),
        (with_sentences({"start": 19, "end": 20, "label": "claim"}), r"sentence 0 \(19:20\) holds only white space"),
        (with_sentences({"start": 5, "end": 5, "label": "claim"}), r"sentence 0 is empty or reversed"),
        (with_sentences({"start": "0", "end": 5, "label": "claim"}), r"'start' and 'end' must be integers"),
        (with_sentences({"start": 0, "end": 19}), r"sentence 0 has no 'label'"),
        (json.dumps({"id": "x", "text": "abc"}), r"missing required field\(s\) \['sentences'\]"),
        (json.dumps({"id": "x", "text": "abc", "sentences": []}), r"'sentences' must be a non-empty list"),
        (json.dumps([1, 2]), r"expected a JSON object, got list"),
        (json.dumps({**GOOD, "id": ""}), r"'id' must be a non-empty string"),
    ],
)
def test_each_bad_line_is_named(tmp_path, line, message):
    path = write(tmp_path, json.dumps({**GOOD, "id": "ok"}), line)
    with pytest.raises(DataError, match=message) as err:
        load_articles(path, LABELS)
    assert f"{path}:2:" in str(err.value)


def test_wrong_encoding_names_line_and_byte(tmp_path):
    latin1 = json.dumps({**GOOD, "text": "Café opened. Officials said so."}, ensure_ascii=False).encode("latin-1")
    with pytest.raises(DataError, match=r"data.jsonl:1: not valid UTF-8 \(byte 0xe9"):
        load_articles(write(tmp_path, latin1), LABELS)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with pytest.raises(DataError, match=r"empty.jsonl: holds no articles"):
        load_articles(path, LABELS)


def test_directory_and_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"is a directory; expected a .jsonl file"):
        load_articles(tmp_path, LABELS)
    with pytest.raises(DataError, match=r"nope.jsonl: no such file"):
        load_articles(tmp_path / "nope.jsonl", LABELS)


def test_duplicate_ids(tmp_path):
    with pytest.raises(DataError, match=r":2: duplicate article id 'a1' \(first seen on line 1\)"):
        load_articles(write(tmp_path, json.dumps(GOOD), json.dumps(GOOD)), LABELS)


def test_all_bad_lines_reported_up_to_the_limit(tmp_path):
    lines = [json.dumps(GOOD)] + ["{broken"] * 30
    with pytest.raises(DataError) as err:
        load_articles(write(tmp_path, *lines), LABELS, max_errors=5)
    assert len(err.value.problems) == 5
    assert err.value.problems[0].endswith("column 2)") and ":2:" in err.value.problems[0]
    assert "... and 25 more problem(s) not shown." in str(err.value)


def test_unlabelled_sentences_allowed_without_label_set(tmp_path):
    line = with_sentences({"start": 0, "end": 19})
    (article,) = load_articles(write(tmp_path, line), labels=None)
    assert article.sentences[0].label is None


@pytest.mark.parametrize("content, looks", [
    (b'[{"id": 1, "data": {"text": "x"}, "annotations": []}]', "a JSON array (a Label Studio export looks like this)"),
    (b'{\n  "id": "a",\n  "text": "x"\n}\n', "pretty-printed JSON; JSON Lines needs each article on one line"),
    (b"article_id,sentence,label\na1,Police said so.,attribution\n", "CSV, not JSON Lines"),
])
def test_common_wrong_formats_get_one_line_that_says_what_the_file_looks_like(tmp_path, content, looks):
    path = tmp_path / "data.jsonl"
    path.write_bytes(content)
    with pytest.raises(DataError) as exc:
        load_articles(path, LABELS)
    assert len(exc.value.problems) == 1 and looks in exc.value.problems[0]
    assert "claimnet reads JSON Lines: one article per line" in exc.value.problems[0]


def test_a_lone_surrogate_in_a_data_file_is_a_located_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "Police said \\ud800 so.", "sentences": [{"start": 0, "end": 21, "label": "claim"}]}\n')
    with pytest.raises(DataError, match=r"bad.jsonl:1: 'text' holds a lone surrogate \(U\+D800 at character 12\)"):
        load_articles(path, LABELS)
