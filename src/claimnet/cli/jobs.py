"""``claimnet train | evaluate | export | bench KEY=VALUE ...``: the scripts' jobs from an installed claimnet.

Each takes the same Hydra overrides as ``scripts/*.py`` and ``make`` (plus
Hydra's own ``--help``, ``--cfg job``, ``-m`` and ``--config-dir DIR`` for a
folder of your own configs), with the configs and corpus that ship inside
claimnet, so it trains outside any clone. Outputs go to ``./outputs``
(``CLAIMNET_OUTPUT_DIR`` moves them).
"""

from __future__ import annotations

import argparse

from claimnet.tasks.registry import JOBS


def _run(args: argparse.Namespace) -> int:
    from claimnet.tasks.runner import run_job

    return run_job(args.command, list(args.overrides), f"claimnet {args.command}")


def add_parser(sub) -> None:
    for job in JOBS.values():
        p = sub.add_parser(job.name, help=job.summary, add_help=False, prefix_chars="\0",
                           description=f"{job.summary}. Overrides as KEY=VALUE; --help shows every key.")
        p.add_argument("overrides", nargs=argparse.REMAINDER, metavar="KEY=VALUE")
        p.set_defaults(func=_run)
