"""The Hugging Face part of an export: safetensors weights, tokenizer, config.

``transformers.pipeline("text-classification", model=DIR)`` loads the result
unchanged. Nothing pickled is written (design.md, Safety).
"""

from __future__ import annotations

import os
from pathlib import Path

# What the export keeps from save_pretrained; anything else (e.g. training_args.bin) is left out.
KEEP_SUFFIXES = (".json", ".safetensors", ".txt", ".model")


def save_huggingface(model, tokenizer, export_dir: str | Path) -> list[str]:
    """Write model and tokenizer into ``export_dir``; return the files written."""
    export_dir = Path(export_dir)
    export_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(export_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(export_dir))
    umask = os.umask(0)
    os.umask(umask)
    written = []
    for path in sorted(export_dir.iterdir()):
        if path.is_file() and not path.name.endswith(KEEP_SUFFIXES):
            path.unlink()
        elif path.is_file():
            path.chmod(0o666 & ~umask)  # safetensors are written 0600; an export is meant to be shared
            written.append(path.name)
    if "tokenizer.json" not in written:
        raise RuntimeError(
            f"the tokenizer wrote no tokenizer.json into {export_dir}; claimnet needs a fast tokenizer"
        )
    return written
