"""``claimnet distill``: a teacher labels the training sentences (and unlabelled ones) once, for students to learn from.

The teacher is trained here with this job's settings (``model=mpnet`` by
default: the full train job, export and reports included) or taken from a
finished run (``teacher.run=RUN``). Its calibrated fp32 export then labels every
sentence of ``data.train_path`` and up to ``teacher.unlabelled_sentences``
sentences of the ``teacher.unlabelled`` files, drawn as whole articles at
random; dev and test are never labelled, and an unlabelled sentence that also
occurs in dev or test is dropped. The result is one soft-label file
(:mod:`claimnet.data.soft_labels`) with its provenance.
"""

from __future__ import annotations

import json
import logging
import random
import subprocess
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from claimnet.data import iter_articles, load_articles
from claimnet.data.soft_labels import TRAIN, UNLABELLED, SoftArticle, write_soft_labels
from claimnet.data.unlabelled import iter_unlabelled
from claimnet.errors import ConfigError
from claimnet.runtime.files import sha256_file
from claimnet.training.config import validate_train_config
from claimnet.training.runs import state_of

log = logging.getLogger("claimnet")
CHUNK = 64  # articles per call to the teacher


def source_commit(root: str | Path) -> str | None:
    """The git commit claimnet runs from (``+dirty`` when the tree has changes), or None outside a clone."""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def teacher_export(run: str | Path) -> tuple[Path, Path | None]:
    """The teacher's export folder and its run folder (None when given an export alone); refuses an unfinished run."""
    run = Path(run)
    if (run / "export").is_dir():
        if state_of(run) not in ("finished", None):
            raise ConfigError(f"teacher.run={run} is {state_of(run)}, not finished; a teacher must be a finished run")
        return run / "export", run
    if (run / "claimnet.json").is_file():
        return run, run.parent if (run.parent / "summary.json").is_file() else None
    raise ConfigError(f"teacher.run={run}: neither a run folder (with export/) nor an export (with claimnet.json)")


def teacher_figures(export_dir: Path, run: Path | None) -> dict[str, Any]:
    """The teacher's dev and test macro-F1 and per-label F1, from its run's reports (or its manifest)."""
    out: dict[str, Any] = {}
    for split in ("dev", "test"):
        path = run / "eval" / split / "metrics.json" if run else None
        if path is not None and path.is_file():
            metrics = json.loads(path.read_text(encoding="utf-8"))
            out[split] = {"macro_f1": metrics["macro_f1"],
                          "f1": {label: m["f1"] for label, m in metrics.get("per_label", {}).items()}}
    if not out:
        manifest = json.loads((export_dir / "claimnet.json").read_text(encoding="utf-8"))
        out = {split: figures for split, figures in (manifest.get("metrics") or {}).items() if split in ("dev", "test")}
    return out


def teacher_config(run: Path | None) -> dict[str, Any] | None:
    """The teacher run's resolved config, its folders written as ``${paths.KEY}`` (no folder of the machine that
    trained it)."""
    if run is None or not (run / "config.yaml").is_file():
        return None
    return without_machine_paths(OmegaConf.to_container(OmegaConf.load(run / "config.yaml")))


