"""The article-level model (``model=article``): every sentence encoded once, then read in its article.

The encoder (MiniLM by default) turns each sentence into one vector (mean of its
token states, as sentence-transformers pools it); a small transformer over the
article's sequence of sentence vectors, told each sentence's position and
whether it opens a paragraph, gives every sentence its label. Context thus costs
one pass of a 2-layer, 384-wide transformer per article instead of re-encoding
neighbours as text. Long articles are read in windows (:mod:`claimnet.runtime.windows`).

A batch is flat: all sentences of its windows in one padded token matrix, with
each sentence's window, position and paragraph flag, so the encoder sees what the
sentence model sees and the Trainer collects one row of logits per sentence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from claimnet.labels import LabelSet


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean of each sentence's token states over its real tokens.

    The sum is a batched matrix product (mask as a row vector times the states), not a
    sum over the sequence axis: onnxruntime's ReduceSum there adds in an order that
    depends on the batch (1e-6 apart), a product does not, so an exported encoder gives
    a sentence the same vector alone or beside others (int8 runs equal-length groups).
    """
    weights = mask.unsqueeze(1).to(hidden.dtype)  # (batch, 1, tokens)
    return torch.bmm(weights, hidden).squeeze(1) / weights.sum(-1).clamp(min=1.0)


class SentenceVectors(nn.Module):
    """Token ids -> one vector per sentence: the exported encoder graph."""

    def __init__(self, encoder: nn.Module, uses_token_types: bool) -> None:
        super().__init__()
        self.encoder = encoder
        self.uses_token_types = uses_token_types

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        extra = {"token_type_ids": token_type_ids} if self.uses_token_types and token_type_ids is not None else {}
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
        return mean_pool(hidden, attention_mask)


class ContextLayer(nn.Module):
    """One pre-norm transformer layer, written out so that it exports to plain ONNX ops.

    (``nn.TransformerEncoderLayer`` takes a fused fast path in eval mode that the
    ONNX exporter cannot lower.)
    """

    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.ff = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Dropout(dropout),
                                nn.Linear(2 * width, width))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, bias):
        b, n, w = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(w // self.heads) + bias
        attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, w)
        x = x + self.dropout(self.out(attended))
        return x + self.dropout(self.ff(self.norm2(x)))


