"""Each importer on small exports in its tool's format (tests/fixtures/tools/), awkward cases included."""

from __future__ import annotations

import json

import pytest

from claimnet.data.alignment import Span, label_sentences
from claimnet.data.importers import LabelMap, import_source
from claimnet.errors import DataError
from claimnet.labels import DEFAULT_LABELS, LabelSet
from helpers import FIXTURES

TOOLS = FIXTURES / "tools"
LABELS = LabelSet.from_names(DEFAULT_LABELS)
EXPECTED = ["attribution", "claim", "hedge", "background", "hedge"]  # make_tool_exports.EXPECTED


def labels_of(article) -> list[str]:
    return [s.label for s in article.sentences]


def test_labelstudio_newest_annotation_precedence_crossing_spans_and_utf16_offsets():
    result = import_source("labelstudio", TOOLS / "labelstudio.json", LABELS)
    first, emoji, choice = result.articles
    assert first.id == "ls-1" and first.metadata == {"title": "Bridge"}
    assert labels_of(first) == EXPECTED  # annotation 2: the newest not cancelled one
    assert [emoji.text[s.start:s.end] for s in emoji.sentences] == ["🚒🚒 Fire crews said the road is closed.",
                                                                   "It may reopen."]
    assert labels_of(emoji) == ["attribution", "hedge"]
    assert labels_of(choice) == ["hedge", "hedge"] and "\r\n" in choice.text  # a choice labels the whole text
    c = result.counts
    assert (c.several_labels, c.crossing_spans, c.small_overlaps, c.defaulted) == (1, 2, 1, 1)
    assert c.skipped == {"cancelled annotations": 1, "older annotations on tasks with several annotators": 1,
                         "results of type 'relation'": 1,
                         "spans with UTF-16 offsets (old Label Studio), converted": 2}


def test_labelstudio_annotator_choice_and_strict():
    result = import_source("labelstudio", TOOLS / "labelstudio.json", LABELS, annotator="1")
    assert labels_of(result.articles[0]) == ["claim"] * 5  # annotator 1 labelled the whole text a claim
    with pytest.raises(DataError, match=r"task 0 \(id 11\): sentence 3 .* is covered by no labelled span"):
        import_source("labelstudio", TOOLS / "labelstudio.json", LABELS, default=None)


def test_labelstudio_offsets_that_match_neither_reading_are_refused(tmp_path):
    tasks = json.loads((TOOLS / "labelstudio.json").read_text(encoding="utf-8"))
    tasks[0]["annotations"][1]["result"][0]["value"]["text"] = "Police said three people were hurt."
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tasks), encoding="utf-8")
    with pytest.raises(DataError, match=r"task 0 \(id 11\) result 0: span 0:33 reads 'Police said two people were hurt.' "
                                        r"in the text but the export says 'Police said three people were hurt.'"):
        import_source("labelstudio", bad, LABELS)


def test_doccano_both_span_shapes_with_label_names_and_ids():
    mapping = LabelMap.parse(LABELS, "ATTR=attribution,CLM=claim,HDG=hedge,1=attribution,2=hedge,3=claim")
    result = import_source("doccano", TOOLS / "doccano_spans.jsonl", LABELS, label_map=mapping)
    assert [a.id for a in result.articles] == ["7", "8"]
    assert all(labels_of(a) == EXPECTED for a in result.articles)
    assert result.articles[1].metadata["meta"] == {"source": "x"}
    with pytest.raises(DataError, match=r"doccano_spans.jsonl:2 annotations 0: label '1' is not one of .* --label-map 1=LABEL"):
        import_source("doccano", TOOLS / "doccano_spans.jsonl", LABELS,
                      label_map=LabelMap.parse(LABELS, "ATTR=attribution,CLM=claim,HDG=hedge"))


def test_doccano_text_classification_is_grouped_into_articles_in_file_order():
    result = import_source("doccano", TOOLS / "doccano_classification.jsonl", LABELS)
    a1, a2 = result.articles
    assert (a1.id, a2.id) == ("a1", "a2")
    assert a1.sentence_texts() == ["Police said two people were hurt.", "The bridge may reopen in May.",
                                   "The council approved the budget."]
    assert labels_of(a1) == ["attribution", "hedge", "claim"]  # two labels on one line: precedence
    assert result.counts.several_labels == 1


def test_brat_discontinuous_spans_crlf_and_ignored_lines():
    result = import_source("brat", TOOLS / "brat", LABELS)
    (article,) = result.articles
    assert article.id == "crlf" and "\r\n" in article.text
    assert article.sentence_texts() == ["Police said two people were hurt.", "The bridge may reopen in May.",
                                        "Café owners expect 300 visitors."]
    assert labels_of(article) == ["attribution", "hedge", "hedge"]
    assert result.counts.skipped == {"attribute lines": 1, "relation lines": 1, "note lines": 1,
                                     "discontinuous spans (each fragment labelled)": 1}


