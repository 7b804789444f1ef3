"""``--help`` that shows every option's default (argparse's own formatter shows it only where help text asks)."""

from __future__ import annotations

import argparse


class DefaultsFormatter(argparse.HelpFormatter):
    """Appends ``(default: X)`` to each option with a default worth saying, once, help text or not."""

    def add_argument(self, action: argparse.Action) -> None:
        worth = action.option_strings and action.default not in (None, False, argparse.SUPPRESS)
        if worth and "default" not in (action.help or ""):
            action.help = f"{action.help or ''} (default: %(default)s)".strip()
        super().add_argument(action)


class Parser(argparse.ArgumentParser):
    """The ``claimnet`` command's parser; its subcommands' parsers are of this class too, so all show defaults."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)
