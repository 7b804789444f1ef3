"""The export manifest (``claimnet.json``): what inference needs, and checksums.

It records the label order, context window, max length and segmentation the
model was trained with, where it came from and how it scored, and the SHA-256
of every other file of the export. Loading verifies the files a backend reads,
so a missing or altered file is rejected by name instead of giving wrong answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from claimnet.errors import ModelLoadError
from claimnet.runs import write_json

MANIFEST_NAME = "claimnet.json"
FORMAT_VERSION = 1


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def export_files(export_dir: str | Path) -> list[str]:
    """Every file of the export but the manifest, as sorted POSIX relative paths."""
    root = Path(export_dir)
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME
    )


def write_manifest(export_dir: str | Path, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``claimnet.json`` with ``fields`` plus the checksum of every other file."""
    root = Path(export_dir)
    manifest = {"format_version": FORMAT_VERSION, **fields}
    manifest["files"] = {name: sha256_file(root / name) for name in export_files(root)}
    write_json(root / MANIFEST_NAME, manifest)
    return manifest


def read_manifest(export_dir: str | Path) -> dict[str, Any]:
    root = Path(export_dir)
    if not root.exists():
        raise ModelLoadError(f"{root}: no such model folder; train one with `make train` or pass --model DIR")
    if not root.is_dir():
        raise ModelLoadError(f"{root}: is not a folder; pass the export folder (the one holding {MANIFEST_NAME})")
    path = root / MANIFEST_NAME
    if not path.exists():
        hint = " (a run folder? its model is in export/)" if (root / "export" / MANIFEST_NAME).exists() else ""
        raise ModelLoadError(f"{path}: missing; {root} is not a claimnet export{hint}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path}: not a valid manifest ({exc})") from None
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelLoadError(
            f"{path}: format_version {version!r} is not supported by this claimnet (expects {FORMAT_VERSION})"
        )
    for key in ("labels", "context_window", "max_length", "files"):
        if key not in manifest:
            raise ModelLoadError(f"{path}: required field {key!r} is missing")
    return manifest


def verify_files(export_dir: str | Path, manifest: Mapping[str, Any], names: Iterable[str]) -> None:
    """Check that each named file exists and matches its recorded SHA-256."""
    root = Path(export_dir)
    recorded = manifest["files"]
    for name in names:
        path = root / name
        if name not in recorded:
            raise ModelLoadError(f"{path}: not listed in {MANIFEST_NAME}; the export is incomplete")
        if not path.is_file():
            raise ModelLoadError(f"{path}: missing from the export (listed in {MANIFEST_NAME})")
        found = sha256_file(path)
        if found != recorded[name]:
            raise ModelLoadError(
                f"{path}: SHA-256 {found[:12]}… does not match the manifest ({recorded[name][:12]}…); "
                "the file was altered or corrupted; export the model again"
            )
