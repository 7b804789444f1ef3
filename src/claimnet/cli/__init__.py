"""The ``claimnet`` command: one module per subcommand (``tag``, ``serve``, ``data``, and the jobs
``train``, ``evaluate``, ``export``, ``bench``).

Runs on the base install (no torch, transformers or Hydra needed with an ONNX
export). Exit codes: :mod:`claimnet.errors` (0 done, 1 a check failed, 2 a
problem to fix, 70 a bug, 130 Ctrl-C).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from claimnet import __version__
from claimnet.cli import completion, data, jobs, package, serve, tag
from claimnet.cli.help_format import Parser
from claimnet.errors import report

SUBCOMMANDS = (tag, serve, data, package, jobs, completion)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="claimnet", description="Tag each sentence of a news article as claim, attribution, hedge or background.")
    parser.add_argument("--version", action="version", version=f"claimnet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    sub.metavar = "{" + ",".join(name for name in sub.choices if not name.startswith("_")) + "}"  # hide _complete
    sub.choices["completion"].set_defaults(root_parser=parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``claimnet`` command: the exit code of what ended it (:func:`claimnet.errors.report`)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # the reader went away (``| head``): nothing more to say
        return 0
    except BaseException as exc:  # noqa: BLE001  (the edge: every error becomes one exit code)
        if isinstance(exc, SystemExit):
            raise
        return report(exc, "claimnet")
