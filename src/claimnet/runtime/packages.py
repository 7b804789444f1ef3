"""Model packages: an export shipped as a pip-installable wheel, found by a short name.

Like spaCy's ``en_core_web_sm``: ``claimnet package EXPORT --name news-minilm``
writes ``claimnet_news_minilm-VERSION-py3-none-any.whl``, which holds the export
and registers it in the entry-point group ``claimnet.models``; after ``pip
install`` (beside claimnet itself), ``ClaimTagger.load("news-minilm")`` and
``claimnet tag --model news-minilm`` find it. The wheel is written here, with
the standard library alone, so the base install builds it (no torch, no build
backend).
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from pathlib import Path

from claimnet.errors import ConfigError, ModelLoadError

GROUP = "claimnet.models"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")


def module_name(name: str) -> str:
    """The Python package a model package installs: ``news-minilm`` -> ``claimnet_news_minilm``."""
    return "claimnet_" + name.replace("-", "_")


def resolve_model(model: str | Path) -> Path:
    """Where an export is: a folder (a run folder: its ``export/``); else the export a model package of that name
    installed; else the path as given (whose absence the manifest reader then reports)."""
    from claimnet.runtime.manifest import MANIFEST_NAME

    path = Path(model)
    if (path / "export" / MANIFEST_NAME).exists() and not (path / MANIFEST_NAME).exists():
        return path / "export"
    if path.exists() or not NAME.match(str(model)):
        return path
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group=GROUP) if ep.name == str(model)]
    if not found:
        return path
    target = Path(found[0].load()())
    if not target.is_dir():
        raise ModelLoadError(f"the model package {model!r} points at {target}, which is not a folder; reinstall it")
    return target


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_model_wheel(export_dir: str | Path, name: str, version: str, out_dir: str | Path,
                      claimnet_version: str, licence_files: dict[str, bytes] | None = None) -> Path:
    """Write the wheel of one export (every file the manifest lists, the manifest, and the licences)."""
    import json

    from claimnet.runtime.manifest import MANIFEST_NAME, read_manifest, verify_files

    if not NAME.match(name):
        raise ConfigError(f"--name must be lower-case letters, digits and dashes (e.g. news-minilm). Got {name!r}.")
    if not re.match(r"^\d+(\.\d+)*$", version):
        raise ConfigError(f"--version must be numbers and dots (e.g. 0.1.0). Got {version!r}.")
    export_dir = Path(export_dir)
    manifest = read_manifest(export_dir)
    verify_files(export_dir, manifest, manifest["files"])  # a package carries an export that is whole
    module = module_name(name)
    dist = f"claimnet_{name.replace('-', '_')}"
    info = f"{dist}-{version}.dist-info"
    base = manifest["model"].get("base_model", "?")
    card = (export_dir / "README.md").read_text(encoding="utf-8") if (export_dir / "README.md").exists() else ""
    files: dict[str, bytes] = {
        f"{module}/__init__.py": (
            f'"""claimnet model package {name!r}: an export of {base}, loaded with '
            f'ClaimTagger.load({name!r})."""\n\nfrom pathlib import Path\n\n\n'
            "def export_dir() -> Path:\n"
            '    """The export this package holds."""\n'
            '    return Path(__file__).resolve().parent / "export"\n').encode(),
    }
    for rel in [*manifest["files"], MANIFEST_NAME]:
        files[f"{module}/export/{rel}"] = (export_dir / rel).read_bytes()
    for rel, data in (licence_files or {}).items():
        files[f"{info}/licenses/{rel}"] = data
    metadata = "\n".join([
        "Metadata-Version: 2.1", f"Name: claimnet-{name}", f"Version: {version}",
        f"Summary: claimnet model package {name}: an export of {base} (format {manifest['format_version']})",
        f"Requires-Dist: claimnet>={claimnet_version}", "Requires-Python: >=3.10",
        "Description-Content-Type: text/markdown", "", card])
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: claimnet\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/entry_points.txt"] = f"[{GROUP}]\n{name} = {module}:export_dir\n".encode()
    files[f"{info}/claimnet.json"] = json.dumps({"name": name, "export_format": manifest["format_version"]}).encode()
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{dist}-{version}-py3-none-any.whl"
    staged = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(staged, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for rel, data in files.items():
            wheel.writestr(rel, data)
    staged.replace(target)  # whole or not at all
    return target
