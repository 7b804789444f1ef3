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
                    run: Mapping[str, Any]) -> dict[str, Any]:
    """Everything but ``int8``, ``calibration``, ``metrics`` and ``files``, which the finishing stage adds."""
    model: dict[str, Any] = {"kind": "sentence", "base_model": base_model, "context_window": int(context_window),
                             "max_length": int(max_length)}
    return {
        "claimnet_version": package_versions()["claimnet"],
        "labels": list(labels),
        "model": model,
        "tokenizer": dict(tokenizer),
        "segmentation": segmentation.to_manifest(),
        "run": dict(run),
    }


def sealed_manifest(export_dir: str | Path, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest ``fields`` make for the files in ``export_dir`` now (checksums, own digest), not written."""
    root = Path(export_dir)
    manifest = {"format_version": FORMAT_VERSION, **fields}
    manifest["files"] = {name: sha256_file(root / name) for name in export_files(root)}
    return seal(manifest)


def write_manifest(export_dir: str | Path, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``claimnet.json`` with ``fields`` plus the checksum of every other file."""
    manifest = sealed_manifest(export_dir, fields)
    write_json(Path(export_dir) / MANIFEST_NAME, manifest)
    return manifest


def seal(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with its own checksum, so an edit after export is caught at load."""
    manifest.pop(SELF_DIGEST, None)
    manifest[SELF_DIGEST] = manifest_digest(manifest)
    return manifest
