"""The evaluation report folder: Markdown for pull requests, pictures, one HTML file.

Everything is built from the metrics dict, the per-article probabilities and
the articles themselves, so the Markdown, the HTML and ``metrics.json`` never
disagree. matplotlib is imported only to draw the pictures.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.data import Article
from claimnet.evaluation.metrics import MIN_ARTICLES_FOR_INTERVALS, calibration_bins
from claimnet.labels import LabelSet
from claimnet.runtime.files import write_text
from claimnet.runtime.formats import label_colours

Table = tuple[list[str], list[list[str]]]


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def interval_caveat(metrics: Mapping[str, Any]) -> str:
    """A warning when the bootstrap over articles has too few articles to mean anything."""
    if metrics.get("intervals") and metrics["articles"] < MIN_ARTICLES_FOR_INTERVALS:
        return (f"intervals not meaningful: {plural(metrics['articles'], 'article')} "
                f"(fewer than {MIN_ARTICLES_FOR_INTERVALS})")
    return ""


def _f(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _ci(ci: Mapping[str, Any] | None) -> str:
    if not ci or ci.get("low") is None:
        return ""
    return f" [{ci['low']:.3f}, {ci['high']:.3f}]"


# ---------------------------------------------------------------- content


def per_label_table(metrics: Mapping[str, Any]) -> Table:
    intervals = metrics.get("intervals", {}).get("per_label", {})
    rows = []
    for label, m in metrics["per_label"].items():
        ci = intervals.get(label)
        rows.append([label, _f(m["precision"]), _f(m["recall"]), _f(m["f1"]) + _ci(ci), str(m["support"]),
                     str(ci["resamples"]) if ci else "—"])
    return ["label", "precision", "recall", "F1 [95% CI]", "support", "resamples"], rows


def save_figure(fig, path: Path) -> None:
    """A picture, whole or not at all (rendered in memory, then written through the one output writer)."""
    import io

    from claimnet.runtime.files import open_output

    buffer = io.BytesIO()
    fig.savefig(buffer, format=Path(path).suffix.lstrip(".") or "png")
    with open_output(path, binary=True) as fh:
        fh.write(buffer.getvalue())


def confusion_matrix_table(metrics: Mapping[str, Any]) -> Table:
    cm = metrics["confusion_matrix"]
    header = ["gold \\ predicted", *cm["labels"]]
    rows = [[label, *(str(v) for v in row)] for label, row in zip(cm["labels"], cm["matrix"])]
    return header, rows


def baseline_table(metrics: Mapping[str, Any], baselines: Mapping[str, Mapping[str, Any]]) -> Table:
    labels = list(metrics["per_label"])
    header = ["system", "macro-F1", "accuracy", *(f"{l} F1" for l in labels)]
    rows = []
    for name, m in [("model", metrics), *baselines.items()]:
        rows.append([name, _f(m["macro_f1"]) + _ci(m.get("intervals", {}).get("macro_f1")), _f(m["accuracy"]),
                     *(_f(m["per_label"][l]["f1"]) for l in labels)])
    return header, rows


def comparison(metrics: Mapping[str, Any], previous: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Current against previous figures.

    A change is 'outside' when the previous value lies outside the current interval.
    """
    intervals = metrics.get("intervals", {})
    items = [("macro-F1", metrics["macro_f1"], previous.get("macro_f1"), intervals.get("macro_f1"))]
    for label, m in metrics["per_label"].items():
        prev = previous.get("per_label", {}).get(label, {}).get("f1")
        items.append((f"{label} F1", m["f1"], prev, intervals.get("per_label", {}).get(label)))
    rows = []
    for name, current, prev, ci in items:
        if prev is None:
            continue
        outside = None
        if ci and ci.get("low") is not None:
            outside = not (ci["low"] <= prev <= ci["high"])
        rows.append({"metric": name, "previous": prev, "current": current, "change": current - prev,
                     "outside_interval": outside})
    return rows


