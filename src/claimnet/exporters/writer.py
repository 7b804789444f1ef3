"""Write an export's model files from a model, a tokenizer and explicit options: nothing else.

Hugging Face weights and tokenizer (what ``transformers.pipeline`` loads), the
ONNX graph with dynamic batch and sequence axes, and its token-wise int8 copy.
Choosing, scoring and describing the export is the finishing stage's job
(:mod:`claimnet.tasks.finish`).
"""

from __future__ import annotations

from pathlib import Path

from claimnet.exporters.huggingface import save_huggingface


def write_model(model, tokenizer, folder: str | Path, *, onnx: bool = True, int8: bool = True,
                opset: int = 18) -> None:
    """Save ``model`` and ``tokenizer`` into ``folder``, with ONNX fp32 and int8 graphs when asked."""
    folder = Path(folder)
    save_huggingface(model, tokenizer, folder)
    if not onnx:
        return
    from transformers import AutoModelForSequenceClassification

    from claimnet.exporters.onnx import export_onnx
    from claimnet.exporters.quantize import quantize_int8

    # from the saved weights, not the Trainer's model: accelerate wraps the Trainer's forward in autocast
    export_onnx(AutoModelForSequenceClassification.from_pretrained(str(folder)), folder, opset=opset)
    if int8:
        quantize_int8(folder)
