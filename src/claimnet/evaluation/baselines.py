"""Reference systems fitted in the same run, so a report shows what the model adds.

``majority`` predicts the most frequent training label; ``tfidf_logreg`` is
scikit-learn TF-IDF (1-2 grams) + class-balanced logistic regression, which
design.md measured at 0.737 test macro-F1 on this corpus.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from claimnet.data import Article, iter_articles
from claimnet.labels import LabelSet


def _sentences(articles: Sequence[Article]) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for a in articles:
        texts.extend(a.sentence_texts())
        labels.extend(a.labels())
    return texts, labels


class Baselines:
    """Both baselines, fitted once on training articles, then applied to any number of splits."""

    def __init__(self, train: Sequence[Article], labels: LabelSet, seed: int = 0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.labels = labels
        texts, train_labels = _sentences(train)
        self.majority = Counter(train_labels).most_common(1)[0][0]
        self.tfidf = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed),
        )
        self.tfidf.fit(texts, train_labels)

    @classmethod
    def from_file(cls, path: str | Path, labels: LabelSet, seed: int = 0, limit_articles: int | None = None,
                  max_sentences: int | None = None) -> Baselines:
        """Fitted on a training file read as a stream: its first articles, up to ``max_sentences`` sentences.

        A corpus of millions of sentences does not fit TF-IDF in memory, and the
        baselines only need to show what a simple model reaches.
        """
        sample, sentences = [], 0
        for article in iter_articles(path, labels.names, limit=limit_articles):
            if max_sentences is not None and sentences + len(article.sentences) > max_sentences and sample:
                break
            sample.append(article)
            sentences += len(article.sentences)
        return cls(sample, labels, seed)

    def probabilities(self, articles: Sequence[Article]) -> dict[str, list[np.ndarray]]:
        """Per-article probability arrays of each baseline, columns in label order."""
        texts, _ = _sentences(articles)
        split_at = np.cumsum([len(a.sentences) for a in articles])[:-1]
        one_hot = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        ids = self.labels.label2id
        one_hot[:, ids[self.majority]] = 1.0
        probs = np.zeros_like(one_hot)
        fitted = self.tfidf.predict_proba(texts)
        for j, label in enumerate(self.tfidf.classes_):
            probs[:, ids[label]] = fitted[:, j]
        return {"majority": np.split(one_hot, split_at), "tfidf_logreg": np.split(probs, split_at)}
