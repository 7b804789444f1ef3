"""The int8 quality check: how int8 ONNX holds up against fp32 on dev, and whether it ships.

It decides on label agreement with fp32 over every dev sentence
(``export.int8_min_agreement``): with token-wise int8 the figure does not depend
on batch order, and, unlike a macro-F1 difference that a hedge or two moves by
0.01, it rests on all ~700 sentences. ``export.int8_max_f1_drop`` (off by
default) adds a macro-F1 condition. The figures go into the manifest and the
model card either way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.data import Article
from claimnet.evaluation.scoring import gold_ids, predict_articles
from claimnet.runtime.tagger import ClaimTagger
from claimnet.scores import macro_f1

log = logging.getLogger(__name__)


def compare_int8(export_dir: Path, dev: Sequence[Article], min_agreement: float,
                 max_drop: float | None = None, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Compare int8 with fp32 on ``dev``: the figures, and ``included`` (with the ``reason`` when not).

    The export holds both ONNX graphs; ``manifest`` is the one it will have, when it is not written yet.
    Dropping the int8 file is the caller's.
    """
    preds, labels = {}, None
    for precision in ("fp32", "int8"):
        tagger = ClaimTagger.load(export_dir, backend="onnx", precision=precision, manifest=manifest)
        labels = tagger.label_set
        preds[precision] = np.concatenate([p.argmax(axis=1) for p in predict_articles(tagger, dev)])
    gold = np.concatenate(gold_ids(dev, labels))
    f1 = {name: macro_f1(gold, p, len(labels)) for name, p in preds.items()}
    agreement = float((preds["fp32"] == preds["int8"]).mean())
    drop = f1["fp32"] - f1["int8"]
    figures = {
        "split": "dev",
        "quantization": "token-wise dynamic int8",
        "agreement_with_fp32": agreement,
        "min_agreement": float(min_agreement),
        "macro_f1_fp32": f1["fp32"],
        "macro_f1_int8": f1["int8"],
        "macro_f1_drop": drop,
        "max_drop": None if max_drop is None else float(max_drop),
        "included": True,
    }
    reasons = []
    if agreement < min_agreement:
        reasons.append(f"it agrees with fp32 on {agreement:.2%} of dev sentences, less than "
                       f"export.int8_min_agreement={min_agreement}")
    if max_drop is not None and drop > max_drop:
        reasons.append(f"it loses {drop:.4f} dev macro-F1 against fp32, more than export.int8_max_f1_drop={max_drop}")
    if reasons:
        figures["included"] = False
        figures["reason"] = "; ".join(reasons)
        log.warning("int8 ONNX left out: %s", figures["reason"])
    log.info("int8 vs fp32 on dev: agreement %.4f, macro-F1 %.4f vs %.4f",
             agreement, f1["int8"], f1["fp32"])
    return figures
