"""claimnet's training against the standard Hugging Face recipe, and the tagging of the result, in one process.

Training: (a) the standard recipe (``AutoModelForSequenceClassification`` +
``Trainer``, sentence only, padded to 128, fp32, unweighted: what a user writes
from the docs), (b) claimnet's default config, (c) claimnet with context window
1; same train split, same weights, same epochs. Then the tagging of (b)'s export
by every path (what ``claimnet bench`` measures). Overrides as in ``claimnet
train`` (``trainer.num_train_epochs=1``), plus this benchmark's own
``recipe.KEY=VALUE``, ``out=PATH``, ``quick=true`` and ``model_path=EXPORT``
(time an existing export, no training):

    python -m benchmarks recipe [out=benchmarks/results/recipe-HOSTKIND.json] [KEY=VALUE ...]
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claimnet.data import Article, load_articles, load_splits
from claimnet.evaluation.speed import peak_rss, real_tokens
from claimnet.labels import LabelSet
from claimnet.runtime.files import write_json
from claimnet.scores import macro_f1
from claimnet.tasks.bench import check_paths, machine, tagging_table, time_export
from claimnet.tasks.runner import compose_job
from claimnet.tasks.train import train
from claimnet.training.config import validate_train_config
from claimnet.training.modeling import build_model, build_tokenizer, resolve_source

log = logging.getLogger("benchmarks.recipe")
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class RecipeSettings:
    """This benchmark's own settings (``recipe.KEY=VALUE``)."""

    work_dir: str = str(ROOT / "outputs" / "benchmark-work")
    epochs: float = 2  # the epochs of every run, (a), (b) and (c)
    context_run: bool = True  # also train (c), context window 1
    context_max_length: int = 192
    tag_articles: int | None = None  # how many test articles to tag (None = all)
    tag_rounds: int = 3
    settle_seconds: float = 1.0
    recipe_max_length: int = 128
    recipe_batch_size: int = 32
    recipe_learning_rate: float = 2.0e-5
    threads: int | None = None


# quick=true: a few seconds, for the lab's own test
QUICK_TRAIN = ["model=tiny", "data.limit_articles=4", "trainer.max_steps=2", "trainer.per_device_train_batch_size=8",
               "trainer.eval_strategy=steps", "trainer.eval_steps=1", "evaluation.bootstrap_resamples=20"]
QUICK_RECIPE = {"tag_articles": 3, "tag_rounds": 2, "settle_seconds": 0.0}


def standard_recipe(cfg: Mapping[str, Any], b: Mapping[str, Any], splits: Mapping[str, list[Article]],
                    labels: LabelSet, out_dir: Path) -> dict[str, Any]:
    """What a user writes by hand from the Hugging Face docs: pad to 128, fp32, batch 32, lr 2e-5.

    ``cfg`` is the train job's config (model, seed, epochs); ``b`` the recipe's own settings.
    """
    from datasets import Dataset
    from transformers import Trainer, TrainingArguments, set_seed

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


def claimnet_training(cfg, name: str, run_dir: Path, overrides: Mapping[str, Any]) -> tuple[dict[str, Any], Path]:
    """(b)/(c): claimnet's own train job (fit, export, evaluate); timing is the fit alone."""
    import copy

    from omegaconf import OmegaConf

    run_cfg = copy.deepcopy(cfg)
    OmegaConf.set_struct(run_cfg, False)
    for key, value in overrides.items():
        OmegaConf.update(run_cfg, key, value, merge=False)
    run_cfg.run_dir = str(run_dir)
    run_cfg.paths.output_dir = str(run_dir.parent / f"{run_dir.name}-outputs")
    result: dict[str, Any] = {"name": name}
    with peak_rss(result):
        summary = train(run_cfg)
    training = summary["training"]
    train_articles = load_splits(run_cfg.data, LabelSet.from_names(run_cfg.data.labels), ["train"])["train"]
    real = real_tokens(run_dir / "export", train_articles, run_cfg.model.context_window, run_cfg.model.max_length)
    n = sum(len(a.sentences) for a in train_articles)
    epochs = training["epochs"]
    result.update({"seconds": training["seconds"], "epochs": epochs,
                   "sentences_per_s": round(n * epochs / training["seconds"], 2),
                   "real_tokens_per_s": round(real * epochs / training["seconds"], 1),
                   "dev_macro_f1": summary["dev"]["macro_f1"], "precision": training["precision"]})
    return result, run_dir / "export"


