"""``ClaimTagger``: tag the sentences of raw articles with an exported model.

Segmentation, context and tokenization follow the export's manifest, so a
tagger feeds the model what it was trained on. With the ONNX backend it needs
only the base install (numpy, tokenizers, onnxruntime, pysbd).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from claimnet.backends import choose_backend, load_backend
from claimnet.features import SentenceEncoder, context_pairs
from claimnet.manifest import read_manifest, verify_files
from claimnet.segmentation import segment


DEFAULT_BATCH_SIZE = {"onnx": 16, "torch": 32}


@dataclass(frozen=True)
class TaggedSentence:
    """One sentence of an article with its predicted label and all label scores."""

    start: int
    end: int
    text: str
    label: str
    score: float
    scores: dict[str, float]

    def to_dict(self) -> dict:
        return asdict(self)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


class ClaimTagger:
    """A loaded export; safe to call from several threads."""

    def __init__(self, export_dir: Path, manifest: dict, backend, encoder: SentenceEncoder, batch_size: int) -> None:
        self.export_dir = export_dir
        self.manifest = manifest
        self.labels: list[str] = list(manifest["labels"])
        self.context_window: int = int(manifest["context_window"])
        self.backend = backend
        self.encoder = encoder
        self.batch_size = batch_size

    @classmethod
    def load(
        cls,
        model_dir: str | Path,
        backend: str = "auto",
        precision: str = "auto",
        batch_size: int | None = None,
        num_threads: int | None = None,
    ) -> ClaimTagger:
        """Load an export, verifying the checksums of the files the backend reads.

        ``batch_size`` defaults per backend to what measured fastest on length-sorted
        batches of the test split (2-core CPU): 16 for ONNX int8, 32 for torch bf16.
        """
        export_dir = Path(model_dir)
        manifest = read_manifest(export_dir)
        backend, precision, files = choose_backend(manifest, backend, precision)
        verify_files(export_dir, manifest, files)
        encoder = SentenceEncoder.from_dir(export_dir, manifest["max_length"])
        runner = load_backend(export_dir, backend, precision, num_threads)
        return cls(export_dir, manifest, runner, encoder, batch_size or DEFAULT_BATCH_SIZE[backend])

    @property
    def backend_name(self) -> str:
        return f"{self.backend.name}-{self.backend.precision}"

    def predict_proba(self, pairs: Sequence[tuple[str, str | None]]) -> np.ndarray:
        """Label probabilities for (target, context) pairs, batched by length."""
        if not pairs:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        encodings = self.encoder.encode(pairs)
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i]["input_ids"]))
        probs = np.zeros((len(encodings), len(self.labels)), dtype=np.float32)
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            batch = self.encoder.pad([encodings[i] for i in idx])
            probs[idx] = softmax(self.backend(batch))
        return probs

    def predict_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> list[np.ndarray]:
        """Probabilities for given sentence spans of several articles (one array per article)."""
        pairs: list[tuple[str, str | None]] = []
        sizes = []
        for text, article_spans in zip(texts, spans):
            sentences = [text[s:e] for s, e in article_spans]
            pairs.extend(context_pairs(sentences, self.context_window))
            sizes.append(len(sentences))
        probs = self.predict_proba(pairs)
        return np.split(probs, np.cumsum(sizes)[:-1]) if sizes else []

    def tag_many(self, texts: Sequence[str]) -> list[list[TaggedSentence]]:
        """Tag several articles in one batched pass; results keep the input order."""
        spans = [segment(t) for t in texts]
        results = []
        for text, article_spans, probs in zip(texts, spans, self.predict_spans(texts, spans)):
            tagged = []
            for (s, e), p in zip(article_spans, probs):
                best = int(p.argmax())
                tagged.append(
                    TaggedSentence(
                        s, e, text[s:e], self.labels[best], float(p[best]),
                        {l: float(x) for l, x in zip(self.labels, p)},
                    )
                )
            results.append(tagged)
        return results

    def tag(self, text: str) -> list[TaggedSentence]:
        """Segment one article and tag each sentence."""
        return self.tag_many([text])[0]
