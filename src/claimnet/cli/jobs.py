"""``claimnet train | evaluate | export | bench KEY=VALUE ...``: the scripts' jobs from an installed claimnet.

Each takes the same Hydra overrides as ``scripts/*.py`` and ``make`` (plus
Hydra's own ``--help``, ``--cfg job``, ``-m`` and ``--config-dir DIR`` for a
folder of your own configs), with the configs and corpus that ship inside
claimnet, so it trains outside any clone. Outputs go to ``./outputs``
(``CLAIMNET_OUTPUT_DIR`` moves them).
"""

from __future__ import annotations

import argparse

JOBS = {
    "train": ("claimnet.tasks.train", "train", "train",
              "fine-tune on the bundled corpus (or data=custom ...), export, evaluate"),
    "evaluate": ("claimnet.tasks.evaluate", "evaluate", "evaluate",
                 "score an export on annotated JSONL, with reports and CI gates (model_path=...)"),
    "export": ("claimnet.tasks.export", "export", "export", "re-export a run's best checkpoint (run_dir=...)"),
    "bench": ("claimnet.tasks.benchmark", "benchmark", "benchmark",
              "the speed benchmark against the standard Hugging Face recipe"),
}


def _run(args: argparse.Namespace) -> int:
    import importlib

    from claimnet.tasks.entry import hydra_job

    module, function, config_name, _ = JOBS[args.command]
    task = getattr(importlib.import_module(module), function)
    return hydra_job(task, config_name, list(args.overrides), f"claimnet {args.command}")


def add_parser(sub) -> None:
    for name, (_, _, _, help_text) in JOBS.items():
        p = sub.add_parser(name, help=help_text, add_help=False, prefix_chars="\0",
                           description=f"{help_text}. Overrides as KEY=VALUE; --help shows the config.")
        p.add_argument("overrides", nargs=argparse.REMAINDER, metavar="KEY=VALUE")
        p.set_defaults(func=_run)
