"""Exporting the article-level model: weights, tokenizer, and its two ONNX graphs.

``onnx/encoder.onnx`` maps a batch of sentences (``input_ids``, ``attention_mask``,
``token_type_ids``) to one mean-pooled vector each; ``onnx/contextualiser.onnx``
maps one window of sentence vectors and paragraph flags to logits. Both have
dynamic shapes (sentences, tokens, window length). No ``config.json`` is
written: ``transformers.pipeline()`` must not take this for a sentence classifier.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from claimnet.runtime.backends import ARTICLE_FILES, CONTEXTUALISER_FILE, WEIGHTS_FILE

ENCODER_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def save_article_model(model, tokenizer, export_dir: str | Path) -> None:
    """The model's weights (safetensors, for fine-tuning on) and the tokenizer's files."""
    from safetensors.torch import save_file

    export_dir = Path(export_dir)
    export_dir.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    save_file(state, str(export_dir / WEIGHTS_FILE))
    tokenizer.save_pretrained(str(export_dir))
    umask = os.umask(0)
    os.umask(umask)
    for path in export_dir.iterdir():
        if path.is_file():
            path.chmod(0o666 & ~umask)


def _export(module, kwargs, dynamic, names, output, target: Path, opset: int) -> None:
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / target.name
        with torch.no_grad():
            torch.onnx.export(module, (), str(staged), kwargs=kwargs, input_names=list(names), output_names=[output],
                              dynamic_shapes=dynamic, dynamo=True, external_data=False, opset_version=opset,
                              verbose=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), target)


def export_article_onnx(model, export_dir: str | Path, opset: int = 18) -> None:
    """Write the encoder and contextualiser graphs of an :class:`~claimnet.training.article.ArticleModel`."""
    import torch
    from torch.export import Dim

    export_dir = Path(export_dir)
    model = model.float().eval().cpu()

    class Encoder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids, attention_mask, token_type_ids)

    class Window(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, vectors, paragraph):
            mask = torch.ones_like(paragraph, dtype=torch.bool)
            return self.inner(vectors, paragraph, mask)

    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 2000, (3, 11), generator=generator)
    batch, seq = Dim("batch"), Dim("seq")
    _export(Encoder(model.sentences).eval(),
            {"input_ids": ids, "attention_mask": torch.ones_like(ids), "token_type_ids": torch.zeros_like(ids)},
            {name: {0: batch, 1: seq} for name in ENCODER_INPUTS}, ENCODER_INPUTS, "vectors",
            export_dir / ARTICLE_FILES["fp32"], opset)
    width = model.context.head.in_features
    sentences = Dim("sentences", min=1, max=model.window)
    _export(Window(model.context).eval(),
            {"vectors": torch.randn(1, 7, width, generator=generator),
             "paragraph": torch.tensor([[1, 0, 0, 1, 0, 1, 0]])},
            {"vectors": {1: sentences}, "paragraph": {1: sentences}}, ("vectors", "paragraph"), "logits",
            export_dir / CONTEXTUALISER_FILE, opset)
