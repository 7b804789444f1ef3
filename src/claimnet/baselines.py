"""Reference systems fitted in the same run, so a report shows what the model adds.

``majority`` predicts the most frequent training label; ``tfidf_logreg`` is
scikit-learn TF-IDF (1-2 grams) + class-balanced logistic regression, which
design.md measured at 0.737 test macro-F1 on this corpus.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from claimnet.data import Article

BASELINES = ("majority", "tfidf_logreg")


def _sentences(articles: Sequence[Article]) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for a in articles:
        texts.extend(a.sentence_texts())
        labels.extend(a.labels())
    return texts, labels


def baseline_probabilities(
    train: Sequence[Article], articles: Sequence[Article], labels: Sequence[str], seed: int = 0
) -> dict[str, list[np.ndarray]]:
    """Per-article probability arrays of each baseline, columns in ``labels`` order."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    labels = list(labels)
    train_texts, train_labels = _sentences(train)
    sizes = [len(a.sentences) for a in articles]
    texts, _ = _sentences(articles)
    split_at = np.cumsum(sizes)[:-1]

    majority = Counter(train_labels).most_common(1)[0][0]
    one_hot = np.zeros((len(texts), len(labels)), dtype=np.float32)
    one_hot[:, labels.index(majority)] = 1.0

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
        LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed),
    )
    model.fit(train_texts, train_labels)
    probs = np.zeros((len(texts), len(labels)), dtype=np.float32)
    fitted = model.predict_proba(texts)
    for j, label in enumerate(model.classes_):
        probs[:, labels.index(label)] = fitted[:, j]
    return {"majority": np.split(one_hot, split_at), "tfidf_logreg": np.split(probs, split_at)}
