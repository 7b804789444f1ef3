"""The export's model card (``README.md``, Hugging Face convention with YAML metadata).

Facts are collected into :class:`CardData` during the run and rendered through
the packaged ``model_card_template.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import claimnet
from claimnet.runtime.backends import ONNX_FILES, WEIGHTS_FILE
from claimnet.runtime.files import write_text


@dataclass
class CardData:
    """Everything the card states; filled from config, training and evaluation."""

    model_name: str
    base_model: str
    base_license: str
    labels: list[str]
    label_descriptions: dict[str, str]
    dataset: str
    dataset_version: str
    data_license: str
    train_counts: dict[str, int]
    context_window: int
    max_length: int
    recipe: dict[str, Any]
    train_seconds: float | None
    hardware: str
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    file_sizes: dict[str, int] = field(default_factory=dict)
    int8: dict[str, Any] | None = None
    data_source: str | None = None  # who made the texts and labels, for the licence section
    data_about: str | None = None   # what the data is like, for the limits section
    calibration: dict[str, Any] | None = None  # the manifest's temperature scaling and its ECE figures
    untrained_test_model: bool = False  # a small randomly initialised model (model.random_init): tests only


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _interval(ci: dict | None) -> str:
    if not ci or ci.get("low") is None:
        return ""
    return f" [{ci['low']:.3f}, {ci['high']:.3f}]"


def results_table(metrics: dict[str, dict[str, Any]], labels: list[str]) -> str:
    head = "| split | macro-F1 | accuracy | " + " | ".join(f"{l} F1" for l in labels) + " |"
    sep = "| --- | ---: | ---: | " + " | ".join("---:" for _ in labels) + " |"
    rows = [head, sep]
    for split, m in metrics.items():
        ci = m.get("intervals", {})
        cells = [
            f"{_fmt(m['per_label'][l]['f1'])}{_interval(ci.get('per_label', {}).get(l))}" for l in labels
        ]
        rows.append(
            f"| {split} ({m['sentences']} sentences) | {_fmt(m['macro_f1'])}{_interval(ci.get('macro_f1'))} "
            f"| {_fmt(m['accuracy'])} | " + " | ".join(cells) + " |"
        )
    return "\n".join(rows)


def confusion_markdown(metrics: dict[str, Any]) -> str:
    cm = metrics["confusion_matrix"]
    labels = cm["labels"]
    rows = ["| gold \\ predicted | " + " | ".join(labels) + " |",
            "| --- | " + " | ".join("---:" for _ in labels) + " |"]
    for label, row in zip(labels, cm["matrix"]):
        rows.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(rows)


EXPORT_FILE_FORMATS = {
    WEIGHTS_FILE: "Hugging Face weights (transformers, `ClaimTagger` backend torch)",
    ONNX_FILES["fp32"]: "ONNX fp32, dynamic batch and sequence axes",
    ONNX_FILES["int8"]: "ONNX int8 (token-wise dynamic quantization); `ClaimTagger`'s default on CPU",
}


def formats_table(file_sizes: dict[str, int]) -> str:
    rows = ["| file | what | size |", "| --- | --- | ---: |"]
    for name, what in EXPORT_FILE_FORMATS.items():
        if name in file_sizes:
            rows.append(f"| `{name}` | {what} | {file_sizes[name] / 1e6:.1f} MB |")
    return "\n".join(rows)


def int8_note(int8: dict[str, Any] | None) -> str:
    if not int8:
        return "No int8 model was made for this export."
    interval = int8.get("macro_f1_drop_interval")
    figures = (
        f"On the {int8['split']} split, int8 agrees with fp32 on {int8['agreement_with_fp32']:.1%} of sentences; "
        f"macro-F1 {int8['macro_f1_int8']:.4f} (int8) vs {int8['macro_f1_fp32']:.4f} (fp32)"
        + (f", a drop of {int8['macro_f1_drop']:.4f} (paired article bootstrap 95% interval "
           f"[{interval[0]:.4f}, {interval[1]:.4f}])" if interval else "") + "."
        + (f" The feed-forward output products of the lower {layers} layer{'s' if layers != 1 else ''} stay fp32 in "
           "it (export.int8_ffn_down_fp32_layers)." if (layers := int8.get("ffn_down_fp32_layers")) else "")
    )
    if int8["included"]:
        rule = f" It is kept: the rule leaves int8 out only when it loses more than {int8['max_drop']} dev macro-F1."
        return figures + (rule if "rule" in int8 else "")
    why = int8.get("reason") or f"it lost more than {int8['max_drop']} macro-F1"  # version-1 figures: no reason
    return f"The int8 model was left out: {why}. {figures}"


SENTENCE_USAGE = """With `transformers.pipeline` ($pipeline_note):

