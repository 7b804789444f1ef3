"""``claimnet completion bash|zsh``: shell completion for subcommands, their options and the jobs' keys.

``eval "$(claimnet completion bash)"`` in ``~/.bashrc`` (zsh: ``claimnet completion zsh``, which uses
bash's completion through ``bashcompinit``). The jobs' words (``group=option``, ``key=``) come from
their composed configs through the hidden ``claimnet _complete JOB``.
"""

from __future__ import annotations

import argparse
import sys

SCRIPT = r"""_claimnet() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "%(commands)s --version --help" -- "$cur"))
        return
    fi
    case ${COMP_WORDS[1]} in
        data)
            if [ "$COMP_CWORD" -eq 2 ]; then
                COMPREPLY=($(compgen -W "%(data)s" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "%(data_options)s" -f -- "$cur"))
            fi ;;
        tag) COMPREPLY=($(compgen -W "%(tag_options)s" -f -- "$cur")) ;;
        train|evaluate|export|bench)
            COMPREPLY=($(compgen -W "$(claimnet _complete ${COMP_WORDS[1]} 2>/dev/null)" -- "$cur"))
            type compopt >/dev/null 2>&1 && compopt -o nospace ;;
    esac
}
complete -F _claimnet claimnet
"""


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted({s for a in parser._actions for s in a.option_strings if s.startswith("--")})


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for ``parser`` (the ``claimnet`` command's own)."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands = sorted(c for c in sub.choices if not c.startswith("_"))
    data = next(a for a in sub.choices["data"]._actions if isinstance(a, argparse._SubParsersAction))
    text = SCRIPT % {
        "commands": " ".join(commands),
        "data": " ".join(sorted(data.choices)),
        "data_options": " ".join(sorted({o for p in data.choices.values() for o in _options(p)})),
        "tag_options": " ".join(_options(sub.choices["tag"])),
    }
    return ("autoload -U +X bashcompinit && bashcompinit\n" + text) if shell == "zsh" else text


def _print_script(args: argparse.Namespace) -> int:
    sys.stdout.write(script(args.shell, args.root_parser))
    return 0


def _complete(args: argparse.Namespace) -> int:
    from claimnet.tasks.help import completion_words
    from claimnet.tasks.registry import JOBS
    from claimnet.tasks.runner import compose_job

    job = JOBS[args.job]
    cfg = compose_job(job.config_name, [], keep_hydra=True, resolve_outputs=False)
    print("\n".join(completion_words(job, cfg)))
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("completion", help="print a shell completion script: eval \"$(claimnet completion bash)\"")
    p.add_argument("shell", choices=["bash", "zsh"])
    p.set_defaults(func=_print_script)
    hidden = sub.add_parser("_complete")  # used by the completion script
    hidden.add_argument("job")
    hidden.set_defaults(func=_complete)