class Contextualiser(nn.Module):
    """Sentence vectors of one or more windows -> logits: the exported contextualiser graph.

    ``vectors`` is (windows, sentences, width), ``paragraph`` marks the sentences
    that open a paragraph, ``mask`` the real (not padding) sentences.
    """

    def __init__(self, width: int, labels: int, window: int, layers: int = 2, heads: int = 4,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.position = nn.Embedding(window, width)
        self.paragraph = nn.Embedding(2, width)
        nn.init.normal_(self.position.weight, std=0.02)
        nn.init.normal_(self.paragraph.weight, std=0.02)
        self.layers = nn.ModuleList(ContextLayer(width, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, labels)

    def forward(self, vectors, paragraph, mask):
        positions = torch.arange(vectors.shape[1], device=vectors.device).unsqueeze(0)
        x = vectors + self.position(positions) + self.paragraph(paragraph)
        bias = (~mask.bool()).to(x.dtype)[:, None, None, :] * -1e4  # padding sentences are not attended to
        for layer in self.layers:
            x = layer(x, bias)
        return self.head(self.dropout(self.norm(x) + vectors))


class ArticleOutput(dict):
    """What the Trainer reads from the model: ``logits`` (one row per sentence of the batch)."""

    @property
    def logits(self) -> torch.Tensor:
        return self["logits"]


class ArticleModel(nn.Module):
    """Encoder + contextualiser, trained end to end on windows of whole articles."""

    def __init__(self, encoder: nn.Module, labels: int, window: int, uses_token_types: bool,
                 settings: Mapping[str, Any]) -> None:
        super().__init__()
        width = int(encoder.config.hidden_size)
        self.sentences = SentenceVectors(encoder, uses_token_types)
        self.context = Contextualiser(width, labels, window, int(settings["layers"]), int(settings["heads"]),
                                      float(settings["dropout"]))
        self.window = window
        self.config = encoder.config  # what the Trainer and its callbacks ask a model for

    def encode(self, input_ids, attention_mask, token_type_ids=None, chunk: int = 32):
        """Sentence vectors, the batch's sentences encoded in length-sorted chunks, each padded to its own longest.

        A batch of whole articles mixes 5-token datelines with 100-token quotes; padded
        together they cost 2-3x the attention the sentence model spends on the same sentences.
        """
        lengths = attention_mask.sum(1)
        order = torch.argsort(lengths)
        parts = []
        for lo in range(0, len(order), chunk):
            idx = order[lo : lo + chunk]
            width = int(lengths[idx].max().item())
            types = None if token_type_ids is None else token_type_ids[idx, :width]
            parts.append(self.sentences(input_ids[idx, :width], attention_mask[idx, :width], types))
        vectors = torch.cat(parts)
        return vectors[torch.argsort(order)]

    def forward(self, input_ids, attention_mask, sentence_window, sentence_position, paragraph_start,
                token_type_ids=None, labels=None):
        vectors = self.encode(input_ids, attention_mask, token_type_ids)
        windows = int(sentence_window.max().item()) + 1 if len(sentence_window) else 0
        length = int(sentence_position.max().item()) + 1 if len(sentence_position) else 0
        grid = vectors.new_zeros(windows, length, vectors.shape[-1])
        grid[sentence_window, sentence_position] = vectors
        paragraph = torch.zeros(windows, length, dtype=torch.long, device=vectors.device)
        paragraph[sentence_window, sentence_position] = paragraph_start.long()
        mask = torch.zeros(windows, length, dtype=torch.bool, device=vectors.device)
        mask[sentence_window, sentence_position] = True
        logits = self.context(grid, paragraph, mask)[sentence_window, sentence_position]
        return ArticleOutput(logits=logits)

    def head_parameters(self) -> list[nn.Parameter]:
        return list(self.context.parameters())


def build_article_model(source: str, labels: LabelSet, window: int, settings: Mapping[str, Any],
                        random_init: Mapping[str, Any] | None = None) -> ArticleModel:
    """The article model around ``source``'s encoder (pretrained, or random for tests)."""
    from transformers import AutoConfig, AutoModel

    names = dict(id2label=labels.id2label, label2id=labels.label2id)  # what the epoch log and the card read
    if random_init:
        encoder = AutoModel.from_config(AutoConfig.from_pretrained(source, **dict(random_init), **names))
    else:
        encoder = AutoModel.from_pretrained(source, **names)
    uses_token_types = int(getattr(encoder.config, "type_vocab_size", 0) or 0) > 1
    return ArticleModel(encoder, len(labels), window, uses_token_types, settings)


class ArticleCollator:
    """Windows (rows of the Arrow dataset) -> one flat batch of sentences, padded to its longest sentence."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        sentences = [ids for row in rows for ids in row["input_ids"]]
        longest = max(len(s) for s in sentences)
        ids = torch.full((len(sentences), longest), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(sentences), longest), dtype=torch.long)
        for i, s in enumerate(sentences):
            ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = 1
        flat = lambda key: torch.tensor([x for row in row_values(rows, key) for x in row])  # noqa: E731
        return {
            "input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids),
            "sentence_window": torch.tensor([w for w, row in enumerate(rows) for _ in row["input_ids"]]),
            "sentence_position": torch.tensor([p for row in rows for p in range(len(row["input_ids"]))]),
            "paragraph_start": flat("paragraph_start"),
            "labels": flat("labels"),
        }


def row_values(rows: Sequence[Mapping[str, Any]], key: str) -> list[Sequence[Any]]:
    return [row[key] for row in rows]


def head_optimizer(model: ArticleModel, learning_rate: float, head_learning_rate: float, weight_decay: float):
    """AdamW with the fresh contextualiser on its own (larger) learning rate; the Trainer adds the schedule."""
    head = {id(p) for p in model.head_parameters()}
    encoder = [p for p in model.parameters() if id(p) not in head]
    return torch.optim.AdamW([
        {"params": encoder, "lr": learning_rate, "weight_decay": weight_decay},
        {"params": model.head_parameters(), "lr": head_learning_rate, "weight_decay": weight_decay},
    ], lr=learning_rate)
