"""``claimnet data``: validate, stats, import, split, export-tasks, labelstudio-config.

Torch-free (the base install runs every subcommand; ``export-tasks --model``
uses the ONNX runtime). Exit codes: 0 done; 1 ``validate`` found problems; 2 a
file that cannot be read or a bad option, with the file and line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from claimnet.data.articles import Article, Sentence
from claimnet.errors import DataError
from claimnet.labels import DEFAULT_LABELS, LabelSet


def label_set(args: argparse.Namespace) -> LabelSet:
    """``--labels``, else the ``--model`` manifest's, else the default four."""
    if getattr(args, "labels", None):
        return LabelSet.from_names([n.strip() for n in args.labels.split(",") if n.strip()])
    if getattr(args, "model", None):
        from claimnet.runtime.manifest import read_manifest

        return LabelSet.from_names(read_manifest(args.model)["labels"])
    return LabelSet.from_names(DEFAULT_LABELS)


def _validate(args: argparse.Namespace) -> int:
    from claimnet.data.audit import validate_files

    report = validate_files(args.files, label_set(args))
    for line in report.errors:
        print(f"error: {line}")
    for line in report.warnings:
        print(f"warning: {line}")
    checked = sum(len(a) for a in report.articles.values())
    print(f"{len(args.files)} file(s), {checked} article(s) read: {len(report.errors)} error(s), "
          f"{len(report.warnings)} warning(s)", file=sys.stderr)
    return 1 if report.errors else 0


def _stats(args: argparse.Namespace) -> int:
    from claimnet.data.loader import load_articles
    from claimnet.data.stats import file_stats, stats_table

    labels = label_set(args)
    stats = {path: file_stats(load_articles(path, labels.names), labels) for path in args.files}
    if args.format == "json":
        json.dump(stats, sys.stdout, indent=2)
        print()
    else:
        print(stats_table(stats, labels))
    return 0


