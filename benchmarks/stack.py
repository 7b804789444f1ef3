"""What the ASGI stack costs per request: FastAPI (claimnet's choice) against bare Starlette, no model behind either.

Each app takes ``{"texts": [...]}``, validates it (FastAPI: the pydantic model;
Starlette: by hand) and answers one JSON object per text, the shape of
``/v1/tag`` without the tagging. Each runs under uvicorn in its own process on
loopback; ``--clients`` concurrent clients post one test-split article for
``--seconds``. The per-request cost, set beside the model's time for an article
(~50 ms on 2 cores), says whether the stack matters.

    python -m benchmarks stack [--seconds 10] [--clients 8] [--out benchmarks/results/stack-cpu.json]
"""
# No ``from __future__ import annotations``: FastAPI reads the local request model's annotation at run time.

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("fastapi", "starlette")


def answer(texts: list[str]) -> list[dict]:
    return [{"id": i, "sentences": [{"start": 0, "end": len(t), "label": "claim", "score": 1.0}]}
            for i, t in enumerate(texts)]


def fastapi_app():
    from fastapi import FastAPI
    from pydantic import BaseModel, ConfigDict, Field

    class TagRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        texts: list[str] = Field(min_length=1, max_length=256)

    app = FastAPI()

    @app.post("/v1/tag")
    async def tag(request: TagRequest) -> list[dict]:
        return answer(request.texts)

    return app


def starlette_app():
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def tag(request):
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "malformed JSON"}, status_code=400)
        texts = body.get("texts") if isinstance(body, dict) else None
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return JSONResponse({"error": "texts must be a non-empty list of strings"}, status_code=422)
        return JSONResponse(answer(texts))

    return Starlette(routes=[Route("/v1/tag", tag, methods=["POST"])])


def serve(stack: str, port: int) -> None:
    import uvicorn

    app = fastapi_app() if stack == "fastapi" else starlette_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


async def load(base: str, text: str, clients: int, seconds: float) -> dict:
    import httpx

    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client(http) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            started = time.perf_counter()
            reply = await http.post(base + "/v1/tag", json={"texts": [text]})
            errors += reply.status_code != 200
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        began = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        wall = time.perf_counter() - began
    return {"requests_per_s": round(len(latencies) / wall, 1), "p50_ms": round(1000 * statistics.median(latencies), 2),
            "errors": errors, "requests": len(latencies)}


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--serve", choices=STACKS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.port)
    text = json.loads((ROOT / "data" / "claimnet-wikinews" / "test.jsonl").read_text().splitlines()[0])["text"]
    results = {"clients": args.clients, "seconds": args.seconds, "article_bytes": len(text.encode()), "stacks": {}}
    for i, stack in enumerate(STACKS):
        port = 18700 + i
        proc = subprocess.Popen([sys.executable, __file__, "--serve", stack, "--port", str(port)])
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    httpx.post(base + "/v1/tag", json={"texts": ["warm"]}, timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            results["stacks"][stack] = asyncio.run(load(base, text, args.clients, args.seconds))
        finally:
            proc.terminate()
            proc.wait(30)
        figures = results["stacks"][stack]
        figures["ms_per_request"] = round(1000 / figures["requests_per_s"], 2)
        print(f"{stack:<10} {figures['requests_per_s']:>8.1f} requests/s  p50 {figures['p50_ms']:.2f} ms  "
              f"{figures['ms_per_request']:.2f} ms of server per request  errors {figures['errors']}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
