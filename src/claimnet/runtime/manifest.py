"""The export manifest (``claimnet.json``): what inference needs, read back and checked.

The manifest is in charge of inference: the label order, the model kind and its
input (context window, max length), the tokenizer's vocabulary fingerprint and
the segmentation settings all come from it, and an export asking for something
this claimnet cannot honour is refused with what it supports. It also holds the
SHA-256 of every other file; loading verifies the files a backend reads.

Format versions: 2 (this claimnet writes it) and 1 (read, upgraded in memory:
its model fields were top-level and it recorded no ``max_chunk_chars``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from claimnet.errors import ModelLoadError
from claimnet.runtime.files import sha256_file
from claimnet.runtime.segmentation import SegmentationSettings

MANIFEST_NAME = "claimnet.json"
FORMAT_VERSION = 2
READABLE_FORMAT_VERSIONS = (1, 2)
# "sentence": a sequence classifier over (sentence, context of k neighbours) pairs.
MODEL_KINDS = ("sentence",)
REQUIRED = ("labels", "model", "segmentation", "files")


def _upgrade_v1(manifest: dict[str, Any]) -> dict[str, Any]:
    """A version-1 manifest in version-2 shape (in memory; the file is not changed)."""
    upgraded = {k: v for k, v in manifest.items() if k not in ("context_window", "max_length", "base_model")}
    upgraded["model"] = {
        "kind": "sentence",
        "base_model": manifest.get("base_model"),
        "context_window": manifest.get("context_window"),
        "max_length": manifest.get("max_length"),
    }
    upgraded.setdefault("segmentation", {})
    upgraded["upgraded_from"] = 1
    return upgraded


def read_manifest(export_dir: str | Path) -> dict[str, Any]:
    """Read and check ``claimnet.json``; version 1 comes back in version-2 shape."""
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
    if not isinstance(manifest, dict):
        raise ModelLoadError(f"{path}: not a valid manifest (a JSON object is expected)")
    version = manifest.get("format_version")
    if version not in READABLE_FORMAT_VERSIONS:
        raise ModelLoadError(
            f"{path}: format_version {version!r} is not supported by this claimnet "
            f"(it reads {list(READABLE_FORMAT_VERSIONS)}); use the claimnet that wrote it, or re-export"
        )
    if version == 1:
        manifest = _upgrade_v1(manifest)
    for key in REQUIRED:
        if key not in manifest:
            raise ModelLoadError(f"{path}: required field {key!r} is missing")
    model = manifest["model"]
    kind = model.get("kind")
    if kind not in MODEL_KINDS:
        raise ModelLoadError(
            f"{path}: model.kind {kind!r} is not one this claimnet can run (it runs {list(MODEL_KINDS)}); "
            "upgrade claimnet"
        )
    for key in ("context_window", "max_length"):
        value = model.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ModelLoadError(f"{path}: model.{key} must be a non-negative int. Got {value!r} instead.")
    SegmentationSettings.from_manifest(manifest["segmentation"], str(path))  # refuse early what we cannot cut
    return manifest


def segmentation_settings(manifest: Mapping[str, Any]) -> SegmentationSettings:
    return SegmentationSettings.from_manifest(manifest["segmentation"], MANIFEST_NAME)


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
