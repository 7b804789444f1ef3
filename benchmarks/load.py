"""Load test of ``claimnet serve`` on loopback: concurrent clients posting test-split articles.

Starts the server itself (dynamic batching on, then off), runs 1, 8 and 32
concurrent clients for a fixed time each, and prints throughput, p50/p99
latency, errors and the server's RSS; ``--soak S`` then runs 32 clients for S
seconds and samples the server's RSS every second. Bounded in time and count,
loopback only. Needs ``claimnet[serve]`` and httpx.

    python -m benchmarks load --model outputs/latest/export [--seconds 20] [--soak 300] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str, batching: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "claimnet.cli", "serve", "--model", model, "--port", str(port),
           "--log-level", "warning", "--max-queue", "100000"]
    proc = subprocess.Popen(cmd + ([] if batching else ["--no-batching"]))
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/ready", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not become ready")


async def load(base: str, texts: list[str], clients: int, seconds: float, pid: int,
               rss_samples: list[float] | None = None) -> dict:
    latencies: list[float] = []
    errors, sentences = 0, 0
    stop = time.perf_counter() + seconds

    async def client(i: int, http: httpx.AsyncClient) -> None:
        nonlocal errors, sentences
        k = i
        while time.perf_counter() < stop:
            start = time.perf_counter()
            try:
                answer = await http.post(base + "/v1/tag", json={"text": texts[k % len(texts)]})
                if answer.status_code == 200:
                    sentences += len(answer.json()[0]["sentences"])
                else:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - start)
            k += clients

    async def sample() -> None:
        while time.perf_counter() < stop:
            rss_samples.append(rss_mb(pid))
            await asyncio.sleep(1)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        began = time.perf_counter()
        jobs = [client(i, http) for i in range(clients)]
        if rss_samples is not None:
            jobs.append(sample())
        await asyncio.gather(*jobs)
        wall = time.perf_counter() - began
    latencies.sort()
    return {"clients": clients, "requests": len(latencies), "errors": errors, "wall_s": round(wall, 1),
            "requests_per_s": round(len(latencies) / wall, 2), "sentences_per_s": round(sentences / wall, 1),
            "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1),
            "server_rss_mb": round(rss_mb(pid), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="outputs/latest/export")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--soak", type=float, default=0, help="seconds of 32 clients with batching on (0: none)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    test = ROOT / "data" / "claimnet-wikinews" / "test.jsonl"
    texts = [json.loads(line)["text"] for line in test.read_text(encoding="utf-8").splitlines() if line.strip()]
    results: dict = {"model": args.model, "runs": []}
    for batching in (True, False):
        proc, base = start_server(args.model, batching)
        try:
            for clients in args.clients:
                figures = asyncio.run(load(base, texts, clients, args.seconds, proc.pid)) | {"batching": batching}
                results["runs"].append(figures)
                print(json.dumps(figures), flush=True)
            if batching and args.soak:
                samples: list[float] = []
                soak = asyncio.run(load(base, texts, 32, args.soak, proc.pid, samples))
                minute = max(1, min(60, len(samples) // 3))
                soak |= {"rss_first_minute_mb": round(max(samples[:minute]), 1),
                         "rss_last_minute_mb": round(max(samples[-minute:]), 1),
                         "rss_max_mb": round(max(samples), 1)}
                results["soak"] = soak
                print(json.dumps({"soak": soak}), flush=True)
        finally:
            proc.terminate()
            proc.wait(60)
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
