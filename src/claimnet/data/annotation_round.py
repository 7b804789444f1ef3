"""``claimnet data export-tasks``: the next batch for Label Studio, least certain articles first.

With a model, each task carries the model's labels as a Label Studio
prediction (``model_version``, a task ``score``, a ``score`` per region) so the
annotator corrects rather than starts from nothing. Articles are ordered by
**mean predictive entropy** of their sentences, highest first: entropy uses
every label's probability, so a sentence torn between three labels counts as
less certain than one torn between two (margin sees only the top two), and the
mean keeps long articles from ranking first by length alone. Without a model
the tasks are plain, in input order, for a first round.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from claimnet.data.articles import Article
from claimnet.data.importers.labelstudio import FROM_NAME, TO_NAME


def mean_entropy(probs: np.ndarray) -> float:
    """Mean over sentences of the entropy (nats) of the label distribution."""
    if not len(probs):
        return 0.0
    p = np.clip(probs, 1e-12, 1.0)
    return float(np.mean(-(p * np.log(p)).sum(axis=1)))


def _data(article: Article) -> dict[str, Any]:
    return {"id": article.id, "text": article.text, **{k: v for k, v in article.metadata.items()
                                                          if isinstance(v, (str, int, float, bool))}}


def labelstudio_tasks(articles: Sequence[Article], tagger=None, top: int | None = None) -> list[dict[str, Any]]:
    """Label Studio tasks for ``articles``; with a ``tagger``, pre-annotated and least certain first."""
    if tagger is None:
        tasks = [{"data": _data(a)} for a in articles]
        return tasks[:top] if top else tasks
    probs = tagger.predict_spans([a.text for a in articles], [a.spans() for a in articles])
    version = tagger.model_version
    labels = tagger.labels
    scored = []
    for article, p in zip(articles, probs):
        result = []
        for i, (sent, row) in enumerate(zip(article.sentences, p)):
            best = int(row.argmax())
            result.append({
                "id": f"s{i}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
                "value": {"start": sent.start, "end": sent.end, "text": article.text[sent.start:sent.end],
                          "labels": [labels[best]]},
                "score": round(float(row[best]), 6),
            })
        uncertainty = mean_entropy(p)
        scored.append((uncertainty, {
            "data": _data(article),
            "predictions": [{"model_version": version, "score": round(1.0 - uncertainty / np.log(len(labels)), 6),
                             "result": result}],
            "meta": {"mean_entropy": round(uncertainty, 6)},
        }))
    scored.sort(key=lambda st: -st[0])  # stable: ties keep the input order
    tasks = [task for _, task in scored]
    return tasks[:top] if top else tasks
