"""Model input: the target sentence, optionally paired with its context.

The context of sentence *i* is up to ``k`` sentences before and ``k`` after it
in the same article, joined by spaces (design.md, Model input). Truncation cuts
the context, never the target (a target longer than the model's limit on its
own is the one exception: it is cut and gets no context). Training and tagging
both encode through :class:`SentenceEncoder`, which needs only ``tokenizers``,
so what the runtime feeds the model is what the model was trained on.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

TOKENIZER_FILE = "tokenizer.json"


def vocabulary_fingerprint(tokenizer) -> dict[str, Any]:
    """Size and SHA-256 of a ``tokenizers.Tokenizer``'s vocabulary (token -> id, sorted by id)."""
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    listing = "\n".join(f"{i}\t{t}" for t, i in sorted(vocab.items(), key=lambda kv: kv[1]))
    return {"vocab_size": len(vocab), "vocab_sha256": hashlib.sha256(listing.encode("utf-8")).hexdigest()}


def context_pairs(sentences: Sequence[str], window: int) -> list[tuple[str, str | None]]:
    """Pair each sentence with its context window (``None`` when ``window`` is 0)."""
    if window < 0:
        raise ValueError(f"context window must be >= 0. Got {window} instead.")
    pairs: list[tuple[str, str | None]] = []
    for i, target in enumerate(sentences):
        if window == 0:
            pairs.append((target, None))
            continue
        around = [*sentences[max(0, i - window) : i], *sentences[i + 1 : i + 1 + window]]
        context = " ".join(s for s in around if s)
        pairs.append((target, context or None))
    return pairs


class SentenceEncoder:
    """Turns (target, context) pairs into token ids with target-preserving truncation."""

    def __init__(self, tokenizer, max_length: int, pad_id: int | None = None) -> None:
        tok = copy.deepcopy(tokenizer)
        tok.no_padding()
        tok.no_truncation()
        self.tokenizer = tok
        self.max_length = int(max_length)
        self._single = tok.num_special_tokens_to_add(False)
        self._pair = tok.num_special_tokens_to_add(True)
        if self.max_length <= self._pair + 1:
            raise ValueError(f"model.max_length must be an int above {self._pair + 1}. Got {max_length} instead.")
        self.pad_id = pad_id if pad_id is not None else (tok.token_to_id("[PAD]") or 0)

    @classmethod
    def from_dir(cls, model_dir: str | Path, max_length: int, pad_id: int | None = None) -> SentenceEncoder:
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_file(str(Path(model_dir) / TOKENIZER_FILE)), max_length, pad_id)

    def encode(self, pairs: Sequence[tuple[str, str | None]]) -> list[dict[str, list[int]]]:
        """Encode pairs into ``input_ids``, ``token_type_ids`` and ``attention_mask`` lists."""
        tok = self.tokenizer
        targets = tok.encode_batch([t for t, _ in pairs], add_special_tokens=False)
        ctx_index = [i for i, (_, c) in enumerate(pairs) if c]
        contexts = dict(
            zip(ctx_index, tok.encode_batch([pairs[i][1] for i in ctx_index], add_special_tokens=False))
        )
        out = []
        for i, target in enumerate(targets):
            context = contexts.get(i)
            if len(target.ids) + self._single >= self.max_length:
                target.truncate(self.max_length - self._single)
                context = None
            elif context is not None:
                budget = self.max_length - len(target.ids) - self._pair
                if budget <= 0:
                    context = None
                elif len(context.ids) > budget:
                    context.truncate(budget)
            enc = tok.post_process(target, context, add_special_tokens=True)
            out.append(
                {
                    "input_ids": enc.ids,
                    "token_type_ids": enc.type_ids,
                    "attention_mask": enc.attention_mask,
                }
            )
        return out

    def pad(self, encodings: Sequence[dict[str, list[int]]]) -> dict[str, np.ndarray]:
        """Pad a batch to its longest member (dynamic padding) as int64 arrays."""
        width = max(len(e["input_ids"]) for e in encodings)
        batch = {}
        for key, fill in (("input_ids", self.pad_id), ("token_type_ids", 0), ("attention_mask", 0)):
            arr = np.full((len(encodings), width), fill, dtype=np.int64)
            for row, e in enumerate(encodings):
                arr[row, : len(e[key])] = e[key]
            batch[key] = arr
        return batch