def comparison_table(rows: list[dict[str, Any]]) -> Table:
    mark = {True: "outside the interval", False: "inside the interval (noise)", None: "no interval"}
    return ["metric", "previous", "current", "change", "vs 95% CI"], [
        [r["metric"], _f(r["previous"]), _f(r["current"]), f"{r['change']:+.3f}", mark[r["outside_interval"]]]
        for r in rows
    ]


def confident_mistakes(
    articles: Sequence[Article], probs: Sequence[np.ndarray], labels: Sequence[str], per_label: int = 10
) -> dict[str, list[dict[str, Any]]]:
    """The most confident wrong predictions for each gold label, with neighbouring sentences."""
    found: dict[str, list[dict[str, Any]]] = {l: [] for l in labels}
    for article, article_probs in zip(articles, probs):
        texts = article.sentence_texts()
        for i, (sent, p) in enumerate(zip(article.sentences, article_probs)):
            pred = labels[int(p.argmax())]
            if pred != sent.label:
                found[sent.label].append({
                    "article_id": article.id, "index": i, "gold": sent.label, "predicted": pred,
                    "confidence": float(p.max()), "sentence": texts[i],
                    "before": texts[i - 1] if i > 0 else "", "after": texts[i + 1] if i + 1 < len(texts) else "",
                })
    return {l: sorted(v, key=lambda m: -m["confidence"])[:per_label] for l, v in found.items()}


# ---------------------------------------------------------------- markdown


def md_text(text: str) -> str:
    """Text from data (ids, labels, sentences) made inert in Markdown: HTML escaped, markup characters too.

    report.md becomes the GitHub step summary, which renders HTML; nothing from a data file may.
    """
    text = escape(" ".join(str(text).split()), quote=False)  # <, >, & become entities
    text = "".join("\\" + ch if ch in "\\`|" else ch for ch in text)  # no code spans, no table breaks
    return text.replace("](", "]\\(")  # no links


def md_table(table: Table) -> str:
    header, rows = table
    align = ["---"] + ["---:" if i else "---" for i in range(1, len(header))]
    lines = ["| " + " | ".join(md_text(h) for h in header) + " |", "| " + " | ".join(align[: len(header)]) + " |"]
    lines += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def headline_md(metrics: Mapping[str, Any]) -> str:
    iv = metrics.get("intervals", {})
    return (
        f"**macro-F1 {_f(metrics['macro_f1'])}**{_ci(iv.get('macro_f1'))} · micro-F1 {_f(metrics['micro_f1'])} · "
        f"accuracy {_f(metrics['accuracy'])} · Cohen's kappa {_f(metrics['kappa'])} · ECE {_f(metrics['ece'])}"
        + (f" ({_f(metrics['calibration']['ece_before'])} before temperature scaling, "
           f"T = {metrics['calibration']['temperature']:.2f})" if metrics.get("calibration") else "")
        + " · "
        + f"{plural(metrics['sentences'], 'sentence')} in {plural(metrics['articles'], 'article')}"
        + (f" · intervals: 95% bootstrap over articles, {iv['resamples']} resamples" if iv else "")
        + (f" · {interval_caveat(metrics)}" if interval_caveat(metrics) else "")
    )


def gates_table(metrics: Mapping[str, Any]) -> tuple[str, Table] | None:
    """The gates' verdict line and table, when gates were checked."""
    gates = metrics.get("gates")
    if not gates:
        return None
    results = gates.get("results", [])
    failed = sum(not r["passed"] for r in results)
    verdict = ("no gates set" if not results else
               f"all {plural(len(results), 'gate')} passed" if not failed else
               f"FAILED: {failed} of {plural(len(results), 'gate')}")
    rows = [[r["gate"], _f(r["measured"], 4), str(r["required"]), "passed" if r["passed"] else "FAILED"]
            for r in results]
    return verdict, (["gate", "measured", "required", "result"], rows)