def test_csv_rows_stay_sentences_and_the_segmenter_cuts_them_back():
    from claimnet.runtime.segmentation import segment

    result = import_source("csv", TOOLS / "sentences.csv", LABELS,
                           columns={"article_id": "doc", "sentence": "text", "label": "tag"})
    a1, a2 = result.articles
    assert a1.sentence_texts() == ["Police said two people were hurt.", "The bridge may reopen in May.",
                                   "It rained. Then it stopped."]
    assert labels_of(a1) == ["attribution", "hedge", "claim"] and labels_of(a2) == ["attribution"]
    assert segment(a2.text) == a2.spans()  # rebuilt text: cut back into the same rows
    assert result.counts.skipped == {"rows the segmenter would cut into several sentences (kept whole)": 1}
    with pytest.raises(DataError, match=r"sentences.csv:5: claimnet's segmenter cuts this row into 2 sentences"):
        import_source("csv", TOOLS / "sentences.csv", LABELS, strict=True,
                      columns={"article_id": "doc", "sentence": "text", "label": "tag"})
    with pytest.raises(DataError, match=r"no column\(s\) \['article_id', 'sentence', 'label'\]; the header is"):
        import_source("csv", TOOLS / "sentences.csv", LABELS)


def test_a_span_labels_a_sentence_only_past_half_its_non_space_characters():
    text = "One two three four. Five six seven eight."
    sents, counts, _ = label_sentences(text, [Span(0, 9, "claim"), Span(20, 41, "hedge")], LABELS, "background")
    assert [s.label for s in sents] == ["background", "hedge"]  # "One two t" is 7 of 16 characters
    assert counts.small_overlaps == 1 and counts.defaulted == 1


def test_lone_surrogates_and_bom_are_handled(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "Police said \ud800 it.", "label": [[0, 6, "claim"]]}) + "\n")
    with pytest.raises(DataError, match=r"bad.jsonl:1: the text holds a lone surrogate \(U\+D800 at character 12\)"):
        import_source("doccano", bad, LABELS)
    bom = tmp_path / "bom.jsonl"
    bom.write_text(json.dumps({"text": "\ufeffPolice said so.", "label": [[1, 16, "attribution"]]}) + "\n")
    (article,) = import_source("doccano", bom, LABELS).articles
    assert article.sentences[0].start == 1 and article.sentence_texts() == ["Police said so."]


def test_strict_refuses_a_heading_span_the_segmenter_merged_into_the_next_sentence():
    text = "BREAKING NEWS The minister said on Tuesday that the plan was dead."
    spans = [Span(0, 13, "background"), Span(14, len(text), "attribution")]
    labels = LabelSet.from_names(DEFAULT_LABELS)
    sentences, counts, problems = label_sentences(text, spans, labels, default="background")
    assert [s.label for s in sentences] == ["attribution"] and counts.small_overlaps == 1  # counted, not refused
    _, _, strict = label_sentences(text, spans, labels, default=None)
    assert len(strict) == 1 and "span 0:13 (background, 'BREAKING NEWS')" in strict[0] and "merged" in strict[0]


def test_csv_problems_name_the_line_a_record_starts_on(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text('article_id,sentence,label\na,"Police said\nso, in two lines.",nolabel\na,"Fine.",claim\n'
                    'a,"Also bad.",other\n', encoding="utf-8")
    with pytest.raises(DataError) as info:
        import_source("csv", path, LabelSet.from_names(DEFAULT_LABELS))
    assert [p.split(": ", 1)[0] for p in info.value.problems] == [f"{path}:2", f"{path}:5"]


def test_a_json_array_is_read_an_element_at_a_time_across_chunk_boundaries(tmp_path):
    from claimnet.data.jsonl import iter_json_array

    items = [{"id": i, "text": "é" * (i * 7), "n": 12345678901234567890 + i} for i in range(40)]
    path = tmp_path / "tasks.json"
    path.write_text("\ufeff[\n " + " ,\n".join(json.dumps(x, ensure_ascii=False) for x in items) + "\n]\n",
                    encoding="utf-8")
    assert [x for _, x in iter_json_array(path, "tasks", chunk=16)] == items  # BOM, multi-byte chars cut anywhere
    path.write_text('[{"a": 1}, {"b": ', encoding="utf-8")
    with pytest.raises(DataError, match="element 1 is not valid JSON"):
        list(iter_json_array(path, "tasks", chunk=8))


def test_a_streamed_label_studio_import_yields_articles_as_it_reads_and_fails_whole_at_the_end(tmp_path):
    tasks = json.loads((FIXTURES / "tools" / "labelstudio.json").read_text(encoding="utf-8"))
    path = tmp_path / "export.json"
    path.write_text(json.dumps([*tasks, {"id": 99, "data": {"text": 5}, "annotations": []}]), encoding="utf-8")
    result = import_source("labelstudio", path, LabelSet.from_names(DEFAULT_LABELS), stream=True)
    first = next(iter(result.articles))  # built before the bad task at the end was read
    assert first.sentences
    with pytest.raises(DataError, match="task 3"):
        list(result.articles)
    from claimnet.cli import main

    out = tmp_path / "out.jsonl"
    assert main(["data", "import", "--from", "labelstudio", str(path), "-o", str(out)]) == 2
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["export.json"]  # nothing half-written
