"""The standard Hugging Face recipe, the baseline the benchmark measures claimnet against.

``AutoModelForSequenceClassification`` + ``Trainer``, sentence only, padded to
a fixed length, fp32, unweighted loss: what a user writes from the docs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from claimnet.data import Article
from claimnet.evaluation.metrics import macro_f1
from claimnet.evaluation.speed import peak_rss
from claimnet.labels import LabelSet
from claimnet.training.modeling import build_model, build_tokenizer, resolve_source


def standard_recipe(cfg: Mapping[str, Any], splits: Mapping[str, list[Article]], labels: LabelSet,
                    out_dir: Path) -> dict[str, Any]:
    """What a user writes by hand from the Hugging Face docs: pad to 128, fp32, batch 32, lr 2e-5.

    ``cfg`` is the benchmark config: the model, seed and epochs are the run's,
    the recipe's own settings are under ``benchmark.recipe_*``.
    """
    from datasets import Dataset
    from transformers import Trainer, TrainingArguments, set_seed

    b = cfg["benchmark"]
    set_seed(cfg["seed"])
    source = resolve_source(cfg["model"]["source"], cfg["model"]["sha256"])
    tokenizer = build_tokenizer(source)

    def dataset(articles):
        texts = [t for a in articles for t in a.sentence_texts()]
        enc = tokenizer(texts, padding="max_length", truncation=True, max_length=b["recipe_max_length"])
        real = sum(int(sum(m)) for m in enc["attention_mask"])
        return Dataset.from_dict({**enc, "labels": [i for a in articles for i in labels.encode(a.labels())]}), real

    train_ds, real_tokens = dataset(splits["train"])
    dev_ds, _ = dataset(splits["dev"])
    random_init = cfg["model"]["random_init"]
    model = build_model(source, labels, dict(random_init) if random_init else None)
    epochs, max_steps = cfg["trainer"]["num_train_epochs"], cfg["trainer"]["max_steps"]
    args = TrainingArguments(
        output_dir=str(out_dir / "recipe"), num_train_epochs=epochs, max_steps=max_steps,
        per_device_train_batch_size=b["recipe_batch_size"], per_device_eval_batch_size=64,
        learning_rate=b["recipe_learning_rate"], save_strategy="no", report_to="none", seed=cfg["seed"],
        use_cpu=True, disable_tqdm=True, logging_steps=50,
    )
    trainer = Trainer(model=model, args=args, train_dataset=train_ds)
    result: dict[str, Any] = {"name": "standard recipe (pad 128, fp32, batch 32, lr 2e-5)"}
    with peak_rss(result):
        started = time.perf_counter()
        train_out = trainer.train()
        seconds = time.perf_counter() - started
    preds = trainer.predict(dev_ds)
    epochs = train_out.metrics.get("epoch", epochs)
    n = len(train_ds)
    result.update({
        "seconds": round(seconds, 2),
        "epochs": epochs,
        "sentences_per_s": round(n * epochs / seconds, 2),
        "real_tokens_per_s": round(real_tokens * epochs / seconds, 1),
        "dev_macro_f1": macro_f1(preds.label_ids, preds.predictions.argmax(-1), len(labels)),
    })
    return result