def _columns(text: str | None) -> dict[str, str]:
    out = {}
    for item in filter(None, (text or "").split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in ("article_id", "sentence", "label"):
            raise DataError([f"--columns item {item!r} is not article_id=NAME, sentence=NAME or label=NAME"])
        out[key] = value
    return out


def _import(args: argparse.Namespace) -> int:
    from claimnet.data.importers import LabelMap, import_source
    from claimnet.data.jsonl import write_articles

    labels = label_set(args)
    default = None if args.strict else (args.default_label or labels[-1])
    if default is not None and default not in labels:
        raise DataError([f"--default-label {default!r} is not one of {list(labels)}"])
    options = {"label_map": LabelMap.parse(labels, args.label_map), "default": default}
    if args.source == "labelstudio":
        options.update(annotator=args.annotator, text_field=args.text_field)
    elif args.source == "doccano":
        options.update(group_by=args.group_by)
    elif args.source == "csv":
        options.update(columns=_columns(args.columns), strict=args.strict)
    result = import_source(args.source, args.src, labels, stream=True, **options)
    n = write_articles(args.output, result.articles)  # streamed where the importer can: whole file or nothing
    print(result.counts.summary(), file=sys.stderr)
    print(f"wrote {n} article(s) to {args.output}", file=sys.stderr)
    return 0


def _split(args: argparse.Namespace) -> int:
    from claimnet.data.jsonl import write_articles
    from claimnet.data.loader import load_articles
    from claimnet.data.stratify import split_articles

    labels = label_set(args)
    splits = split_articles(load_articles(args.file, labels.names), labels, args.dev, args.test, args.seed)
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise DataError([f"-o {out}: exists and is not a folder"])
    for name, articles in splits.items():
        write_articles(out / f"{name}.jsonl", articles)
        print(f"{name}: {len(articles)} article(s), {sum(len(a.sentences) for a in articles)} sentence(s) "
              f"-> {out / f'{name}.jsonl'}", file=sys.stderr)
    return 0


def read_articles_to_tag(paths: list[str], segment) -> list[Article]:
    """Articles from JSONL (``sentences`` optional: cut when absent) or plain text files (one article each)."""
    from claimnet.data.jsonl import iter_records, read_bytes
    from claimnet.data.loader import validate_record

    articles = []
    for name in paths:
        raw = read_bytes(name, "a .jsonl or .txt file")
        if not name.endswith(".jsonl"):
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise DataError([f"{name}: not valid UTF-8 (byte at offset {exc.start})"]) from None
            articles.append(Article(Path(name).stem, text, tuple(Sentence(s, e) for s, e in segment(text))))
            continue
        for lineno, record, problem in iter_records(raw, name):
            where = f"{name}:{lineno}"
            if problem:
                raise DataError([problem])
            if isinstance(record, dict) and "sentences" not in record and isinstance(record.get("text"), str):
                record = {**record, "id": str(record.get("id", where)),
                          "sentences": [{"start": s, "end": e} for s, e in segment(record["text"])]}
            article, problems = validate_record(record, None)
            if problems:
                raise DataError([f"{where}: {p}" for p in problems])
            articles.append(article)
    return articles


def _export_tasks(args: argparse.Namespace) -> int:
    from claimnet.data.annotation_round import labelstudio_tasks
    from claimnet.runtime.files import write_json
    from claimnet.runtime.segmentation import segment

    tagger = None
    if args.model:
        from claimnet.runtime.tagger import ClaimTagger

        tagger = ClaimTagger.load(args.model)
    articles = read_articles_to_tag(args.files, tagger.segment if tagger else segment)
    tasks = labelstudio_tasks(articles, tagger, args.top)
    write_json(args.output, tasks)
    how = "pre-annotated, least certain first (mean predictive entropy)" if tagger else "plain, in input order"
    print(f"wrote {len(tasks)} task(s) to {args.output}: {how}", file=sys.stderr)
    return 0


def _labelstudio_config(args: argparse.Namespace) -> int:
    from claimnet.data.importers.labelstudio import labeling_config

    sys.stdout.write(labeling_config(list(label_set(args))))
    return 0


def add_parser(sub) -> None:
    data = sub.add_parser("data", help="check, describe, import, split your annotations; tasks for Label Studio")
    cmds = data.add_subparsers(dest="data_command", required=True)
    labels_help = "comma-separated label set in precedence order (default: --model's labels, else the four)"

    p = cmds.add_parser("validate", help="every problem in every file (exit 1 when any)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--labels", help=labels_help)
    p.add_argument("--model", help="take the label set from this export")
    p.set_defaults(func=_validate)

    p = cmds.add_parser("stats", help="articles, sentences, tokens, labels per file")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--labels", help=labels_help)
    p.add_argument("--model", help="take the label set from this export")
    p.set_defaults(func=_stats)

    p = cmds.add_parser("import", help="an annotation tool's export into claimnet JSONL")
    p.add_argument("--from", dest="source", required=True, choices=["labelstudio", "doccano", "brat", "csv"])
    p.add_argument("src", metavar="SRC", help="the export file (a folder for brat)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.jsonl")
    p.add_argument("--label-map", help="tool label to claimnet label: Claim=claim,3=hedge")
    p.add_argument("--strict", action="store_true",
                   help="a sentence no span labels (or a CSV row the segmenter would cut) is an error")
    p.add_argument("--default-label", help="label of sentences no span covers (default: the last label)")
    p.add_argument("--annotator", help="Label Studio: use this annotator's annotation (id or e-mail)")
    p.add_argument("--text-field", help="Label Studio: the task data field holding the text")
    p.add_argument("--group-by", default="article_id",
                   help="doccano text classification: the field that groups sentences into articles")
    p.add_argument("--columns", help="CSV column names: article_id=doc,sentence=text,label=tag")
    p.add_argument("--labels", help=labels_help)
    p.add_argument("--model", help="take the label set from this export")
    p.set_defaults(func=_import)

    p = cmds.add_parser("split", help="train/dev/test by article, every label in every split")
    p.add_argument("file", metavar="FILE")
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    p.add_argument("--dev", type=float, default=0.1)
    p.add_argument("--test", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--labels", help=labels_help)
    p.set_defaults(func=_split)

    p = cmds.add_parser("export-tasks", help="Label Studio tasks, pre-annotated by --model, least certain first")
    p.add_argument("files", nargs="+", metavar="ARTICLES", help=".jsonl articles or .txt files")
    p.add_argument("-o", "--output", required=True, metavar="tasks.json")
    p.add_argument("--model", help="export whose predictions pre-annotate the tasks (omit for plain tasks)")
    p.add_argument("--top", type=int, help="keep the N least certain articles")
    p.set_defaults(func=_export_tasks)

    p = cmds.add_parser("labelstudio-config", help="print the Label Studio labelling config XML")
    p.add_argument("--labels", help=labels_help)
    p.add_argument("--model", help="take the label set from this export")
    p.set_defaults(func=_labelstudio_config)
