"""The tagging server's application: endpoints, limits, metrics; ``create_app(settings)`` builds it.

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at run time.
"""

import asyncio
import json
import os
import time
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from claimnet import __version__
from claimnet.runtime.manifest import read_manifest
from claimnet.runtime.packages import resolve_model
from claimnet.runtime.tagger import ClaimTagger, model_text
from claimnet.runtime.windows import one_paragraph
from claimnet.serving import labelstudio
from claimnet.serving.batching import DynamicBatcher, QueueFull
from claimnet.serving.limits import ConcurrencyLimit
from claimnet.serving.schemas import (
    Classified,
    ClassifyInContextRequest,
    ClassifyRequest,
    LabelStudioPredict,
    LabelStudioSetup,
    ModelInfo,
    Problem,
    TaggedArticle,
    TagRequest,
)

SETTINGS_ENV = "CLAIMNET_SERVE_SETTINGS"  # how `--workers N` hands the settings to each worker process


@dataclass(frozen=True)
class ServeSettings:
    model: str
    backend: str = "auto"
    precision: str = "auto"
    threads: int | None = None
    max_batch: int = 64
    max_wait_ms: float = 5.0
    max_queue: int = 4096
    max_sentences: int = 2048
    max_bytes: int = 1_000_000
    max_connections: int = 256
    read_timeout_s: float = 10.0
    batching: bool = True
    retry_after_s: int = 1


