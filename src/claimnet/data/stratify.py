"""``claimnet data split``: train/dev/test by article, every label in every split, same seed same split.

Articles are dealt greedily: rarest label first, each article goes to the split
furthest below its share of that label, so small splits still hold the rare
labels (iterative stratification in the spirit of Sechidis et al. 2011, for
articles that carry several labels each).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

from claimnet.data.articles import Article
from claimnet.errors import DataError
from claimnet.labels import LabelSet


def split_articles(articles: Sequence[Article], labels: LabelSet, dev: float, test: float,
                   seed: int) -> dict[str, list[Article]]:
    """Return ``{"train", "dev", "test"}`` lists, each in the input order."""
    for name, share in (("--dev", dev), ("--test", test)):
        if not 0 < share < 1:
            raise DataError([f"{name} must be a share in (0, 1). Got {share!r} instead."])
    if dev + test >= 1:
        raise DataError([f"--dev + --test must leave articles for train. Got {dev} + {test} instead."])
    if len(articles) < 3:
        raise DataError([f"splitting needs at least 3 articles; got {len(articles)}"])
    shares = {"train": 1 - dev - test, "dev": dev, "test": test}
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    article_counts = [Counter(articles[i].labels()) for i in order]
    total = Counter()
    for c in article_counts:
        total.update(c)
    wanted = {split: {name: share * total[name] for name in labels} for split, share in shares.items()}
    wanted_articles = {split: share * len(articles) for split, share in shares.items()}
    got = {split: Counter() for split in shares}
    assigned: dict[int, str] = {}
    for name in sorted(labels, key=lambda n: total[n]):  # rarest label first
        for pos, i in enumerate(order):
            if i in assigned or not article_counts[pos][name]:
                continue
            split = max(shares, key=lambda s: (wanted[s][name] - got[s][name], wanted_articles[s]))
            assigned[i] = split
            got[split].update(article_counts[pos])
            wanted_articles[split] -= 1
    for i in order:  # articles with none of the labels (possible with a custom set)
        if i not in assigned:
            split = max(shares, key=lambda s: wanted_articles[s])
            assigned[i] = split
            wanted_articles[split] -= 1
    out = {split: [a for i, a in enumerate(articles) if assigned[i] == split] for split in shares}
    missing = [f"{split} has no {name!r}" for split in out for name in labels
               if total[name] and not any(name in a.labels() for a in out[split])]
    if missing:
        raise DataError([f"cannot put every label in every split ({'; '.join(missing)}): too few articles carry "
                         "the label; use larger --dev/--test or more data"])
    return out
