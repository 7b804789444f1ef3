"""``ClaimTagger``: tag the sentences of raw articles with an exported model.

Segmentation, context and tokenization follow the export's manifest, so a
tagger feeds the model what it was trained on. With the ONNX backend it needs
only the base install (numpy, tokenizers, onnxruntime, pysbd).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.errors import ModelLoadError
from claimnet.labels import LabelSet
from claimnet.runtime.backends import DEFAULT_BATCH_SIZE, ContextualiserGraph, choose_backend, load_backend, onnx_graphs
from claimnet.runtime.encoding import SentenceEncoder, context_pairs, vocabulary_fingerprint
from claimnet.runtime.manifest import (
    FOLDED_FROM_VERSION,
    FORMAT_VERSION,
    MANIFEST_NAME,
    check_manifest,
    read_manifest,
    segmentation_settings,
    verify_files,
)
from claimnet.runtime.packages import resolve_model
from claimnet.runtime.segmentation import SegmentationSettings, iter_sentences, segment
from claimnet.runtime.windows import one_paragraph, paragraph_starts, windows


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


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def model_text(text: str) -> str:
    """What the model sees: a lone surrogate (not valid Unicode text) becomes U+FFFD; the output keeps the original."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


# Models whose position ids start after the padding index (fairseq heritage): two positions fewer.
_POSITION_OFFSET = {"roberta": 2, "xlm-roberta": 2, "camembert": 2}


def _cross_check(export_dir: Path, manifest: dict[str, Any], encoder: SentenceEncoder, runner,
                 verified: Sequence[str]) -> None:
    """The manifest against what the checksummed model files say; any disagreement is refused by name."""
    import json

    where = export_dir / MANIFEST_NAME
    labels = list(manifest["labels"])
    width = getattr(runner, "output_width", None)  # an article model: its contextualiser's
    if width is not None and width != len(labels):
        raise ModelLoadError(f"{where}: labels lists {len(labels)} labels but the model outputs {width} scores")
    if "config.json" not in manifest["files"]:
        return
    if "config.json" not in verified:  # the torch backend has checked it already
        verify_files(export_dir, manifest, ["config.json"])
    config = json.loads((export_dir / "config.json").read_text(encoding="utf-8"))
    id2label = config.get("id2label") or {}
    try:
        theirs = [id2label[str(i)] for i in range(len(id2label))]
    except KeyError:
        theirs = list(id2label.values())
    if theirs and theirs != labels:
        raise ModelLoadError(f"{where}: labels {labels} do not match config.json's id2label {theirs} (order "
                             "included); the manifest was edited or belongs to another model")
    positions = config.get("max_position_embeddings")
    if isinstance(positions, int):
        limit = positions - _POSITION_OFFSET.get(config.get("model_type"), 0)
        if encoder.max_length > limit:
            raise ModelLoadError(f"{where}: model.max_length {encoder.max_length} is more than the model's "
                                 f"{limit} positions (config.json)")
    rows = config.get("vocab_size")
    size = encoder.tokenizer.get_vocab_size(with_added_tokens=True)
    if isinstance(rows, int) and size > rows:
        raise ModelLoadError(f"{where}: the tokenizer has {size} tokens but the model's embeddings hold {rows} "
                             "rows (config.json vocab_size); the tokenizer is not the model's")
    pad = (manifest.get("tokenizer") or {}).get("pad_token_id")
    if pad is not None and config.get("pad_token_id") is not None and pad != config["pad_token_id"]:
        raise ModelLoadError(f"{where}: tokenizer.pad_token_id {pad} differs from config.json's pad_token_id "
                             f"{config['pad_token_id']}")


