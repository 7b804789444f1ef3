"""``claimnet data``: validate, stats, split, export-tasks and the Label Studio config, through the command."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from claimnet.cli import main
from claimnet.data import load_articles
from claimnet.labels import DEFAULT_LABELS
from helpers import CONFIG_DIR, DATA_DIR, LABELS, compose

SPLITS = [str(DATA_DIR / f"{s}.jsonl") for s in ("train", "dev", "test")]


def test_default_labels_are_the_default_data_configs():
    assert list(DEFAULT_LABELS) == list(compose("train").data.labels) == LABELS
    assert CONFIG_DIR


def test_validate_is_clean_on_the_corpus_and_finds_leaks_and_unlabelled_text(tmp_path, capsys):
    assert main(["data", "validate", *SPLITS]) == 0
    assert "3 file(s), 683 article(s) read: 0 error(s), 0 warning(s)" in capsys.readouterr().err
    first = json.loads(open(SPLITS[0], encoding="utf-8").readline())
    leak = dict(first, id="another-id")  # the same text under another id: a leak
    gap = dict(first, id="gap", sentences=first["sentences"][1:])  # sentence 0 left out: unlabelled text
    bad = tmp_path / "test.jsonl"
    bad.write_text("\n".join(json.dumps(r) for r in (leak, gap)) + "\n{broken\n", encoding="utf-8")
    assert main(["data", "validate", SPLITS[0], str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"error: {bad}:3: not valid JSON" in out
    assert main(["data", "validate", SPLITS[0], str(bad).replace("test.jsonl", "missing.jsonl")]) == 2
    bad.write_text("\n".join(json.dumps(r) for r in (leak, gap)) + "\n", encoding="utf-8")
    assert main(["data", "validate", SPLITS[0], str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"error: {bad}: article 'another-id': the same text as {SPLITS[0]}: article '{first['id']}'" in out
    assert f"warning: {bad}: article 'gap': characters 0:" in out and "are in no sentence" in out


def test_stats_json(capsys):
    assert main(["data", "stats", "--format", "json", SPLITS[1]]) == 0
    stats = json.loads(capsys.readouterr().out)[SPLITS[1]]
    assert stats["articles"] == 39 and stats["sentences"] == 719
    assert stats["labels"]["hedge"]["count"] == 32 and stats["tokens"] > 10_000


def test_split_is_by_article_stratified_and_deterministic(tmp_path):
    for out in ("a", "b"):
        assert main(["data", "split", SPLITS[0], "-o", str(tmp_path / out), "--seed", "7"]) == 0
    parts = {name: load_articles(tmp_path / "a" / f"{name}.jsonl", LABELS) for name in ("train", "dev", "test")}
    ids = [a.id for p in parts.values() for a in p]
    assert len(ids) == len(set(ids)) == 600
    assert all({label for a in p for label in a.labels()} == set(LABELS) for p in parts.values())
    assert 45 <= len(parts["dev"]) <= 75 and 45 <= len(parts["test"]) <= 75  # about a tenth each
    for name in ("train", "dev", "test"):
        assert (tmp_path / "a" / f"{name}.jsonl").read_bytes() == (tmp_path / "b" / f"{name}.jsonl").read_bytes()
    assert main(["data", "split", SPLITS[0], "-o", str(tmp_path / "c"), "--dev", "0.6", "--test", "0.5"]) == 2


def test_labelstudio_config_names_every_label():
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["data", "labelstudio-config", "--labels", "claim,not claim"]) == 0
    root = ET.fromstring(buf.getvalue())
    labels = root.find("Labels")
    assert labels.get("name") == "label" and labels.get("toName") == "text"
    assert [e.get("value") for e in labels] == ["claim", "not claim"]
    assert root.find("Text").get("value") == "$text"


def test_export_tasks_orders_by_uncertainty_and_imports_back(export_dir, tmp_path):
    tasks_path = tmp_path / "tasks.json"
    assert main(["data", "export-tasks", SPLITS[1], "--model", str(export_dir), "-o", str(tasks_path)]) == 0
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert len(tasks) == 39
    entropies = [t["meta"]["mean_entropy"] for t in tasks]
    assert entropies == sorted(entropies, reverse=True)
    prediction = tasks[0]["predictions"][0]
    assert prediction["model_version"].startswith("claimnet-") and 0 <= prediction["score"] <= 1
    region = prediction["result"][0]
    assert region["type"] == "labels" and 0 <= region["score"] <= 1
    assert tasks[0]["data"]["text"][region["value"]["start"]:region["value"]["end"]] == region["value"]["text"]
    # An annotator accepts every prediction; Label Studio's export has them as annotations.
    for t in tasks:
        t["annotations"] = [{"id": 1, "completed_by": 1, "result": t["predictions"][0]["result"]}]
    exported = tmp_path / "export.json"
    exported.write_text(json.dumps(tasks), encoding="utf-8")
    back = tmp_path / "back.jsonl"
    assert main(["data", "import", "--from", "labelstudio", str(exported), "-o", str(back), "--strict"]) == 0
    predicted = {t["data"]["id"]: [r["value"]["labels"][0] for r in t["predictions"][0]["result"]] for t in tasks}
    assert {a.id: a.labels() for a in load_articles(back, LABELS)} == predicted
    plain = tmp_path / "plain.json"
    assert main(["data", "export-tasks", SPLITS[1], "-o", str(plain), "--top", "5"]) == 0
    assert [t["data"]["id"] for t in json.loads(plain.read_text())] == [a.id for a in load_articles(SPLITS[1], LABELS)][:5]


@pytest.mark.parametrize("args, message", [
    (["data", "import", "--from", "csv", "missing.csv", "-o", "x.jsonl"], "missing.csv: no such file"),
    (["data", "import", "--from", "doccano", SPLITS[1], "-o", "x.jsonl", "--label-map", "oops"],
     "--label-map item 'oops' is not SOURCE=LABEL"),
    (["data", "stats", "--labels", "claim", SPLITS[1]], "data.labels must list at least 2 labels"),
])
def test_bad_input_is_exit_2_with_a_message(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_validate_counts_the_good_articles_of_a_file_with_a_bad_line(tmp_path, capsys):
    from claimnet.cli import main
    from helpers import DATA_DIR

    lines = (DATA_DIR / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:7]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([*lines, '{"id": "broken", "text": '])+ "\n", encoding="utf-8")
    assert main(["data", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "7 article(s) read: 1 error(s)" in err


def test_every_command_shows_its_defaults_in_help(capsys):
    import pytest

    from claimnet.cli import main

    for argv, shown in ((["serve", "--help"], "(default: 8080)"), (["tag", "--help"], "(default: text)")):
        with pytest.raises(SystemExit):
            main(argv)
        assert shown in capsys.readouterr().out, argv