class SafeJSONResponse(JSONResponse):
    """JSON as UTF-8; escaped instead when a text holds a lone surrogate (UTF-8 cannot carry it)."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def segment_within(model: ClaimTagger, texts: list[str], limit: int) -> list[list[tuple[int, int]]]:
    """Each text's sentence offsets, segmentation stopping at ``limit`` + 1 sentences in all: an oversized request
    costs one sentence past the limit, not its whole text."""
    from itertools import islice

    from claimnet.runtime.segmentation import iter_sentences

    out, left = [], limit + 1
    for text in texts:
        spans = [(s, e) for s, e, _ in islice(iter_sentences(text, model.segmentation), left)]
        out.append(spans)
        left -= len(spans)
        if left <= 0:
            break
    return out


def check_settings(settings: ServeSettings) -> None:
    """Limits that contradict each other are refused at start-up: a request the server would otherwise answer
    503 forever."""
    from claimnet.errors import ConfigError

    if settings.batching and settings.max_queue < settings.max_sentences:
        raise ConfigError(f"--max-queue {settings.max_queue} is below --max-sentences {settings.max_sentences}: a "
                          "request of the largest allowed size could never be queued (it would get 503 forever); "
                          "raise --max-queue or lower --max-sentences")


def problem(status: int, error: str, detail: Any = None, headers: dict[str, str] | None = None) -> JSONResponse:
    """An error answer as RFC 9457 problem details (``application/problem+json``), on every route."""
    return SafeJSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers,
                            media_type="application/problem+json")


class BodyLimit:
    """Refuse a body over ``max_bytes`` with 413, by its Content-Length or as it streams in.

    The body is read here first (at most ``max_bytes`` are held) and handed on whole,
    so a chunked body without a length is refused before any endpoint parses it.
    """

    def __init__(self, app, max_bytes: int, read_timeout_s: float = 10.0) -> None:
        self.app, self.max_bytes, self.read_timeout_s = app, max_bytes, read_timeout_s

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_large = problem(413, f"the request body is larger than the server's limit of {self.max_bytes} bytes "
                                 "(--max-bytes)")
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await too_large(scope, receive, send)
        chunks, size = [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.read_timeout_s)
            except TimeoutError:
                late = problem(408, f"the request body did not arrive within {self.read_timeout_s:g} s "
                                    "(--read-timeout)", headers={"Connection": "close"})
                return await late(scope, receive, send)
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await too_large(scope, receive, send)
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class Metrics:
    """Prometheus series of one server (its own registry)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("claimnet_requests", "HTTP requests by endpoint and status",
                                ["endpoint", "status"], registry=self.registry)
        self.latency = Histogram("claimnet_request_seconds", "Request latency", ["endpoint"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.batch_sentences = Histogram("claimnet_batch_sentences", "Sentences per model call", registry=self.registry,
                                         buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
        self.batch_requests = Histogram("claimnet_batch_requests", "Requests sharing a model call",
                                        registry=self.registry, buckets=(1, 2, 4, 8, 16, 32, 64))
        self.queue = Gauge("claimnet_queue_sentences", "Sentences waiting for the model", registry=self.registry)
        self.sentences = Counter("claimnet_sentences", "Sentences tagged", registry=self.registry)

    def batch(self, sentences: int, requests: int) -> None:
        self.batch_sentences.observe(sentences)
        self.batch_requests.observe(requests)
        self.sentences.inc(sentences)


def create_app(settings: ServeSettings) -> FastAPI:
    """The application for one export; the model loads (and is verified) when the server starts."""
    check_settings(settings)
    metrics = Metrics()
    state: dict[str, Any] = {"tagger": None, "batcher": None}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        tagger = await run_in_threadpool(ClaimTagger.load, settings.model, settings.backend, settings.precision,
                                         settings.max_batch, settings.threads)
        # Rows that do not depend on each other (a sentence model's probabilities, an article model's sentence
        # vectors): sentences of many requests share a model call; an article model then reads each article.
        batcher = DynamicBatcher(tagger.sentence_outputs, settings.max_batch, settings.max_wait_ms, settings.max_queue,
                                 enabled=settings.batching, on_batch=metrics.batch)
        batcher.start()
        metrics.queue.set_function(lambda: batcher.queued)
        state.update(tagger=tagger, batcher=batcher)
        try:
            yield
        finally:
            state["tagger"] = None
            await batcher.stop()

    app = FastAPI(title="claimnet", version=__version__, lifespan=lifespan, default_response_class=SafeJSONResponse,
                  description="Tags each sentence of a news article as claim, attribution, hedge or background.")
    app.state.settings, app.state.metrics, app.state.claimnet = settings, metrics, state
    errors = {status: {"model": Problem} for status in (400, 413, 415, 422, 503)}

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        malformed = [e for e in exc.errors() if e.get("type") == "json_invalid"]
        if malformed:  # malformed JSON: 400 on every route
            return problem(400, "the request body is not valid JSON",
                           [{"loc": ["body"], "msg": str(e.get("msg", ""))} for e in malformed])
        # the public field names only: not the union's internal tags ("one", "many") nor pydantic's type names
        internal = {"one", "many", "str", "SentenceInContext"}
        detail = [{"loc": [str(x) for x in e.get("loc", ()) if str(x) not in internal], "msg": str(e.get("msg", ""))}
                  for e in exc.errors()]
        return problem(422, "; ".join(d["msg"].removeprefix("Value error, ") for d in detail) or "invalid request",
                       detail)

    @app.exception_handler(StarletteHTTPException)  # also FastAPI's own (400 unreadable body, 404, 405)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = str(exc.detail)
        if detail == "There was an error parsing the body":
            detail = "the request body cannot be read as JSON (it must be UTF-8 JSON)"
        return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.middleware("http")
    async def count(request: Request, call_next):
        start = time.perf_counter()
        try:
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if request.method == "POST" and not (media == "application/json" or media.endswith("+json")):
                response = problem(415, f"the request body must be JSON (Content-Type: application/json); got "
                                        f"{media or 'no Content-Type'}")
            else:
                response = await call_next(request)
        except Exception:  # noqa: BLE001  (answered, counted, never a traceback to the client)
            response = problem(500, "internal error")
        route = request.scope.get("route")
        endpoint = getattr(route, "path", "unmatched")
        metrics.requests.labels(endpoint, str(response.status_code)).inc()
        metrics.latency.labels(endpoint).observe(time.perf_counter() - start)
        return response

    def tagger() -> ClaimTagger:
        if state["tagger"] is None:
            raise HTTPException(503, "the model is not loaded", headers={"Retry-After": str(settings.retry_after_s)})
        return state["tagger"]

    async def predict(pairs, token=None) -> np.ndarray:
        try:
            return await state["batcher"].submit(pairs, token)
        except QueueFull as exc:
            raise HTTPException(503, f"the server is busy: {exc}; retry later",
                                headers={"Retry-After": str(settings.retry_after_s)}) from None

    async def tag_texts(texts: list[str]) -> list[list]:
        model = tagger()
        with state["batcher"].announce() as token:  # the batcher may wait for this one while it is segmented
            spans = await run_in_threadpool(segment_within, model, texts, settings.max_sentences)
            total = sum(map(len, spans))
            if total > settings.max_sentences:
                raise HTTPException(413, f"the request holds {total} sentences; the server takes at most "
                                         f"{settings.max_sentences} per request (--max-sentences)")
            pairs = [p for text, s in zip(texts, spans) for p in model.article_pairs(text, s)]
            outputs = await predict(pairs, token)
        bounds = np.cumsum([len(s) for s in spans])[:-1]
        probs = model.label_articles(np.split(outputs, bounds), model.paragraphs(texts, spans))
        return [model.tagged(text, s, p) for text, s, p in zip(texts, spans, probs)]

    @app.post("/v1/tag", response_model=list[TaggedArticle], responses=errors,
              summary="Tag one article or several: the objects of `claimnet tag --format json`")
    async def tag(request: TagRequest):
        results = await tag_texts(request.articles())
        return [{"id": name, "sentences": [s.to_dict() for s in tagged]}
                for name, tagged in zip(request.names(), results)]

    # The schema follows the model: `contexts` only for a model that reads one.
    in_context = int(read_manifest(resolve_model(settings.model))["model"]["context_window"]) > 0
    ClassifyBody = ClassifyInContextRequest if in_context else ClassifyRequest

    @app.post("/v1/classify", response_model=list[Classified], responses=errors,
              summary="Label sentences already cut (with their context, for a model that reads one)")
    async def classify(request: ClassifyBody):  # type: ignore[valid-type]
        model = tagger()
        pairs = request.pairs()
        if len(pairs) > settings.max_sentences:
            raise HTTPException(413, f"{len(pairs)} sentences; the server takes at most "
                                     f"{settings.max_sentences} per request (--max-sentences)")
        outputs = await predict([(model_text(s), None if c is None else model_text(c)) for s, c in pairs])
        probs = model.label_articles([outputs], [one_paragraph(len(pairs))])[0]  # an article model: one article
        labels = model.labels
        return [{"text": s, "label": labels[int(p.argmax())], "score": float(p.max()),
                 "scores": {name: float(x) for name, x in zip(labels, p)}} for (s, _), p in zip(pairs, probs)]

    @app.get("/health", summary="Live (also Label Studio's ML backend health check)")
    async def health():
        return {"status": "UP", "model_class": "claimnet"}

    @app.get("/ready", responses={503: {"model": Problem}}, summary="Model loaded and verified")
    async def ready():
        model = tagger()
        return {"status": "ready", "backend": model.backend_name}

    @app.get("/v1/model", response_model=ModelInfo, responses={503: {"model": Problem}})
    async def model_info():
        model = tagger()
        manifest = model.manifest
        return {"labels": model.labels, "kind": manifest["model"].get("kind", "sentence"),
                "base_model": manifest["model"].get("base_model"), "context_window": model.context_window,
                "max_length": model.encoder.max_length, "backend": model.backend.name,
                "precision": model.backend.precision, "metrics": manifest.get("metrics") or {},
                "claimnet_version": manifest.get("claimnet_version")}

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    async def prometheus():
        return PlainTextResponse(generate_latest(metrics.registry).decode(), media_type=CONTENT_TYPE_LATEST)

    @app.post("/setup", responses=errors, summary="Label Studio ML backend: connect a project")
    async def setup(request: LabelStudioSetup):
        if request.schema_:
            try:
                labelstudio.target_of(request.schema_)
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from None
        return {"model_version": tagger().model_version}

    @app.post("/predict", responses=errors, summary="Label Studio ML backend: pre-annotate tasks")
    async def ls_predict(request: LabelStudioPredict):
        try:
            target = labelstudio.target_of(request.label_config)
            texts = [labelstudio.task_text(task.data, target) for task in request.tasks]
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        blank = [i for i, t in enumerate(texts) if not t.strip()]
        results = await tag_texts([t for t in texts if t.strip()])
        version = tagger().model_version
        answers = iter(results)
        return {"results": [labelstudio.prediction([] if i in blank else next(answers), target, version)
                            for i in range(len(texts))], "model_version": version}

    app.add_middleware(BodyLimit, max_bytes=settings.max_bytes, read_timeout_s=settings.read_timeout_s)
    app.add_middleware(ConcurrencyLimit, limit=settings.max_connections, retry_after_s=settings.retry_after_s,
                       answer=problem)  # outermost: a request past the limit is answered before its body is read
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        """The schema, with every error answer documented as what it is: problem details."""
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content.pop("application/json")
                    content["application/problem+json"] = {"schema": {"$ref": "#/components/schemas/Problem"}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def settings_to_env(settings: ServeSettings) -> str:
    return json.dumps(asdict(settings))


def app_from_env() -> FastAPI:
    """The factory uvicorn's worker processes call (``--workers N``)."""
    return create_app(ServeSettings(**json.loads(os.environ[SETTINGS_ENV])))
