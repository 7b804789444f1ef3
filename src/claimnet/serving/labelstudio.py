"""The Label Studio ML backend protocol: ``/setup``, ``/predict`` and ``/health`` answers.

A Label Studio project connected to ``claimnet serve`` (Settings > Model) gets
claimnet's sentences as pre-annotations: one ``labels`` region per sentence,
on the project's own ``Labels``/``Text`` names read from its labelling config.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from claimnet.data.importers.labelstudio import FROM_NAME, TO_NAME
from claimnet.runtime.tagger import TaggedSentence


@dataclass(frozen=True)
class Target:
    """Where predictions go: the Labels control's name, the Text object's name, and its data field."""

    from_name: str = FROM_NAME
    to_name: str = TO_NAME
    field: str | None = "text"


def target_of(label_config: str | None) -> Target:
    """Read the first ``<Labels>`` and the ``<Text>`` it points at; claimnet's defaults when there is none."""
    if not label_config:
        return Target()
    try:
        root = ElementTree.fromstring(label_config)
    except ElementTree.ParseError as exc:
        raise ValueError(f"label_config is not valid XML ({exc})") from None
    labels = next((el for el in root.iter() if el.tag == "Labels"), None)
    if labels is None:
        raise ValueError("label_config has no <Labels> control; claimnet predicts sentence spans with labels")
    to_name = labels.get("toName", TO_NAME)
    text = next((el for el in root.iter() if el.tag in ("Text", "HyperText") and el.get("name") == to_name), None)
    value = text.get("value", "") if text is not None else ""
    return Target(labels.get("name", FROM_NAME), to_name, value[1:] if value.startswith("$") else None)


def task_text(data: dict[str, Any], target: Target) -> str:
    """The text a task holds: the config's field, else its only string field."""
    if target.field and isinstance(data.get(target.field), str):
        return data[target.field]
    strings = [v for v in data.values() if isinstance(v, str)]
    if len(strings) == 1:
        return strings[0]
    raise ValueError(f"task data has no text field {target.field!r} and {len(strings)} string fields; "
                     "name it with <Text value=\"$field\"> in the labelling config")


def prediction(sentences: Sequence[TaggedSentence], target: Target, model_version: str) -> dict[str, Any]:
    """One task's prediction: a region per sentence, the mean sentence score as the task's score."""
    result = [{
        "id": f"s{i}", "from_name": target.from_name, "to_name": target.to_name, "type": "labels",
        "value": {"start": s.start, "end": s.end, "text": s.text, "labels": [s.label]}, "score": s.score,
    } for i, s in enumerate(sentences)]
    score = sum(s.score for s in sentences) / len(sentences) if sentences else 0.0
    return {"result": result, "score": score, "model_version": model_version}