def _check_vocabulary(export_dir: Path, manifest: dict[str, Any], encoder: SentenceEncoder) -> None:
    recorded = manifest.get("tokenizer")
    if not recorded:  # version 1 recorded none
        return
    found = vocabulary_fingerprint(encoder.tokenizer)
    for key in ("vocab_size", "vocab_sha256"):
        if recorded.get(key) != found[key]:
            raise ModelLoadError(
                f"{export_dir / MANIFEST_NAME}: tokenizer.{key} is {recorded.get(key)!r} but the export's tokenizer "
                f"has {found[key]!r}; the tokenizer is not the one the model was trained with"
            )


class ClaimTagger:
    """A loaded export; safe to call from several threads."""

    def __init__(self, export_dir: Path, manifest: dict, backend, encoder: SentenceEncoder, batch_size: int,
                 segmentation: SegmentationSettings, contextualiser: ContextualiserGraph | None = None) -> None:
        self.export_dir = export_dir
        self.manifest = manifest
        self.label_set = LabelSet.from_names(manifest["labels"])
        self.context_window: int = int(manifest["model"]["context_window"])
        self.segmentation = segmentation
        self.backend = backend
        self.encoder = encoder
        self.batch_size = batch_size
        self.kind: str = manifest["model"].get("kind", "sentence")
        self.contextualiser = contextualiser  # an article model's: reads each article's sentence vectors
        # Fitted on dev at export: logits / T (+ decision biases, where they paid). Format 3 folds them into the
        # weights (nothing to apply here); an older export leaves them to the runtime.
        folded = int(manifest.get("format_version", FORMAT_VERSION)) >= FOLDED_FROM_VERSION
        calibration = {} if folded else (manifest.get("calibration") or {})
        self.temperature = float(calibration.get("temperature", 1.0))
        chosen = (calibration.get("decision_biases") or {}).get("biases") or {}
        self.biases = np.array([float(chosen.get(name, 0.0)) for name in self.label_set.names], dtype=np.float32)

    @classmethod
    def load(
        cls,
        model_dir: str | Path,
        backend: str = "auto",
        precision: str = "auto",
        batch_size: int | None = None,
        num_threads: int | None = None,
        manifest: dict[str, Any] | None = None,
    ) -> ClaimTagger:
        """Load an export, verifying the checksums of the files the backend reads.

        ``manifest`` is for an export still being built (scored before its manifest is written):
        the fields it will hold, checked as a manifest file's would be.

        ``batch_size`` defaults per backend to what measured fastest on length-sorted
        batches of the test split (2-core CPU): 16 for ONNX fp32, 32 for torch; ONNX int8
        takes 256 at a time and regroups them by length (:class:`~claimnet.runtime.backends.OnnxBackend`).
        """
        export_dir = resolve_model(model_dir)  # a folder, or an installed model package's name
        manifest = read_manifest(export_dir) if manifest is None else check_manifest(dict(manifest),
                                                                                     export_dir / MANIFEST_NAME)
        backend, precision, files = choose_backend(manifest, backend, precision)
        verify_files(export_dir, manifest, files)
        pad_id = (manifest.get("tokenizer") or {}).get("pad_token_id")
        encoder = SentenceEncoder.from_dir(export_dir, manifest["model"]["max_length"], pad_id)
        _check_vocabulary(export_dir, manifest, encoder)
        runner = load_backend(export_dir, backend, precision, num_threads, onnx_graphs(manifest))
        contextualiser = ContextualiserGraph(export_dir) if manifest["model"].get("kind") == "article" else None
        _cross_check(export_dir, manifest, encoder, contextualiser or runner, files)
        batch_size = batch_size or getattr(runner, "batch_size", DEFAULT_BATCH_SIZE[backend])
        return cls(export_dir, manifest, runner, encoder, batch_size,
                   segmentation_settings(manifest), contextualiser)

    def __repr__(self) -> str:
        return (f"ClaimTagger(export={str(self.export_dir)!r}, backend={self.backend.name!r}, "
                f"precision={self.backend.precision!r}, labels={self.labels})")

    @property
    def labels(self) -> list[str]:
        return list(self.label_set.names)

    @property
    def backend_name(self) -> str:
        return f"{self.backend.name}-{self.backend.precision}"

    def segment(self, text: str) -> list[tuple[int, int]]:
        """Sentence offsets of ``text``, cut with the settings the export records."""
        return segment(text, self.segmentation)

    def sentence_outputs(self, pairs: Sequence[tuple[str, str | None]]) -> np.ndarray:
        """What the model computes for each sentence on its own, batched by length.

        A sentence model's label probabilities; an article model's sentence
        vectors, which :meth:`label_articles` then reads in their articles. Either
        way a row does not depend on the other rows, so the server can gather
        sentences of many requests into one call.
        """
        if not pairs:
            width = len(self.label_set) if self.contextualiser is None else 0
            return np.zeros((0, width), dtype=np.float32)
        return self.encoded_outputs(self.encoder.encode(pairs))

    def length_batches(self, encodings: Sequence[dict[str, list[int]]]) -> list[list[int]]:
        """Indices of ``encodings`` in the batches the backend gets: sorted by token length, ``batch_size`` each."""
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i]["input_ids"]))
        return [order[lo : lo + self.batch_size] for lo in range(0, len(order), self.batch_size)]

    def encoded_outputs(self, encodings: Sequence[dict[str, list[int]]]) -> np.ndarray:
        """:meth:`sentence_outputs` of sentences already encoded (the model's part alone, for the profile)."""
        out: np.ndarray | None = None
        for idx in self.length_batches(encodings):
            rows = self.backend(self.encoder.pad([encodings[i] for i in idx]))
            if out is None:
                out = np.zeros((len(encodings), rows.shape[-1]), dtype=np.float32)
            out[idx] = rows if self.contextualiser is not None else self._probabilities(rows)
        return out

    def _probabilities(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits / self.temperature + self.biases)

    def label_articles(self, outputs: Sequence[np.ndarray], paragraphs: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """Each article's label probabilities from its rows of :meth:`sentence_outputs`.

        A sentence model's rows are the probabilities already; an article model
        reads each article's sentence vectors in windows (:mod:`claimnet.runtime.windows`)
        with the flags of the sentences that open a paragraph.
        """
        if self.contextualiser is None:
            return list(outputs)
        size, stride = int(self.manifest["model"]["window"]), int(self.manifest["model"]["stride"])
        labelled = []
        for vectors, flags in zip(outputs, paragraphs):
            probs = np.zeros((len(vectors), len(self.label_set)), dtype=np.float32)
            spans, owner = windows(len(vectors), size, stride)
            flags = np.asarray(flags, dtype=np.int64)
            for k, (start, end) in enumerate(spans):
                window_probs = self._probabilities(self.contextualiser(vectors[start:end], flags[start:end]))
                mine = [i for i in range(start, end) if owner[i] == k]
                probs[mine] = window_probs[[i - start for i in mine]]
            labelled.append(probs)
        return labelled

    def predict_proba(self, pairs: Sequence[tuple[str, str | None]]) -> np.ndarray:
        """Label probabilities for (target, context) pairs, batched by length.

        An article model reads the sentences as one article, in the order given, one paragraph.
        """
        outputs = self.sentence_outputs(pairs)
        if self.contextualiser is None:
            return outputs
        return self.label_articles([outputs], [one_paragraph(len(pairs))])[0]

    def article_pairs(self, text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, str | None]]:
        """The model's (target, context) input for each sentence span of one article."""
        return context_pairs([model_text(text[s:e]) for s, e in spans], self.context_window)

    def predict_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> list[np.ndarray]:
        """Probabilities for given sentence spans of several articles (one array per article)."""
        pairs: list[tuple[str, str | None]] = []
        for text, article_spans in zip(texts, spans):
            pairs.extend(self.article_pairs(text, article_spans))
        if not spans:
            return []
        outputs = np.split(self.sentence_outputs(pairs), np.cumsum([len(s) for s in spans])[:-1])
        return self.label_articles(outputs, self.paragraphs(texts, spans))

    def paragraphs(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> list[list[int]]:
        """For an article model: which sentences open a paragraph (empty lists for a sentence model)."""
        if self.contextualiser is None:
            return [[] for _ in texts]
        return [paragraph_starts(text, s) for text, s in zip(texts, spans)]

    def tagged(self, text: str, spans: Sequence[tuple[int, int]], probs: np.ndarray) -> list[TaggedSentence]:
        """One article's sentences with their labels, from its spans and their probabilities."""
        return [self._tagged(s, e, text[s:e], p) for (s, e), p in zip(spans, probs)]

    def tag_many(self, texts: Sequence[str]) -> list[list[TaggedSentence]]:
        """Tag several articles in one batched pass; results keep the input order."""
        if isinstance(texts, (str, bytes)):
            raise TypeError("tag_many() takes a list of article texts, not one string; for one article use tag(text)")
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"tag_many(): texts[{i}] is {type(text).__name__}; each article must be a str")
        spans = [self.segment(t) for t in texts]
        return [self.tagged(text, s, p) for text, s, p in zip(texts, spans, self.predict_spans(texts, spans))]

    def _tagged(self, start: int, end: int, text: str, probs: np.ndarray) -> TaggedSentence:
        labels = self.label_set.names
        best = int(probs.argmax())
        return TaggedSentence(start, end, text, labels[best], float(probs[best]),
                              {name: float(x) for name, x in zip(labels, probs)})

    def tag_stream(self, text: str | Iterable[str], window: int = 256) -> Iterator[TaggedSentence]:
        """Tag one article of any size as it arrives, yielding its sentences in order as they are tagged.

        ``text`` is the article, or its text in parts (a file opened in text mode,
        a generator of chunks); offsets index the whole text. At most ``window``
        sentences (plus the model's context around them) are held at a time, so
        memory does not grow with the article. Labels equal :meth:`tag`'s. An article
        model reads the whole article, so it holds the whole text.
        """
        if isinstance(text, (bytes, bytearray)) or not isinstance(text, (str, Iterable)):
            raise TypeError(f"tag_stream() takes the article's text as a str or an iterable of str parts, got "
                            f"{type(text).__name__}")
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be an int >= 1. Got {window!r} instead.")
        if self.contextualiser is not None:  # an article model reads the whole article: no bounded window
            yield from self.tag(text if isinstance(text, str) else "".join(text))
            return
        k = self.context_window
        held: list[tuple[int, int, str]] = []  # k sentences of context, then the ones not tagged yet
        first = 0  # held[first] is the first sentence not tagged yet
        for sentence in iter_sentences(text, self.segmentation):
            held.append(sentence)
            if len(held) - first >= window + k:
                yield from self._tag_held(held, first, first + window)
                held, first = held[first + window - k :], k
        yield from self._tag_held(held, first, len(held))

    def _tag_held(self, held: Sequence[tuple[int, int, str]], lo: int, hi: int) -> Iterator[TaggedSentence]:
        """Tag ``held[lo:hi]``; ``held`` holds the model's context on both sides of them."""
        if lo >= hi:
            return
        pairs = context_pairs([model_text(t) for _, _, t in held], self.context_window)[lo:hi]
        for (start, end, sentence), probs in zip(held[lo:hi], self.predict_proba(pairs)):
            yield self._tagged(start, end, sentence, probs)

    @property
    def model_version(self) -> str:
        """A short name for this export: its base model and the first hex digits of its files' checksums."""
        import hashlib

        files = self.manifest.get("files", {})
        digest = hashlib.sha256("".join(sorted(files.values())).encode()).hexdigest()[:10]
        base = str(self.manifest["model"].get("base_model") or "model").split("/")[-1]
        return f"claimnet-{base}-{digest}"

    def tag(self, text: str) -> list[TaggedSentence]:
        """Segment one article and tag each sentence."""
        if not isinstance(text, str):
            raise TypeError(f"tag() takes the article's text as a str, got {type(text).__name__}")
        return self.tag_many([text])[0]