def without_machine_paths(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with every value under one of its ``paths`` folders rewritten relative to that key."""
    folders = sorted(((k, str(v).rstrip("/")) for k, v in (config.pop("paths", None) or {}).items()
                      if isinstance(v, str) and v not in (".", "")), key=lambda kv: -len(kv[1]))

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            for key, folder in folders:
                if value == folder or value.startswith(folder + "/"):
                    return "${paths." + key + "}" + value[len(folder):]
        return value

    return walk(config)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def label_articles(tagger, articles: Sequence[tuple[str, str, list[tuple[int, int]]]], split: str,
                   keep_text: bool) -> Iterator[SoftArticle]:
    """The teacher's log-probabilities for given (id, text, spans) articles, a chunk of articles per call; a log
    line at every tenth of the way (a large teacher labels tens of sentences a second on a CPU)."""
    import time

    import numpy as np

    total = sum(len(spans) for _, _, spans in articles)
    done, next_report, started = 0, total / 10, time.perf_counter()
    for chunk in _chunks(articles, CHUNK):
        probs = tagger.predict_spans([text for _, text, _ in chunk], [spans for _, _, spans in chunk])
        done += sum(len(spans) for _, _, spans in chunk)
        if done >= next_report or done == total:
            rate = done / max(time.perf_counter() - started, 1e-9)
            log.info("%s: %d of %d sentences labelled (%.0f a second)", split, done, total, rate)
            next_report += total / 10
        for (article_id, text, spans), p in zip(chunk, probs):
            yield SoftArticle(article_id, split, list(spans), np.log(np.clip(p, 1e-8, 1.0)),
                              text if keep_text else None)


def unlabelled_sample(tagger, files: Sequence[str], limit: int, seed: int, held_out: set[str],
                      max_errors: int) -> tuple[list[tuple[str, str, list[tuple[int, int]]]], dict[str, Any]]:
    """Whole articles drawn at random from ``files`` until ``limit`` sentences, segmented as the teacher segments;
    sentences also found in dev or test are dropped (and counted)."""
    pool = [(f"{Path(path).name}/{article.id}", article.text) for path in files
            for article in iter_unlabelled(path, max_errors)]
    random.Random(seed).shuffle(pool)
    chosen, sentences, dropped = [], 0, 0
    for article_id, text in pool:
        if sentences >= limit:
            break
        spans = []
        for start, end in tagger.segment(text):
            if " ".join(text[start:end].split()) in held_out:
                dropped += 1
                continue
            spans.append((start, end))
        spans = spans[:limit - sentences]
        if spans:
            chosen.append((article_id, text, spans))
            sentences += len(spans)
    return chosen, {"articles_available": len(pool), "articles": len(chosen), "sentences": sentences,
                    "dropped_as_in_dev_or_test": dropped}


def check_unlabelled_files(files: Sequence[str], cfg: DictConfig) -> dict[str, str]:
    """Refuse an unlabelled file that is an evaluation split (by content), or the training file itself; return the
    SHA-256 of the training file and of each unlabelled file (for the provenance)."""
    evaluation = {sha256_file(cfg.data[f"{split}_path"]): split for split in ("dev", "test")}
    train = sha256_file(cfg.data.train_path)
    hashes = {"train": train}
    for path in files:
        digest = hashes[path] = sha256_file(path)
        if digest in evaluation:
            raise ConfigError(f"teacher.unlabelled: {path} is the {evaluation[digest]} split (same content as "
                              f"data.{evaluation[digest]}_path); evaluation data is never labelled by the teacher")
        if digest == train:
            raise ConfigError(f"teacher.unlabelled: {path} is the training file, which is labelled already")
    return hashes


def distill(cfg: DictConfig) -> dict[str, Any]:
    """Train (or take) the teacher, label train and the unlabelled sample, write the soft-label file."""
    from claimnet.runtime.tagger import ClaimTagger

    labels = validate_train_config(cfg)
    files = [str(p) for p in cfg.teacher.unlabelled]
    hashes = check_unlabelled_files(files, cfg)
    if cfg.teacher.run:
        export_dir, run = teacher_export(cfg.teacher.run)  # this job's own folder keeps its log (distill.log)
    else:
        from claimnet.tasks.train import train

        log.info("Training the teacher (%s): claimnet distill teacher.run=RUN takes a finished one instead",
                 cfg.model.name)
        summary = train(cfg)
        export_dir, run = Path(summary["export_dir"]), Path(summary["run_dir"])
    tagger = ClaimTagger.load(export_dir, backend="auto", precision="fp32")
    if list(tagger.label_set.names) != list(labels.names):
        raise ConfigError(f"the teacher {export_dir} tags {list(tagger.label_set.names)}, but data.labels is "
                          f"{list(labels.names)}")

    train_articles = [(a.id, a.text, [(s.start, s.end) for s in a.sentences])
                      for a in iter_articles(cfg.data.train_path, labels.names, cfg.data.max_errors)]
    held_out = {" ".join(a.text[s.start:s.end].split()) for split in ("dev", "test")
                for a in load_articles(cfg.data[f"{split}_path"], labels.names) for s in a.sentences}
    sample, counts = unlabelled_sample(tagger, files, cfg.teacher.unlabelled_sentences, cfg.seed, held_out,
                                       cfg.data.max_errors) if files else ([], {"sentences": 0})
    log.info("Labelling %d training sentences and %d unlabelled ones with %s",
             sum(len(s) for _, _, s in train_articles), counts["sentences"], export_dir)
    manifest = tagger.manifest
    provenance = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "labels": list(labels.names),
        "teacher": {
            "model": manifest["model"].get("base_model"),
            "run": run.name if run else export_dir.name,  # the folder's name: no path of this machine
            "commit": source_commit(cfg.paths.root_dir),
            "claimnet_version": manifest.get("claimnet_version"),
            "config": teacher_config(run),
            "figures": teacher_figures(export_dir, run),
            "temperature": (manifest.get("calibration") or {}).get("temperature"),
            "soft_labels_are": "log-probabilities of the calibrated fp32 export (temperature and kept biases applied)",
        },
        "labelled": {
            TRAIN: {"path": Path(cfg.data.train_path).name, "sha256": hashes["train"],
                    "data": f"{cfg.data.name} {cfg.data.version}"},
            UNLABELLED: [{"path": Path(p).name, "sha256": hashes[p]} for p in files],
        },
        "counts": {"train_sentences": sum(len(s) for _, _, s in train_articles), "unlabelled": counts},
    }
    soft = (*label_articles(tagger, train_articles, TRAIN, keep_text=False),
            *label_articles(tagger, sample, UNLABELLED, keep_text=True))
    output = write_soft_labels(cfg.teacher.output, provenance, soft)
    print(f"Soft labels: {output} ({provenance['counts']['train_sentences']} training sentences, "
          f"{counts['sentences']} unlabelled) from teacher {export_dir}")
    return {"soft_labels": str(output), **provenance}

