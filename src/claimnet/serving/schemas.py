"""Request and response bodies; FastAPI validates requests and writes the OpenAPI schema from these."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from claimnet.runtime.tagger import TaggedSentence

# At least one character that is not white space, as JSON Schema (ECMA-262) reads \s: the same class
# here and in the schema, so the server refuses exactly what the schema calls blank.
NON_BLANK = "[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
# In the schema as minLength and pattern, checked by the validators below (whose messages say what is wrong):
# a pydantic length constraint would refuse a lone surrogate, which claimnet tags (the model sees U+FFFD).
_NON_BLANK_SCHEMA = {"minLength": 1, "pattern": NON_BLANK}
NonBlankText = Annotated[str, Field(json_schema_extra=_NON_BLANK_SCHEMA)]


def _non_blank(text: str, what: str) -> str:
    if not re.search(NON_BLANK, text):
        raise ValueError(f"{what} is empty")
    return text


class TagOne(BaseModel):
    """One article: ``{"text": ..., "id": ...}``."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., json_schema_extra=_NON_BLANK_SCHEMA, description="the article's raw text")
    id: str | None = Field(None, description="its id in the answer (default \"0\")")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        return _non_blank(text, "'text'")

    def articles(self) -> list[str]:
        return [self.text]

    def names(self) -> list[str]:
        return [self.id if self.id is not None else "0"]


class TagMany(BaseModel):
    """Several articles: ``{"texts": [...], "ids": [...]}``, answered in order (ids default "0", "1", ...)."""

    model_config = ConfigDict(extra="forbid")

    texts: list[NonBlankText] = Field(..., min_length=1)
    ids: list[str] | None = Field(None, description="one id per text, for the answer (default \"0\", \"1\", ...)")

    @field_validator("texts")
    @classmethod
    def _none_blank(cls, texts: list[str]) -> list[str]:
        return [_non_blank(text, f"texts[{i}]") for i, text in enumerate(texts)]

    @model_validator(mode="after")
    def _one_id_per_text(self) -> TagMany:
        if self.ids is not None and len(self.ids) != len(self.texts):
            raise ValueError(f"'ids' has {len(self.ids)} entries for {len(self.texts)} 'texts': give one id per text")
        return self

    def articles(self) -> list[str]:
        return list(self.texts)

    def names(self) -> list[str]:
        return list(self.ids) if self.ids is not None else [str(i) for i in range(len(self.texts))]


def _which(body: Any) -> str:
    return "many" if isinstance(body, dict) and "texts" in body else "one"


# One of the two, chosen by the key present, so an error speaks of the shape the client meant.
TagRequest = Annotated[Annotated[TagOne, Tag("one")] | Annotated[TagMany, Tag("many")], Discriminator(_which)]


class TaggedArticle(BaseModel):
    """The objects of ``claimnet tag --format json``: the runtime's sentences, as they are."""

    id: str
    sentences: list[TaggedSentence]




class SentenceInContext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: NonBlankText
    context: str | None = Field(None, description="the sentences around it, joined by spaces")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        return _non_blank(text, "a sentence's 'text'")


class ClassifyRequest(BaseModel):
    """Sentences already cut, for a model that reads no context: ``{"sentences": [...]}``."""

    model_config = ConfigDict(extra="forbid")

    sentences: list[NonBlankText] = Field(..., min_length=1)

    @field_validator("sentences")
    @classmethod
    def _none_blank(cls, sentences: list[str]) -> list[str]:
        return [_non_blank(sentence, f"sentences[{i}]") for i, sentence in enumerate(sentences)]

    def pairs(self) -> list[tuple[str, str | None]]:
        return [(s, None) for s in self.sentences]


class ClassifyInContextRequest(BaseModel):
    """Sentences already cut, for a model with a context window: ``{"sentences": [...], "contexts": [...]}``
    (or each sentence as ``{"text", "context"}``)."""

    model_config = ConfigDict(extra="forbid")

    sentences: list[NonBlankText | SentenceInContext] = Field(..., min_length=1)
    contexts: list[str | None] | None = Field(None, description="one context per sentence: the sentences around "
                                                                "it, joined by spaces")

    @model_validator(mode="after")
    def _one_context_per_sentence(self) -> ClassifyInContextRequest:
        if self.contexts is not None and len(self.contexts) != len(self.sentences):
            raise ValueError(f"'contexts' has {len(self.contexts)} entries for {len(self.sentences)} 'sentences': "
                             "give one context (or null) per sentence")
        return self

    def pairs(self) -> list[tuple[str, str | None]]:
        contexts = self.contexts or [None] * len(self.sentences)
        return [(s, c) if isinstance(s, str) else (s.text, s.context if s.context is not None else c)
                for s, c in zip(self.sentences, contexts)]


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
