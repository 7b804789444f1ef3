"""Request and response bodies; FastAPI validates requests and writes the OpenAPI schema from these."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TagRequest(BaseModel):
    """One article (``text``) or several (``texts``); ``id``/``ids`` name them in the answer."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="one article's raw text")
    texts: list[str] | None = Field(None, description="several articles' raw texts", min_length=1)
    id: str | None = None
    ids: list[str] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> TagRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of 'text' (one article) or 'texts' (a list of articles)")
        for i, text in enumerate(self.articles()):
            if not text.strip():
                raise ValueError("'text' is empty" if self.text is not None else f"texts[{i}] is empty")
        if self.ids is not None and (self.texts is None or len(self.ids) != len(self.texts)):
            raise ValueError("'ids' needs 'texts' and one id per text")
        if self.id is not None and self.text is None:
            raise ValueError("'id' goes with 'text'; use 'ids' with 'texts'")
        return self

    def articles(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts or [])

    def names(self) -> list[str]:
        if self.text is not None:
            return [self.id if self.id is not None else "0"]
        return list(self.ids) if self.ids is not None else [str(i) for i in range(len(self.texts or []))]


class Sentence(BaseModel):
    start: int
    end: int
    text: str
    label: str
    score: float
    scores: dict[str, float]


class TaggedArticle(BaseModel):
    """The objects of ``claimnet tag --format json``."""

    id: str
    sentences: list[Sentence]


class ClassifyRequest(BaseModel):
    """Sentences already cut; ``contexts`` (one per sentence, or null) as the model's second segment."""

    model_config = ConfigDict(extra="forbid")

    sentences: list[str] = Field(..., min_length=1)
    contexts: list[str | None] | None = None

    @model_validator(mode="after")
    def _check(self) -> ClassifyRequest:
        for i, sentence in enumerate(self.sentences):
            if not sentence.strip():
                raise ValueError(f"sentences[{i}] is empty")
        if self.contexts is not None and len(self.contexts) != len(self.sentences):
            raise ValueError(f"'contexts' has {len(self.contexts)} entries for {len(self.sentences)} sentences")
        return self


class Classified(BaseModel):
    text: str
    label: str
    score: float
    scores: dict[str, float]


class ModelInfo(BaseModel):
    labels: list[str]
    kind: str
    base_model: str | None
    context_window: int
    max_length: int
    backend: str
    precision: str
    metrics: dict[str, Any]
    claimnet_version: str | None


class Problem(BaseModel):
    """Every 4xx and 503 answer: what was wrong, in words."""

    error: str
    detail: Any = None


class LabelStudioSetup(BaseModel):
    model_config = ConfigDict(extra="allow")

    project: str | None = None
    schema_: str | None = Field(None, alias="schema")


class LabelStudioTask(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int | str | None = None
    data: dict[str, Any]


class LabelStudioPredict(BaseModel):
    """Label Studio's ``/predict`` body: its tasks, and the project's labelling config."""

    model_config = ConfigDict(extra="allow")

    tasks: list[LabelStudioTask] = Field(..., min_length=1)
    label_config: str | None = None
    project: str | None = None
    params: dict[str, Any] | None = None
