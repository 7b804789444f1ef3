"""``claimnet package RUN_OR_EXPORT --name NAME``: an export as a pip-installable model package (a wheel).

After ``pip install claimnet-*.whl claimnet_NAME-*.whl``, ``claimnet tag --model NAME`` and
``ClaimTagger.load("NAME")`` find it; nothing but the base install is needed to build or use it.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _package(args: argparse.Namespace) -> int:
    from claimnet import __version__
    from claimnet.runtime.packages import build_model_wheel, resolve_model

    export = resolve_model(args.source)
    card = export / "README.md"
    licences = {"MODEL_CARD.md": card.read_bytes()} if card.is_file() else {}
    wheel = build_model_wheel(export, args.name, args.version, args.output, __version__, licences)
    print(f"Model package: {wheel}")
    print(f"Install it beside claimnet: pip install {wheel}; then: claimnet tag --model {args.name} FILE")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("package", help="an export (or a run folder) as a pip-installable model package")
    p.add_argument("source", metavar="RUN_OR_EXPORT", help="an export folder, or a run folder (its export/)")
    p.add_argument("--name", default="news-minilm", help="the short name it is loaded by")
    p.add_argument("--version", default="0.1.0", help="the package's version")
    p.add_argument("-o", "--output", type=Path, default=Path("dist"), help="where the wheel goes")
    p.set_defaults(func=_package)