def training_runs(cfg, b, splits, labels: LabelSet, work: Path) -> tuple[dict[str, Any], Path]:
    """(a) the standard recipe, (b) claimnet's default, (c) context window 1; returns figures and (b)'s export."""
    log.info("Training (a): the standard recipe")
    recipe = standard_recipe(cfg, b, splits, labels, work)
    log.info("Training (b): claimnet default")
    default, export_dir = claimnet_training(cfg, "claimnet default (context 0)", work / "claimnet-default", {})
    runs = {"recipe": recipe, "claimnet": default}
    if b.context_run:
        log.info("Training (c): claimnet, context window 1")
        runs["claimnet_context1"], _ = claimnet_training(
            cfg, "claimnet context window 1", work / "claimnet-context1",
            {"model.context_window": 1, "model.max_length": b.context_max_length})
    return {"runs": runs, "speedup": round(default["sentences_per_s"] / recipe["sentences_per_s"], 2),
            "dev_macro_f1_delta": round(default["dev_macro_f1"] - recipe["dev_macro_f1"], 4)}, export_dir


def main(argv: list[str]) -> int:
    from omegaconf import OmegaConf

    own = dict(a.split("=", 1) for a in argv if a.split("=", 1)[0] in ("out", "quick", "model_path"))
    quick = own.get("quick", "false").lower() == "true"
    settings = OmegaConf.merge(OmegaConf.structured(RecipeSettings), QUICK_RECIPE if quick else {},
                               OmegaConf.from_dotlist([a[len("recipe."):] for a in argv if a.startswith("recipe.")]))
    train_overrides = [a for a in argv if not a.startswith("recipe.") and a.split("=", 1)[0] not in own]
    cfg = compose_job("train", [*(QUICK_TRAIN if quick else []), "logger=none", "trainer.progress_bar=false",
                                "trainer.early_stopping_patience=0", "evaluation.baselines=false",
                                f"trainer.num_train_epochs={settings.epochs}", *train_overrides],
                      resolve_outputs=False)
    if settings.threads:
        import torch

        torch.set_num_threads(settings.threads)
    labels = validate_train_config(cfg)
    work = Path(settings.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"quick": quick, "machine": machine(), "training": None}
    if "model_path" in own:
        from claimnet.runtime.packages import resolve_model

        export_dir = resolve_model(own["model_path"])
    else:
        report["training"], export_dir = training_runs(cfg, settings, load_splits(cfg.data, labels), labels, work)
    texts = [a.text for a in load_articles(cfg.data.test_path, labels.names)[: settings.tag_articles or None]]
    report["tagging"] = time_export(export_dir, texts, threads=settings.threads, rounds=settings.tag_rounds,
                                    settle_seconds=settings.settle_seconds, quick=quick)
    out = Path(own.get("out", ROOT / "outputs" / "recipe.json"))
    write_json(out, report)
    if report["training"]:
        print("training                                   s    sent/s   tokens/s  peak MB  dev F1")
        for r in report["training"]["runs"].values():
            print(f"  {r['name'][:38]:<38} {r['seconds']:>6.0f} {r['sentences_per_s']:>9.1f} "
                  f"{r['real_tokens_per_s']:>10.0f} {r['peak_rss_mb']:>8.0f}  {r['dev_macro_f1']:.3f}")
        print(f"  speedup (b)/(a): {report['training']['speedup']}x sentences/s")
    print("\n".join(tagging_table(report["tagging"])))
    print(f"Report: {out}")
    check_paths(report)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)s] %(message)s")
    sys.exit(main(sys.argv[1:]))
