"""MkDocs hook: the configuration reference, generated at build time from the schema (never written by hand)."""

from __future__ import annotations

import dataclasses

from mkdocs.structure.files import File


def _rows(schema, prefix=""):
    from claimnet.config.schema import dataclass_of

    for f in dataclasses.fields(schema):
        inner = dataclass_of(f)
        if inner is not None:
            yield from _rows(inner, f"{prefix}{f.name}.")
            continue
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else "")
        meta = f.metadata
        allowed = ""
        if meta.get("choices") is not None:
            allowed = " \\| ".join("null" if c is None else str(c) for c in meta["choices"])
        elif meta.get("low") is not None or meta.get("high") is not None:
            allowed = f"{'(' if meta.get('low_open') else '['}{meta.get('low', '-inf')}, {meta.get('high') or 'inf'}]"
        text = str(default).replace("|", "\\|")
        yield f"| `{prefix}{f.name}` | `{text if len(text) < 60 else text[:57] + '...'}` | {allowed} | " \
              f"{meta.get('help', '').replace('|', '/')} |"


def configuration_reference() -> str:
    from claimnet.config.schema import JOB_SCHEMAS

    out = ["# Configuration reference", "",
           "Generated from `claimnet/config/schema.py` when the docs are built. `???` is a value the preset or "
           "the user gives; `claimnet JOB --help KEY` prints the same for one key.", ""]
    for job, schema in JOB_SCHEMAS.items():
        out += [f"## `{job}`", "", "| key | default | allowed | meaning |", "| --- | --- | --- | --- |",
                *_rows(schema), ""]
    return "\n".join(out)


def on_files(files, config):
    files.append(File.generated(config, "reference/configuration.md", content=configuration_reference()))
    return files
