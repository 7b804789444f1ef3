"""The int8 quality check: int8 ONNX ships only when it holds up against fp32 on dev.

Both are scored with claimnet's macro-F1 on the dev articles' gold spans; the
figures go into the manifest and the model card either way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.data import Article
from claimnet.evaluation.metrics import macro_f1
from claimnet.evaluation.scoring import gold_ids, predict_articles
from claimnet.runtime.backends import ONNX_FILES
from claimnet.runtime.tagger import ClaimTagger

log = logging.getLogger(__name__)


def check_int8(export_dir: Path, dev: Sequence[Article], max_drop: float) -> dict[str, Any]:
    """Compare int8 with fp32 on ``dev``; delete the int8 file when it loses more than ``max_drop`` macro-F1.

    The export must already hold both ONNX files and a manifest listing them.
    """
    preds, labels = {}, None
    for precision in ("fp32", "int8"):
        tagger = ClaimTagger.load(export_dir, backend="onnx", precision=precision)
        labels = tagger.label_set
        preds[precision] = np.concatenate([p.argmax(axis=1) for p in predict_articles(tagger, dev)])
    gold = np.concatenate(gold_ids(dev, labels))
    f1 = {name: macro_f1(gold, p, len(labels)) for name, p in preds.items()}
    figures = {
        "split": "dev",
        "agreement_with_fp32": float((preds["fp32"] == preds["int8"]).mean()),
        "macro_f1_fp32": f1["fp32"],
        "macro_f1_int8": f1["int8"],
        "macro_f1_drop": f1["fp32"] - f1["int8"],
        "max_drop": float(max_drop),
        "included": True,
    }
    if figures["macro_f1_drop"] > max_drop:
        (export_dir / ONNX_FILES["int8"]).unlink()
        figures["included"] = False
        log.warning("int8 ONNX left out: it loses %.4f dev macro-F1 against fp32 (export.int8_max_f1_drop=%s)",
                    figures["macro_f1_drop"], max_drop)
    log.info("int8 vs fp32 on dev: agreement %.4f, macro-F1 %.4f vs %.4f",
             figures["agreement_with_fp32"], f1["int8"], f1["fp32"])
    return figures