def render_markdown(title: str, metrics, baselines, compared, mistakes) -> str:
    parts = [f"## {md_text(title)}", ""]
    gates = gates_table(metrics)
    if gates:
        parts += [f"### Gates: {gates[0]}", "", md_table(gates[1]) if gates[1][1] else "", ""]
    parts += [headline_md(metrics), "", "### Per label", "", md_table(per_label_table(metrics)),
             "", "### Confusion matrix (rows gold, columns predicted)", "", md_table(confusion_matrix_table(metrics))]
    if baselines:
        parts += ["", "### Against baselines (fitted on the train split in this run)", "",
                  md_table(baseline_table(metrics, baselines))]
    if compared is not None:
        parts += ["", "### Change against the previous metrics", ""]
        parts += [md_table(comparison_table(compared)) if compared else "(no comparable figures)"]
    if mistakes:
        parts += ["", "### Most confident mistakes", ""]
        for label, items in mistakes.items():
            parts += [f"<details><summary>gold <b>{escape(label)}</b>: {len(items)} shown</summary>", ""]
            for m in items:
                parts.append(f"- predicted **{md_text(m['predicted'])}** ({m['confidence']:.2f}), "
                             f"article {md_text(m['article_id'])} #{m['index']}: {md_text(m['before'])} "
                             f"**{md_text(m['sentence'])}** {md_text(m['after'])}")
            parts += ["", "</details>", ""]
    return "\n".join(parts).rstrip() + "\n"


# ---------------------------------------------------------------- pictures


def plot_confusion(metrics: Mapping[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.array(metrics["confusion_matrix"]["matrix"], dtype=float)
    labels = metrics["confusion_matrix"]["labels"]
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.4 * len(labels) + 2, 1.2 * len(labels) + 1.5), dpi=110)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, f"{int(cm[i, j])}\n{share[i, j]:.0%}", ha="center", va="center",
                    color="white" if share[i, j] > 0.6 else "black", fontsize=10)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title("Confusion matrix (count, share of gold row)")
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def plot_calibration(probs: np.ndarray, gold: np.ndarray, path: Path, bins: int = 10) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    binned = calibration_bins(probs, gold, bins)
    used = binned["count"] > 0
    centres, accs = binned["confidence"][used], binned["accuracy"][used]
    counts = binned["count"][used].tolist()
    fig, ax = plt.subplots(figsize=(5.5, 5), dpi=110)
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.plot(centres, accs, "o-", color="#1f77b4", label="model")
    for x, y, n in zip(centres, accs, counts):
        ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("confidence of the predicted label")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability diagram (points: sentences per bin)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


# ---------------------------------------------------------------- html


def html_table(table: Table) -> str:
    header, rows = table
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(cell: str) -> str:
    numeric = cell[:1].isdigit() or cell[:1] in "+-—"
    return f'<td class="n">{escape(cell)}</td>' if numeric else f"<td>{_md_inline(escape(cell))}</td>"


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{escape(path.stem)}" src="data:image/png;base64,{data}">'


def article_view(articles: Sequence[Article], probs: Sequence[np.ndarray], labels: Sequence[str]) -> str:
    colour = label_colours(labels)
    blocks = []
    for article, article_probs in zip(articles, probs):
        spans = []
        wrong = 0
        for sent, p in zip(article.sentences, article_probs):
            pred = labels[int(p.argmax())]
            miss = pred != sent.label
            wrong += miss
            title = f"gold {sent.label} · predicted {pred} ({p.max():.2f})"
            spans.append(
                f'<span class="s{" miss" if miss else ""}" style="background:{colour[pred]}33;'
                f'border-left:4px solid {colour[sent.label]}" title="{escape(title)}">'
                f'{"✗ " if miss else ""}{escape(article.text[sent.start:sent.end])}</span>'
            )
        name = escape(str(article.metadata.get("title") or article.id))
        blocks.append(f"<details{' open' if not blocks else ''}><summary>{name} — {len(article.sentences)} sentences, {wrong} mistakes</summary>"
                      f"<p>{' '.join(spans)}</p></details>")
    legend = " ".join(
        f'<span class="s" style="background:{colour[l]}33;border-left:4px solid {colour[l]}">{escape(l)}</span>'
        for l in labels
    )
    return (f"<p>Left bar: gold label; fill: predicted label; ✗ and a red outline: a mistake; hover for "
            f"details.</p><p>{legend}</p>" + "".join(blocks))


