"""The export manifest (``claimnet.json``): what inference needs, read back and checked.

The manifest is in charge of inference: the label order, the model kind and its
input (context window, max length), the tokenizer's vocabulary fingerprint and
the segmentation settings all come from it, and an export asking for something
this claimnet cannot honour is refused with what it supports. It also holds the
SHA-256 of every other file; loading verifies the files a backend reads.

Format versions: 3 (this claimnet writes it: temperature and decision biases
folded into the classifier's weights, recorded but not applied), 2 (read; the
runtime applies its temperature and biases) and 1 (read, upgraded in memory:
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
FORMAT_VERSION = 3
READABLE_FORMAT_VERSIONS = (1, 2, 3)
# From version 3 the calibration is folded into the weights: the manifest describes it, no runtime applies it.
FOLDED_FROM_VERSION = 3
# "sentence": a sequence classifier over (sentence, context of k neighbours) pairs.
MODEL_KINDS = ("sentence", "article")
REQUIRED = ("labels", "model", "segmentation", "files")


MAX_MANIFEST_BYTES = 1 << 20  # a manifest is a few KB; anything near this is not one
SELF_DIGEST = "manifest_sha256"


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    """SHA-256 of the manifest's content without its own digest (keys sorted: key order does not count)."""
    import hashlib

    body = {k: v for k, v in manifest.items() if k != SELF_DIGEST}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _load_json(path: Path) -> dict[str, Any]:
    """The manifest's JSON object: a regular file of bounded size, decoded without recursion blow-ups."""
    import stat

    try:
        info = path.stat()
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise ModelLoadError(f"{path}: is not a regular file (a folder, pipe or device); a manifest is a file")
    if info.st_size > MAX_MANIFEST_BYTES:
        raise ModelLoadError(f"{path}: {info.st_size} bytes, more than a manifest can be ({MAX_MANIFEST_BYTES})")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
        manifest = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise ModelLoadError(f"{path}: not a valid manifest ({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(manifest, dict):
        raise ModelLoadError(f"{path}: not a valid manifest (a JSON object is expected, got "
                             f"{type(manifest).__name__})")
    return manifest


def _check_shapes(manifest: dict[str, Any], path: Path) -> None:
    """Every field the runtime reads has the type it needs; the message names the field."""
    labels = manifest["labels"]
    if (not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) and x for x in labels)
            or len(set(labels)) != len(labels)):
        raise ModelLoadError(f"{path}: labels must be a list of at least 2 distinct non-empty strings. "
                             f"Got {str(labels)[:200]} instead.")
    files = manifest["files"]
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v)
            for k, v in files.items()):
        raise ModelLoadError(f"{path}: files must map each file name to its SHA-256 (64 hex digits)")
    for key in ("model", "segmentation"):
        if not isinstance(manifest[key], dict):
            raise ModelLoadError(f"{path}: {key} must be an object. Got {type(manifest[key]).__name__} instead.")
    for key in ("tokenizer", "int8"):
        if manifest.get(key) is not None and not isinstance(manifest[key], dict):
            raise ModelLoadError(f"{path}: {key} must be an object or absent. Got {type(manifest[key]).__name__}.")


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
        raise ModelLoadError(f"{root}: no such model folder; train one with `claimnet train` (in a clone: "
                             "`make train`), or pass --model DIR")
    if not root.is_dir():
        raise ModelLoadError(f"{root}: is not a folder; pass the export folder (the one holding {MANIFEST_NAME})")
    path = root / MANIFEST_NAME
    if not path.exists():
        hint = " (a run folder? its model is in export/)" if (root / "export" / MANIFEST_NAME).exists() else ""
        raise ModelLoadError(f"{path}: missing; {root} is not a claimnet export{hint}")
    return check_manifest(_load_json(path), path)


def check_manifest(manifest: dict[str, Any], path: Path) -> dict[str, Any]:
    """Check a manifest's fields (read from ``path``, or one being built there); version 1 comes back as 2."""
    version = manifest.get("format_version")
    if version not in READABLE_FORMAT_VERSIONS:
        raise ModelLoadError(
            f"{path}: format_version {version!r} is not supported by this claimnet "
            f"(it reads {list(READABLE_FORMAT_VERSIONS)}); use the claimnet that wrote it, or re-export"
        )
    if version == 1:
        manifest = _upgrade_v1(manifest)
    elif manifest.get(SELF_DIGEST) != manifest_digest(manifest):
        raise ModelLoadError(
            f"{path}: edited after export (its own checksum {SELF_DIGEST} does not match its content); "
            "every field of a manifest describes the model it was written with: export the model again, "
            "or restore the file"
        )
    for key in REQUIRED:
        if key not in manifest:
            raise ModelLoadError(f"{path}: required field {key!r} is missing")
    _check_shapes(manifest, path)
    model = manifest["model"]
    kind = model.get("kind")
    if kind not in MODEL_KINDS:
        raise ModelLoadError(
            f"{path}: model.kind {kind!r} is not one this claimnet can run (it runs {list(MODEL_KINDS)}); "
            "upgrade claimnet"
        )
    for key, low, high in (("context_window", 0, 20), ("max_length", 8, 4096)):
        value = model.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ModelLoadError(f"{path}: model.{key} must be an int in [{low}, {high}]. Got {value!r} instead.")
    if kind == "article":  # the windows an article model reads (claimnet.runtime.windows)
        window, stride = model.get("window"), model.get("stride")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (window, stride)) or not (
                2 <= stride and 2 * stride <= window <= 4096):
            raise ModelLoadError(f"{path}: an article model needs model.window and model.stride, ints with "
                                 f"2 <= stride and 2 x stride <= window. Got window {window!r}, stride {stride!r}.")
    temperature = (manifest.get("calibration") or {}).get("temperature", 1.0)
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 < temperature < 1000:
        raise ModelLoadError(f"{path}: calibration.temperature must be a number in (0, 1000). Got {temperature!r} "
                             "instead.")
    biases = ((manifest.get("calibration") or {}).get("decision_biases") or {}).get("biases")
    if biases is not None and (not isinstance(biases, dict) or set(biases) != set(manifest["labels"]) or not all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and abs(b) < 100 for b in biases.values())):
        raise ModelLoadError(f"{path}: calibration.decision_biases.biases must map each label to a number. "
                             f"Got {biases!r} instead.")
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
