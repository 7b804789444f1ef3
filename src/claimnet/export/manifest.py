"""Writing the export manifest (``claimnet.json``, format version 2).

Reading and checking it is the runtime's job (:mod:`claimnet.runtime.manifest`);
this module builds the fields from a run and writes them with the checksum of
every other file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from claimnet.labels import LabelSet
from claimnet.runtime.encoding import TOKENIZER_FILE, vocabulary_fingerprint
from claimnet.runtime.environment import package_versions
from claimnet.runtime.files import sha256_file, write_json
from claimnet.runtime.manifest import FORMAT_VERSION, MANIFEST_NAME, SELF_DIGEST, manifest_digest
from claimnet.runtime.segmentation import SegmentationSettings


def export_files(export_dir: str | Path) -> list[str]:
    """Every file of the export but the manifest, as sorted POSIX relative paths."""
    root = Path(export_dir)
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME
    )


def tokenizer_fields(export_dir: str | Path, pad_token_id: int) -> dict[str, Any]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(export_dir) / TOKENIZER_FILE))
    return {"file": TOKENIZER_FILE, **vocabulary_fingerprint(tokenizer), "pad_token_id": int(pad_token_id)}


def manifest_fields(*, labels: LabelSet, base_model: str, context_window: int, max_length: int,
                    tokenizer: Mapping[str, Any], segmentation: SegmentationSettings,
                    run: Mapping[str, Any], kind: str = "sentence",
                    article: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything but ``int8``, ``metrics`` and ``files``, which the export adds as it goes.

    An article model (``kind="article"``) also records the windows it reads and its contextualiser's shape.
    """
    model: dict[str, Any] = {"kind": kind, "base_model": base_model, "context_window": int(context_window),
                             "max_length": int(max_length)}
    if article:
        model |= {"window": int(article["window"]), "stride": int(article["stride"]),
                  "contextualiser": {"layers": int(article["layers"]), "heads": int(article["heads"])}}
    return {
        "claimnet_version": package_versions()["claimnet"],
        "labels": list(labels),
        "model": model,
        "tokenizer": dict(tokenizer),
        "segmentation": segmentation.to_manifest(),
        "run": dict(run),
    }


def write_manifest(export_dir: str | Path, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``claimnet.json`` with ``fields`` plus the checksum of every other file."""
    root = Path(export_dir)
    manifest = {"format_version": FORMAT_VERSION, **fields}
    manifest["files"] = {name: sha256_file(root / name) for name in export_files(root)}
    write_json(root / MANIFEST_NAME, seal(manifest))
    return manifest


def seal(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with its own checksum, so an edit after export is caught at load."""
    manifest.pop(SELF_DIGEST, None)
    manifest[SELF_DIGEST] = manifest_digest(manifest)
    return manifest
