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


def _recipe_tables(path) -> list[str]:
    import json

    report = json.loads(path.read_text(encoding="utf-8"))
    m = report.get("machine", {})
    kind = path.stem.split("-", 1)[1]
    what = "`claimnet bench` on the default export" if path.stem.startswith("bench-") else "the recipe benchmark"
    out = [f"### {kind}: {m.get('cpu', '?')} ({what})", "",
           f"`{path.relative_to(path.parents[2]).as_posix()}`; {m.get('cpu_count', '?')} cores; ISA "
           f"{', '.join(m.get('flags', [])) or '?'}.", ""]
    training = report.get("training")
    if training:
        out += ["| training run | s | sentences/s | dev macro-F1 |", "| --- | ---: | ---: | ---: |"]
        out += [f"| {r['name']} | {r['seconds']:.0f} | {r['sentences_per_s']:.1f} | {r['dev_macro_f1']:.3f} |"
                for r in training["runs"].values()]
        out += ["", f"Training: claimnet's default at **{training['speedup']}x** the standard recipe's sentences/s.", ""]
    t = report.get("tagging") or {}
    if t.get("paths"):
        out += [f"Tagging {t.get('sentences')} sentences ({t.get('articles')} articles), median of {t.get('rounds')} "
                "rounds:", "", "| path | sentences/s | of its ceiling | vs pipeline | agreement with the pipeline |",
                "| --- | ---: | ---: | ---: | ---: |"]
        for name, r in t["paths"].items():
            if "sentences_per_s" not in r:
                continue
            frac = r.get("fraction_of_ceiling")
            out.append(f"| {name}{' (auto)' if name == t.get('auto') else ''} | {r['sentences_per_s']:.1f} | "
                       f"{'' if frac is None else f'{frac:.0%}'} | {r.get('speedup', 1.0):.2f}x | "
                       f"{r.get('agreement', 1.0):.4f} |")
        out.append("")
    if t.get("profile"):  # where the shipped path's time goes, as `claimnet bench` prints it
        from claimnet.evaluation.profile import profile_lines

        out += [f"- {line.strip()}" for line in profile_lines(t["profile"])] + [""]
    return out


def measurements_page(root) -> str:
    out = ["# Measured speed, by host", "",
           "Generated from `benchmarks/results/` when the docs are built (`bench-HOSTKIND.json` from `claimnet "
           "bench`, `recipe-HOSTKIND.json` from `python -m benchmarks recipe`, `conformance-HOSTKIND.json` from "
           "`python -m benchmarks conformance`); nothing here is copied by hand. A figure is only comparable with "
           "figures of the same host.", ""]
    results = root / "benchmarks" / "results"
    for path in [*sorted(results.glob("bench-*.json")), *sorted(results.glob("recipe-*.json"))]:
        out += _recipe_tables(path)
    for path in sorted((root / "benchmarks" / "results").glob("conformance-*.json")):
        out += _routes_table(path)
    return "\n".join(out)


def _routes_table(path) -> list[str]:
    import json

    report = json.loads(path.read_text(encoding="utf-8"))
    out = [f"## One answer on every route ({path.stem.removeprefix('conformance-')}: {report['machine'].get('cpu')})",
           "", f"`{path.relative_to(path.parents[2]).as_posix()}` (`python -m benchmarks conformance`): the default "
           f"export (format {report['format_version']}), {report['sentences']} test sentences, against ClaimTagger's "
           "ONNX fp32 route.", "",
           "| route | how to load it | labels agreement | max probability difference | sentences/s |",
           "| --- | --- | ---: | ---: | ---: |"]
    for name, r in report["routes"].items():
        out.append(f"| {name} | `{r['how']}` | {r['labels_agreement']:.4f} | {r['max_probability_difference']:.1e} | "
                   f"{r['sentences_per_s']:.1f} |")
    return [*out, ""]


PRESET_TEXT = """# Presets

Which recipe to train: the same commands, the same export (ONNX and int8 behind the same quality rule), the
same reports and packages. Generated from `benchmarks/results/presets-HOSTKIND.json` when the docs are built
(`python -m benchmarks presets SWEEP --name NAME --command ...` on a 3-seed sweep, `hparams_search=seeds`);
mean ± sd over the seeds; minutes are the run's own log (fit, export, reports) and tagging is the test split
through the export as it ships (`ClaimTagger.load(EXPORT)`), both on the named host with nothing else running.
Choices were made on dev alone; test is reported, never selected on.
"""


def presets_page(root) -> str:
    import json

    out = [PRESET_TEXT]
    for path in sorted((root / "benchmarks" / "results").glob("presets-*.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        m = report.get("machine", {})
        out += [f"## {path.stem.removeprefix('presets-')}: {m.get('cpu', '?')}, {m.get('cpu_count', '?')} cores", "",
                "| preset | command | seeds | dev macro-F1 | test macro-F1 | hedge F1 (dev / test) | minutes | "
                "tagging sentences/s | int8 kept |",
                "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
        for row in report["presets"].values():
            f = row["figures"]

            def cell(key, f=f):
                sd = f[key]["sd"]
                return f"{f[key]['mean']:.3f}" + (f" ± {sd:.3f}" if sd is not None else "")

            out.append(f"| {row['name']} | `{row['command']}` | {', '.join(map(str, row['seeds']))} | "
                       f"{cell('dev_macro_f1')} | {cell('test_macro_f1')} | "
                       f"{f['dev_hedge_f1']['mean']:.3f} / {f['test_hedge_f1']['mean']:.3f} | "
                       f"{f['run_minutes']['mean']:.1f} | {row['tagging']['sentences_per_s']:,.0f} "
                       f"({row['tagging']['backend']} {row['tagging']['precision']}) | "
                       f"{sum(row['int8_kept'])} of {len(row['int8_kept'])} |")
        notes = [f"- **{row['name']}**: {row['note']}" for row in report["presets"].values() if row.get("note")]
        out += ["", *notes, ""]
    return "\n".join(out)


def on_files(files, config):
    from pathlib import Path

    root = Path(config["config_file_path"]).resolve().parent
    files.append(File.generated(config, "reference/configuration.md", content=configuration_reference()))
    files.append(File.generated(config, "measured.md", content=measurements_page(root)))
    files.append(File.generated(config, "presets.md", content=presets_page(root)))
    return files
