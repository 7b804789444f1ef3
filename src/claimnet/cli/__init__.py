"""The ``claimnet`` command: one module per subcommand (``tag``, ``serve``, ``data``, and the jobs
``train``, ``evaluate``, ``export``, ``bench``).

Runs on the base install (no torch, transformers or Hydra needed with an ONNX
export). Exit codes: 0 done, 1 a check the user asked for failed, 2 a problem
the user must fix (message on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from claimnet import __version__
from claimnet.cli import completion, data, jobs, serve, tag
from claimnet.errors import ClaimnetError

SUBCOMMANDS = (tag, serve, data, jobs, completion)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="claimnet", description="Tag each sentence of a news article as claim, attribution, hedge or background.")
    parser.add_argument("--version", action="version", version=f"claimnet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    sub.metavar = "{" + ",".join(name for name in sub.choices if not name.startswith("_")) + "}"  # hide _complete
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ClaimnetError as exc:
        print(f"claimnet: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
