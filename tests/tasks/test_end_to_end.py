"""scripts/train.py end to end on a slice of the corpus: run folder, export, evaluation, tagging."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from claimnet import ClaimTagger, ModelLoadError
from claimnet.runtime.files import sha256_file
from claimnet.runtime.segmentation import segment
from helpers import DATA_DIR, LABELS, run_cli, run_script


def test_run_folder_layout(trained_run):
    for name in ("config.yaml", "versions.json", "summary.json", "train.log",
                 "eval/dev/metrics.json", "eval/test/metrics.json", "eval/test/predictions.jsonl", "export"):
        assert (trained_run / name).exists(), name
    versions = json.loads((trained_run / "versions.json").read_text())
    assert versions["torch"] and versions["transformers"] and versions["claimnet"] == "0.1.0"
    metrics = json.loads((trained_run / "eval/test/metrics.json").read_text())
    assert metrics["schema_version"] == 1 and set(metrics["per_label"]) == set(LABELS)
    assert metrics["sentences"] == sum(1 for _ in open(trained_run / "eval/test/predictions.jsonl"))
    assert not list(trained_run.glob(".export-*")), "temporary export folders must not remain"


def test_last_lines_are_headline_report_and_export(trained_run):
    last = (trained_run / "stdout.txt").read_text().strip().splitlines()[-3:]
    assert last[0].startswith("test: macro-F1 ") and "hedge" in last[0]
    assert last[1].startswith("Report: ") and last[2] == f"Export: {trained_run / 'export'}"


def test_export_is_safe_and_checksummed(export_dir):
    files = sorted(p.relative_to(export_dir).as_posix() for p in export_dir.rglob("*") if p.is_file())
    assert {"model.safetensors", "config.json", "tokenizer.json", "claimnet.json", "README.md"} <= set(files)
    assert not [f for f in files if f.endswith((".bin", ".pt", ".pth", ".pkl", ".ckpt"))]
    manifest = json.loads((export_dir / "claimnet.json").read_text())
    assert manifest["format_version"] == 3 and manifest["labels"] == LABELS
    assert manifest["model"]["kind"] == "sentence" and manifest["model"]["context_window"] == 0
    assert manifest["segmentation"]["max_chunk_chars"] == 2000 and manifest["segmentation"]["language"] == "en"
    assert manifest["tokenizer"]["vocab_size"] == 30522 and manifest["tokenizer"]["pad_token_id"] == 0
    assert set(manifest["files"]) == set(files) - {"claimnet.json"}
    for name, digest in manifest["files"].items():
        assert sha256_file(export_dir / name) == digest
    config = json.loads((export_dir / "config.json").read_text())
    assert config["id2label"] == {str(i): l for i, l in enumerate(LABELS)}
    assert "test" in manifest["metrics"] and "macro_f1" in manifest["metrics"]["test"]


def test_pipeline_loads_the_export_and_agrees_with_the_tagger(export_dir, test_article):
    from transformers import pipeline

    clf = pipeline("text-classification", model=str(export_dir), top_k=None)
    tagger = ClaimTagger.load(export_dir, backend="torch", precision="fp32")
    tagger.temperature, tagger.biases[:] = 1.0, 0.0  # the model's own softmax, what the pipeline shows
    text = test_article["text"]
    spans = [(s["start"], s["end"]) for s in test_article["sentences"]][:5]
    ours = tagger.predict_spans([text], [spans])[0]
    for (s, e), probs in zip(spans, ours):
        theirs = {d["label"]: d["score"] for d in clf({"text": text[s:e]})}
        assert np.allclose([theirs[l] for l in LABELS], probs, atol=1e-4)


def test_cli_tags_a_wikinews_article(export_dir, test_article, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text(test_article["text"], encoding="utf-8")
    proc = run_cli("tag", "--model", str(export_dir), "--format", "json", str(article))
    assert proc.returncode == 0, proc.stderr
    (result,) = json.loads(proc.stdout)  # --format json is always a list, one object per article
    assert result["id"] == str(article)
    assert [(s["start"], s["end"]) for s in result["sentences"]] == segment(test_article["text"])
    first = result["sentences"][0]
    assert first["label"] in LABELS and set(first["scores"]) == set(LABELS)
    assert sum(first["scores"].values()) == pytest.approx(1.0, abs=1e-4)
    text_proc = run_cli("tag", "--model", str(export_dir), "-", input=test_article["text"].encode())
    lines = text_proc.stdout.decode().strip().splitlines()
    assert len(lines) == len(result["sentences"]) and lines[0].split()[0] in LABELS


def test_cli_rejects_empty_binary_and_missing_inputs(export_dir, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    proc = run_cli("tag", "--model", str(export_dir), str(empty))
    assert proc.returncode == 0 and b"empty, nothing to tag" in proc.stderr
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    proc = run_cli("tag", "--model", str(export_dir), str(binary))
    assert proc.returncode == 2 and b"binary file" in proc.stderr and b"Traceback" not in proc.stderr
    proc = run_cli("tag", "--model", str(tmp_path / "nothing"), "-", input=b"Some text.")
    assert proc.returncode == 2 and b"no such model folder" in proc.stderr


def test_evaluate_writes_metrics_for_a_run_folder(trained_run, tmp_path):
    import claimnet

    out = tmp_path / "eval"
    returned = claimnet.evaluate([f"model_path={trained_run}", f"data_path={DATA_DIR / 'dev.jsonl'}",
                                  f"output_dir={out}", "evaluation.bootstrap_resamples=20"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert returned["macro_f1"] == metrics["macro_f1"]
    assert {"macro_f1", "accuracy", "per_label", "confusion_matrix"} <= set(metrics)
    assert metrics["sentences"] == 719


def test_evaluate_exit_codes_for_user_errors(export_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    good = (DATA_DIR / "dev.jsonl").read_text(encoding="utf-8").splitlines()[0]
    bad.write_text(good + "\n" + good[:50] + "\n", encoding="utf-8")
    not_utf8, string_f1, deep = tmp_path / "latin1.json", tmp_path / "strings.json", tmp_path / "deep.jsonl"
    not_utf8.write_bytes(b"\xff\xfe{}")
    string_f1.write_text('{"macro_f1": "high", "per_label": {}}')
    deep.write_text('{"id": "a", "text": ' + "[" * 50_000 + "}\n")
    cases = {
        "malformed data": ([f"model_path={export_dir}", f"data_path={bad}"], "bad.jsonl:2: not valid JSON"),
        "missing model": ([f"model_path={tmp_path / 'none'}"], "/none: does not exist; pass model_path=DIR"),
        "bad value": ([f"model_path={export_dir}", "evaluation.backend=tf"], "evaluation.backend must be one of"),
        "unknown key": ([f"model_path={export_dir}", "no_such_key=1"], "no_such_key"),
        "missing model_path": ([], "model_path"),
        "compare_to not UTF-8": ([f"model_path={export_dir}", f"compare_to={not_utf8}"], "is not UTF-8"),
        "compare_to with a string F1": ([f"model_path={export_dir}", f"compare_to={string_f1}"],
                                        "macro_f1 and per_label.<label>.f1 must be finite numbers"),
        "deeply nested line": ([f"model_path={export_dir}", f"data_path={deep}"],
                               "deep.jsonl:1: JSON nested too deeply to be an article"),
        "output_dir under a file": ([f"model_path={export_dir}", f"output_dir={not_utf8}/report"],
                                    "is a file, so the folder cannot be made there"),
    }
    for name, (overrides, message) in cases.items():
        if not any(o.startswith("output_dir=") for o in overrides):
            overrides = [*overrides, f"output_dir={tmp_path / 'out'}"]
        proc = run_script("evaluate.py", *overrides)
        assert proc.returncode == 2, (name, proc.returncode, proc.stderr[-1500:])
        assert message in proc.stderr, (name, proc.stderr[-1500:])
        assert "Traceback" not in proc.stderr, name


def test_train_script_rejects_bad_values_with_exit_2(tmp_path):
    proc = run_script("train.py", "trainer.precision=fp8", f"paths.output_dir={tmp_path}")
    assert proc.returncode == 2
    assert "trainer.precision must be one of ['auto', 'bf16', 'fp16', 'fp32']. Got 'fp8' instead." in proc.stderr
    assert "Traceback" not in proc.stderr


def test_altered_or_missing_export_file_is_rejected_by_name(export_dir, tmp_path):
    copy = tmp_path / "export"
    shutil.copytree(export_dir, copy)
    with open(copy / "model.safetensors", "r+b") as fh:
        fh.seek(-16, os.SEEK_END)
        fh.write(b"\x00" * 16)
    with pytest.raises(ModelLoadError, match=r"model.safetensors: SHA-256 .* does not match the manifest"):
        ClaimTagger.load(copy, backend="torch")
    shutil.copy(export_dir / "model.safetensors", copy / "model.safetensors")
    ClaimTagger.load(copy, backend="torch")  # restored: loads again
    (copy / "tokenizer.json").unlink()
    with pytest.raises(ModelLoadError, match=r"tokenizer.json: missing from the export"):
        ClaimTagger.load(copy, backend="torch")


def test_tag_many_keeps_input_order(export_dir, test_article):
    tagger = ClaimTagger.load(export_dir, backend="torch", precision="fp32", batch_size=4)
    texts = [test_article["text"], "Short text here.", "Police said two people were hurt. It may rain."]
    many = tagger.tag_many(texts)
    assert [[(s.start, s.end, s.label) for s in r] for r in many] == [
        [(s.start, s.end, s.label) for s in tagger.tag(t)] for t in texts
    ]
    assert many[1][0].text == "Short text here."


def test_the_manifest_names_no_folder_of_the_machine_that_built_it(export_dir, trained_run):
    manifest = json.loads((export_dir / "claimnet.json").read_text())
    text = json.dumps(manifest)
    assert str(trained_run.parent) not in text and "/tmp/" not in text
    assert manifest["run"]["dir"] == trained_run.name
    assert manifest["run"]["training"]["best_checkpoint"].startswith("checkpoints/checkpoint-")


def test_train_log_has_the_epoch_figures_and_no_library_chatter(trained_run):
    log = (trained_run / "train.log").read_text()
    assert "dev macro-F1" in log and "train loss" in log and "| attribution " in log
    assert "[onnx_ir" not in log and "[onnxscript" not in log


def test_a_failed_job_leaves_no_folder_behind(tmp_path, export_dir):
    out = tmp_path / "out"
    bad = run_script("train.py", "trainer.precision=fp8", f"paths.output_dir={out}")
    assert bad.returncode == 2
    missing = run_script("evaluate.py", "model_path=/nowhere", f"paths.output_dir={out}")
    assert missing.returncode == 2
    report = tmp_path / "report"
    ok = run_script("evaluate.py", f"model_path={export_dir}", f"output_dir={report}", f"paths.output_dir={out}",
                    "evaluation.bootstrap_resamples=10", "evaluation.baselines=false")
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert not out.exists() or not any(out.rglob("*"))  # nothing under outputs/, with output_dir= given
    assert (report / "metrics.json").is_file() and not (report / ".hydra").exists()


def test_scores_are_temperature_scaled_on_dev_and_labels_stay_the_same(export_dir, trained_run):
    manifest = json.loads((export_dir / "claimnet.json").read_text())
    calibration = manifest["calibration"]
    assert calibration["fitted_on"] == "dev" and calibration["temperature"] > 0
    assert set(calibration["test"]) >= {"ece_before", "ece_after", "temperature"}
    metrics = json.loads((trained_run / "eval" / "test" / "metrics.json").read_text())
    assert metrics["calibration"]["ece_after"] == pytest.approx(metrics["ece"], abs=1e-6)
    assert "before temperature scaling" in (trained_run / "eval" / "test" / "report.md").read_text()
    assert "temperature-scaled" in (export_dir / "README.md").read_text()
    biases = calibration["decision_biases"]
    assert set(biases) >= {"held_out_gain", "applied"} and ("biases" in biases) == biases["applied"]
    # format 3: T and the kept biases are folded into the head, so the runtime applies nothing and the served
    # probabilities are softmax(logits / T + biases) of the trained (unfolded) checkpoint
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tagger = ClaimTagger.load(export_dir, backend="onnx", precision="fp32")
    assert tagger.temperature == 1.0 and not tagger.biases.any()
    text = json.loads((DATA_DIR / "test.jsonl").read_text().splitlines()[0])["text"]
    sentences = [text[s:e] for s, e in tagger.segment(text)]
    served = tagger.sentence_outputs([(s, None) for s in sentences])
    best = Path(json.loads((trained_run / "summary.json").read_text())["training"]["best_checkpoint"])
    best = best if best.is_absolute() else trained_run / best
    model = AutoModelForSequenceClassification.from_pretrained(str(best)).eval()
    enc = AutoTokenizer.from_pretrained(str(export_dir))(sentences, padding=True, truncation=True, max_length=64,
                                                          return_tensors="pt")
    with torch.no_grad():
        logits = model(**enc).logits.numpy()
    chosen = biases.get("biases") or {}
    calibrated = logits / calibration["temperature"] + np.array([chosen.get(n, 0.0) for n in tagger.labels])
    expected = np.exp(calibrated - calibrated.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(served, expected, atol=1e-4)
    if not chosen:  # temperature alone never changes a label
        assert (served.argmax(1) == logits.argmax(1)).all()


def test_an_article_model_run_is_refused_by_export_with_the_reason(tmp_path):
    """Article training was retired: re-exporting such a run says so (exit 2), it does not crash."""
    from helpers import run_script

    run = tmp_path / "article-run"
    run.mkdir()
    (run / "config.yaml").write_text("model:\n  kind: article\n  name: x\n")
    proc = run_script("export.py", f"run_dir={run}")
    assert proc.returncode == 2, proc.stderr
    assert "article-model run" in proc.stderr and "retired" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("problem", ["missing train file", "malformed train line"])
def test_a_data_error_leaves_no_run_folder_and_no_running_link(tmp_path, problem):
    out = tmp_path / "out"
    train = tmp_path / "train.jsonl"
    if problem == "malformed train line":
        good = (DATA_DIR / "train.jsonl").read_text(encoding="utf-8").splitlines()[:5]
        train.write_text("\n".join([*good, '{"id": "x", "text": "no sentences"}']) + "\n", encoding="utf-8")
    proc = run_script("train.py", "experiment=smoke", f"data.train_path={train}", f"paths.output_dir={out}")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and str(train) in proc.stderr
    assert not (out / "running").exists() and not (out / "latest").exists()
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()], sorted(out.rglob("*"))


def test_training_output_is_one_line_per_evaluation_and_no_library_noise(trained_run):
    out = (trained_run / "stdout.txt").read_text()
    err = (trained_run / "stderr.txt").read_text()
    assert not [line for line in out.splitlines() if line.startswith("{'")], "the Trainer's log dictionaries"
    evaluations = [line for line in out.splitlines() if "dev macro-F1" in line and "epoch" in line]
    assert evaluations and all(line.rstrip().endswith(" s") for line in evaluations)  # elapsed time last
    for noise in ("Warning", "torchvision", "Writing model shards", "Loading weights"):
        assert noise not in err, noise


def test_the_tiny_test_model_says_it_is_an_untrained_test_model(export_dir):
    manifest = json.loads((export_dir / "claimnet.json").read_text())
    assert manifest["model"]["untrained_test_model"] is True
    card = (export_dir / "README.md").read_text()
    assert "An untrained test model" in card.split("\n## ")[0]  # before the card's first section


def test_a_run_says_whether_it_finished_or_failed_and_why(trained_run, tmp_path, monkeypatch):
    import claimnet
    import claimnet.tasks.finish

    assert (trained_run / "status").read_text() == "finished\n"

    def broken(*args, **kwargs):
        raise RuntimeError("the export's disk went away")

    monkeypatch.setattr(claimnet.tasks.finish, "finish_export", broken)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        claimnet.train(["experiment=smoke", f"paths.output_dir={out}", "evaluation.baselines=false"])
    run = (out / "running").resolve()
    assert (run / "status").read_text() == "failed: the export's disk went away\n"
    assert not (out / "latest").exists()  # nothing moved to a failed run
