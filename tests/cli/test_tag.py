"""What a new user hands the tagger and `claimnet tag`: clear errors, one output shape, a findable model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from claimnet import ClaimTagger, ModelLoadError
from helpers import DATA_DIR, rewrite_manifest, run_cli


def test_tag_and_tag_many_check_their_argument_types(export_dir):
    tagger = ClaimTagger.load(export_dir)
    with pytest.raises(TypeError, match=r"tag_many\(\) takes a list of article texts, not one string"):
        tagger.tag_many("Police said so.")
    with pytest.raises(TypeError, match=r"tag\(\) takes the article's text as a str, got NoneType"):
        tagger.tag(None)
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        tagger.tag_many(["ok.", 3])
    assert repr(tagger) == (f"ClaimTagger(export={str(export_dir)!r}, backend='onnx', precision='int8', "
                            "labels=['attribution', 'hedge', 'claim', 'background'])")


def test_a_byte_order_mark_is_not_part_of_the_first_sentence(export_dir):
    text = "\ufeffPolice said two people were hurt. It may rain."
    first, second = ClaimTagger.load(export_dir).tag(text)
    assert (first.start, first.text) == (1, "Police said two people were hurt.")
    assert text[second.start:second.end] == second.text == "It may rain."


def test_the_default_model_comes_from_claimnet_model_then_outputs_latest(export_dir, tmp_path):
    env = {**os.environ, "CLAIMNET_MODEL": str(export_dir)}
    proc = subprocess.run([sys.executable, "-m", "claimnet.cli", "tag", "-"], input=b"Police said so.",
                          capture_output=True, cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0 and proc.stdout.decode().split()[0] in ClaimTagger.load(export_dir).labels
    env.pop("CLAIMNET_MODEL")
    proc = subprocess.run([sys.executable, "-m", "claimnet.cli", "tag", "-"], input=b"Police said so.",
                          capture_output=True, cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 2
    assert ("no model found: pass --model DIR, set CLAIMNET_MODEL=DIR, or train one so that "
            "outputs/latest/export exists") in proc.stderr.decode()


@pytest.mark.parametrize("fmt, expected", [("json", "[]\n"), ("jsonl", ""), ("text", "")])
def test_empty_input_is_an_empty_result_in_the_requested_format(export_dir, fmt, expected):
    proc = run_cli("tag", "--model", str(export_dir), "--format", fmt, "-", input=b"")
    assert proc.returncode == 0 and proc.stdout.decode() == expected
    assert "empty, nothing to tag" in proc.stderr.decode()


def test_json_is_a_list_for_one_file_and_for_two(export_dir, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("Police said so.")
    b.write_text("It may rain.")
    one = json.loads(run_cli("tag", "--model", str(export_dir), "--format", "json", str(a)).stdout)
    two = json.loads(run_cli("tag", "--model", str(export_dir), "--format", "json", str(a), str(b)).stdout)
    assert [d["id"] for d in one] == [str(a)] and [d["id"] for d in two] == [str(a), str(b)]


@pytest.mark.parametrize("option, value", [("--batch-size", "0"), ("--threads", "-3"), ("--batch-size", "x"),
                                           ("--workers", "0")])
def test_option_values_out_of_range_are_refused(export_dir, option, value):
    proc = run_cli("tag", "--model", str(export_dir), option, value, "-", input=b"Police said so.")
    assert proc.returncode == 2 and f"{option}: must be an int >= 1" in proc.stderr.decode()


def test_asking_for_int8_that_the_check_left_out_names_the_cause(tmp_path):
    left_out = rewrite_manifest(tmp_path, int8={"split": "dev", "included": False, "macro_f1_drop": 0.0164,
                                             "max_drop": 0.01})
    with pytest.raises(ModelLoadError, match=r"this export has no int8 model \(onnx/model.int8.onnx\): the export-time "
                                             r"check left it out \(it lost 0.0164 dev macro-F1 against fp32, more "
                                             r"than the 0.01 allowed\)"):
        ClaimTagger.load(left_out, precision="int8")


def test_lone_surrogates_and_a_narrow_stdout_never_reach_a_traceback(export_dir, tmp_path):
    tagger = ClaimTagger.load(export_dir)
    (first, _) = tagger.tag("Police said \ud800 so. It may rain.")
    assert first.text == "Police said \ud800 so."  # the output keeps the original text
    records = tmp_path / "in.jsonl"
    records.write_text('{"id": "a", "text": "Police said \\ud800 so. Fire 🚒 crews came."}\n')
    proc = run_cli("tag", "--model", str(export_dir), "--input", "jsonl", "--format", "jsonl", str(records))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert rows[0]["text"] == "Police said \ud800 so." and "🚒" in rows[1]["text"]
    for fmt in ("json", "text"):
        env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
        proc = subprocess.run([sys.executable, "-m", "claimnet.cli", "tag", "--model", str(export_dir), "--format",
                               fmt, "-"], input="Fire 🚒 crews came. Police said so.".encode(), capture_output=True,
                              env=env, timeout=120)
        assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    assert json.loads(subprocess.run(
        [sys.executable, "-m", "claimnet.cli", "tag", "--model", str(export_dir), "--format", "json", "-"],
        input="Fire 🚒 crews came.".encode(), capture_output=True, env=env, timeout=120).stdout)[0]["sentences"][0]["text"] == "Fire 🚒 crews came."


def test_tag_writes_sentences_while_the_input_is_still_arriving(export_dir):
    """Through a pipe: the first JSONL lines come out before standard input is closed."""
    import os
    import select
    import subprocess
    import sys

    env = {**os.environ, "CLAIMNET_MODEL": str(export_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "claimnet.cli", "tag", "--format", "jsonl", "-"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        sentence = "The council said the road would reopen on Monday. "
        proc.stdin.write((sentence * 600).encode())  # 600 sentences: two full windows of 256
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        assert ready, "nothing written while the input stayed open"
        first = json.loads(proc.stdout.readline())
        assert proc.poll() is None  # still waiting for the rest of the input
        assert first["start"] == 0 and first["text"] == sentence.strip() and first["id"] == "-"
        proc.stdin.write(b"Last one.")
        proc.stdin.close()
        rest = proc.stdout.read().decode().splitlines()
        assert proc.wait(60) == 0, proc.stderr.read()[-2000:]
    finally:
        proc.kill()
    records = [first, *map(json.loads, rest)]
    assert len(records) == 601 and records[-1]["text"] == "Last one."
    assert [r["start"] for r in records] == sorted(r["start"] for r in records)


def test_a_bad_byte_far_into_a_streamed_file_names_its_offset(export_dir, tmp_path):
    path = tmp_path / "late.txt"
    path.write_bytes(b"word" * 400_000 + b"\xff and then more.")  # past the first 1 MiB read
    proc = run_cli("tag", "--model", str(export_dir), "--format", "jsonl", str(path))
    assert proc.returncode == 2
    assert f"{path}: not valid UTF-8 (byte 0xff at offset {4 * 400_000})" in proc.stderr.decode()


def test_workers_tag_in_several_processes_and_keep_the_input_order(export_dir, tmp_path):
    records = tmp_path / "articles.jsonl"
    lines = [json.loads(line) for line in (DATA_DIR / "test.jsonl").read_text().splitlines()[:20]]
    lines.insert(7, {"id": "blank", "text": "   "})
    records.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in lines))
    common = ["tag", "--model", str(export_dir), "--input", "jsonl", "--format", "jsonl", str(records)]
    one = run_cli(*common)
    two = run_cli(*common, "--workers", "2")
    assert one.returncode == two.returncode == 0, two.stderr.decode()[-2000:]
    assert two.stdout == one.stdout, "2 processes give the same lines in the same order as one"
    ids = list(dict.fromkeys(json.loads(line)["id"] for line in two.stdout.decode().splitlines()))
    assert ids == [r["id"] for r in lines if r["id"] != "blank"]
    assert b"blank: empty, nothing to tag" in two.stderr


def test_ctrl_c_while_tagging_exits_130_in_one_line(export_dir):
    import signal
    import subprocess
    import sys
    import time

    # as from a terminal: a shell's background job starts its children with SIGINT ignored, and Python then
    # leaves it ignored (no KeyboardInterrupt), so the test would measure how it was started
    proc = subprocess.Popen([sys.executable, "-m", "claimnet.cli", "tag", "--model", str(export_dir), "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    proc.stdin.write(b"Police said so.\n")
    proc.stdin.flush()
    deadline = time.time() + 60
    while time.time() < deadline:  # the model is loaded (onnxruntime mapped in), so it waits for more input
        with open(f"/proc/{proc.pid}/maps") as maps:
            if "onnxruntime" in maps.read():
                break
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()[-2000:]
    assert err.decode().strip().splitlines()[-1] == "claimnet: interrupted" and b"Traceback" not in err
