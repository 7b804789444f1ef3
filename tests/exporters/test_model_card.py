"""The model card renders every section from its facts (a golden pattern, after SetFit's card test)."""

from __future__ import annotations

import re

from claimnet.exporters.model_card import CardData, render_card
from helpers import LABELS

METRICS = {
    "sentences": 713,
    "macro_f1": 0.8631,
    "accuracy": 0.884,
    "per_label": {l: {"f1": f} for l, f in zip(LABELS, (0.895, 0.769, 0.876, 0.912))},
    "intervals": {"resamples": 1000, "macro_f1": {"low": 0.815, "high": 0.897},
                  "per_label": {"hedge": {"low": 0.61, "high": 0.873, "resamples": 1000}}},
    "confusion_matrix": {"labels": LABELS, "matrix": [[264, 4, 33, 2], [1, 25, 2, 0], [20, 7, 258, 11], [2, 1, 0, 83]]},
}

PATTERN = re.compile(
    r"^---\nlicense: apache-2\.0\n.*base_model: sentence-transformers/all-MiniLM-L6-v2\n.*"
    r"      value: 0\.8631\n---\n\n# claimnet-all-MiniLM-L6-v2\n\n"
    r"Tags each sentence of a news article as one of: attribution, hedge, claim, background\.\n.*"
    r"- \*\*hedge\*\*: uncertain\n.*"
    r"\| test \(713 sentences\) \| 0\.863 \[0\.815, 0\.897\] \| 0\.884 \| 0\.895 \| 0\.769 \[0\.610, 0\.873\] \|.*"
    r"\| hedge \| 1 \| 25 \| 2 \| 0 \|.*"
    r"\| `onnx/model\.int8\.onnx` \| ONNX int8 .* \| 23\.6 MB \|.*"
    r"int8 agrees with fp32 on 99\.0% of sentences; macro-F1 0\.8300 \(int8\) vs 0\.8345 \(fp32\)\..*"
    r"paired with up to 1 sentence\(s\) on each side as context; at most 192 tokens\..*"
    r"Training time: 395 s on .*"
    r"ClaimTagger\.load\(\"path/to/export\"\).*"
    r'"text_pair": .*'
    r"session = ort\.InferenceSession\(\"path/to/export/onnx/model\.int8\.onnx\"\).*"
    r"- Base model: `sentence-transformers/all-MiniLM-L6-v2` \(Apache-2\.0\)\.\n"
    r"- Training data: claimnet-wikinews, CC BY 2\.5; article texts by Wikinews contributors",
    re.DOTALL,
)


def card(**changes) -> CardData:
    facts = dict(
        model_name="claimnet-all-MiniLM-L6-v2", base_model="sentence-transformers/all-MiniLM-L6-v2",
        base_license="Apache-2.0", labels=LABELS,
        label_descriptions={"attribution": "a source", "hedge": "uncertain", "claim": "firm", "background": "else"},
        dataset="claimnet-wikinews", dataset_version="1.3", data_license="CC BY 2.5",
        train_counts={"claim": 2986, "attribution": 2530, "hedge": 185, "background": 726},
        context_window=1, max_length=192, recipe={"learning_rate": 5e-5}, train_seconds=394.9, hardware="a CPU",
        metrics={"test": METRICS},
        file_sizes={"model.safetensors": 90_871_032, "onnx/model.onnx": 91_728_852, "onnx/model.int8.onnx": 23_599_364},
        int8={"split": "dev", "agreement_with_fp32": 0.99, "macro_f1_int8": 0.83, "macro_f1_fp32": 0.8345,
              "included": True, "max_drop": 0.01},
        data_source="article texts by Wikinews contributors (https://en.wikinews.org)",
        data_about="English Wikinews in a neutral register",
    )
    facts.update(changes)
    return CardData(**facts)


def test_card_matches_the_golden_pattern():
    text = render_card(card())
    assert PATTERN.match(text), text


def test_card_says_when_int8_was_left_out_and_uses_fp32_onnx():
    text = render_card(card(
        int8={"split": "dev", "agreement_with_fp32": 0.9, "macro_f1_int8": 0.7, "macro_f1_fp32": 0.83,
              "included": False, "max_drop": 0.01},
        file_sizes={"model.safetensors": 1, "onnx/model.onnx": 1}, context_window=0))
    assert "The int8 model was left out: it lost more than 0.01 macro-F1." in text
    assert 'InferenceSession("path/to/export/onnx/model.onnx")' in text
    assert 'clf("The ministry said the bridge will reopen in May.")' in text


def test_a_card_for_other_data_never_claims_wikinews():
    text = render_card(card(dataset="my-news", data_license="CC BY 4.0", data_source=None, data_about=None))
    assert "wikinews" not in text.lower()
    assert "- Training data: my-news, CC BY 4.0." in text and "It was trained on my-news (6427 training sentences)." in text