def render_html(title, metrics, baselines, compared, mistakes, images: Sequence[Path], articles_html: str) -> str:
    sections = [f"<h1>{escape(title)}</h1>"]
    gates = gates_table(metrics)
    if gates:
        sections += [f"<h2>Gates: {escape(gates[0])}</h2>", html_table(gates[1]) if gates[1][1] else ""]
    sections += [f"<p>{_md_inline(escape(headline_md(metrics)))}</p>",
                "<h2>Per label</h2>", html_table(per_label_table(metrics)),
                "<h2>Confusion matrix</h2>", html_table(confusion_matrix_table(metrics)),
                '<div class="pics">' + "".join(_img(p) for p in images) + "</div>"]
    if baselines:
        sections += ["<h2>Against baselines</h2>", html_table(baseline_table(metrics, baselines))]
    if compared is not None:
        sections += ["<h2>Change against the previous metrics</h2>", html_table(comparison_table(compared))]
    if mistakes:
        sections.append("<h2>Most confident mistakes</h2>")
        for label, items in mistakes.items():
            rows = [[m["predicted"], f"{m['confidence']:.2f}", m["article_id"],
                     " ".join(f"{m['before']} **{m['sentence']}** {m['after']}".split())] for m in items]
            sections += [f"<h3>gold {escape(label)}</h3>",
                         html_table((["predicted", "confidence", "article", "sentence in context"], rows))]
    sections += ['<h2 id="articles">Articles</h2>', articles_html]
    style = ("body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}"
             "table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
             "text-align:left;vertical-align:top}td.n{text-align:right;white-space:nowrap}.pics img{max-width:48%;margin-right:1%}"
             ".s{padding:1px 3px;margin:1px;line-height:1.9;border-radius:2px}.miss{outline:2px solid #d33}"
             "details{margin:.3rem 0}summary{cursor:pointer}")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(sections)}</body></html>\n")


def _md_inline(text: str) -> str:
    """Escaped text with **bold** turned into <b>; ``text`` must already be HTML-escaped."""
    import re

    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)


# ---------------------------------------------------------------- the folder


def write_report(
    output_dir: str | Path,
    title: str,
    metrics: Mapping[str, Any],
    articles: Sequence[Article],
    probs: Sequence[np.ndarray],
    labels: LabelSet,
    baselines: Mapping[str, Mapping[str, Any]] | None = None,
    previous: Mapping[str, Any] | None = None,
    mistakes_per_label: int = 10,
) -> dict[str, Path]:
    """Write report.md, confusion_matrix.png, calibration.png and report.html; return their paths."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    gold = np.array(labels.encode([s.label for a in articles for s in a.sentences]), dtype=int)
    labels = list(labels)
    compared = comparison(metrics, previous) if previous else None
    mistakes = confident_mistakes(articles, probs, labels, mistakes_per_label) if mistakes_per_label else {}
    markdown = render_markdown(title, metrics, baselines or {}, compared, mistakes)
    paths = {"markdown": out / "report.md", "confusion": out / "confusion_matrix.png",
             "calibration": out / "calibration.png", "html": out / "report.html"}
    write_text(paths["markdown"], markdown)
    plot_confusion(metrics, paths["confusion"])
    plot_calibration(np.concatenate(probs), gold, paths["calibration"])
    html = render_html(title, metrics, baselines or {}, compared, mistakes,
                       [paths["confusion"], paths["calibration"]], article_view(articles, probs, labels))
    write_text(paths["html"], html)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(markdown + "\n")
    return paths