```python
from transformers import pipeline

clf = pipeline("text-classification", model="$export_name")
$pipeline_call
```

With onnxruntime and tokenizers only (no torch; probabilities are the softmax of `logits`):

```python
import numpy as np, onnxruntime as ort
from tokenizers import Tokenizer

tok = Tokenizer.from_file("$export_name/tokenizer.json")
tok.no_padding(); tok.no_truncation()
session = ort.InferenceSession("$export_name/$onnx_file")
enc = tok.encode("The ministry said the bridge will reopen in May.")
feed = {"input_ids": np.array([enc.ids]), "attention_mask": np.array([enc.attention_mask]),
        "token_type_ids": np.array([enc.type_ids])}
logits = session.run(None, feed)[0]
print($labels_literal[int(logits.argmax())])
```
"""

def calibration_note(calibration: dict[str, Any] | None) -> str:
    """One paragraph on the scores' temperature scaling, with ECE before and after."""
    if not calibration:
        return "Scores are the model's softmax, not calibrated."
    figures = "; ".join(f"{split} ECE {calibration[split]['ece_before']:.3f} -> {calibration[split]['ece_after']:.3f}"
                        for split in ("dev", "test") if split in calibration)
    return (f"Scores are temperature-scaled (T = {calibration['temperature']:.3f}, fitted on dev NLL; every "
            f"claimnet runtime path applies it, labels are unchanged): {figures}.")


def render_card(card: CardData, export_name: str = "path/to/export") -> str:
    source = resources.files("claimnet.exporters").joinpath("model_card_template.md")
    template = Template(source.read_text(encoding="utf-8"))
    test = card.metrics.get("test")
    any_metrics = next(iter(card.metrics.values()), {})
    counts = ", ".join(f"{v} {k}" for k, v in card.train_counts.items())
    recipe = ", ".join(f"{k} {v}" for k, v in card.recipe.items())
    values = dict(
        base_model=card.base_model,
        base_license=card.base_license,
        dataset=card.dataset,
        dataset_version=card.dataset_version,
        data_license=card.data_license,
        data_source=f"; {card.data_source}" if card.data_source else "",
        data_about=card.data_about or f"{card.dataset} ({sum(card.train_counts.values())} training sentences)",
        model_name=card.model_name,
        test_macro_f1=f"{test['macro_f1']:.4f}" if test else "null",
        label_list=", ".join(card.labels),
        claimnet_version=claimnet.__version__,
        label_table="\n".join(f"- **{l}**: {card.label_descriptions.get(l, '')}" for l in card.labels),
        resamples=any_metrics.get("intervals", {}).get("resamples", 0),
        results_table=results_table(card.metrics, card.labels) if card.metrics else "(not evaluated)",
        confusion_table=confusion_markdown(test) if test else "(not evaluated)",
        train_counts=f"train split: {counts}",
        context_note=(
            f", paired with up to {card.context_window} sentence(s) on each side as context"
            if card.context_window
            else " alone (no context)"
        ),
        max_length=card.max_length,
        recipe=recipe,
        train_seconds="—" if card.train_seconds is None else f"{card.train_seconds:.0f}",
        hardware=card.hardware,
        export_name=export_name,
        formats_table=formats_table(card.file_sizes),
        int8_note=int8_note(card.int8),
        calibration_note=calibration_note(card.calibration),
        onnx_file=ONNX_FILES["int8"] if ONNX_FILES["int8"] in card.file_sizes else ONNX_FILES["fp32"],
        labels_literal=repr(list(card.labels)),
        pipeline_note=(
            f"feed the sentence as `text` and its context, up to {card.context_window} sentence(s) on each side "
            "joined by spaces, as `text_pair`"
            if card.context_window
            else "this model reads the sentence alone"
        ),
        pipeline_call=(
            'clf({"text": "The ministry said the bridge will reopen in May.", '
            '"text_pair": "The bridge closed in March. Repairs began in April."})'
            if card.context_window
            else 'clf("The ministry said the bridge will reopen in May.")'
        ),
    )
    text = template.substitute(values, other_usage=Template(SENTENCE_USAGE).substitute(values))
    if card.untrained_test_model:
        lines = text.split("\n", 1)
        text = "\n".join([lines[0], "", "> **An untrained test model.** Its encoder was initialised at random "
                          "(`model.random_init`) and trained for seconds, to check the pipeline: its labels mean "
                          "nothing. Do not use it to tag anything.", *lines[1:]])
    return text


def write_card(card: CardData, export_dir: str | Path) -> Path:
    path = Path(export_dir) / "README.md"
    write_text(path, render_card(card))
    return path
