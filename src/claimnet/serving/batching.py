"""Dynamic batching: sentences of concurrent requests share one model call.

Requests queue their sentences; one worker takes up to ``max_batch`` of them as
soon as that many wait, or ``max_wait_ms`` after the oldest arrived, and runs
them in one call (the tagger sorts them by length together). It waits only for
requests known to be on their way (announced, still being segmented): a lone
request goes at once (waiting cost a single client 62 ms p50 against 44 ms),
and what arrives while the model is busy joins the next call. The queue is
bounded: past ``max_queue`` waiting sentences a request is refused at once
(the server answers 503 with ``Retry-After``) instead of memory growing.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

Pair = tuple[str, "str | None"]


class QueueFull(Exception):
    """More sentences wait than the server's ``--max-queue`` allows."""


@dataclass
class _Job:
    pairs: Sequence[Pair]
    future: asyncio.Future
    arrived: float = field(default_factory=time.perf_counter)


class DynamicBatcher:
    """Gathers ``(target, context)`` pairs from many requests into model calls of at most ``max_batch``."""

    def __init__(self, predict: Callable[[list[Pair]], np.ndarray], max_batch: int = 64, max_wait_ms: float = 5.0,
                 max_queue: int = 4096, enabled: bool = True,
                 on_batch: Callable[[int, int], None] | None = None) -> None:
        self.predict = predict
        self.max_batch, self.max_wait, self.max_queue = max_batch, max_wait_ms / 1000.0, max_queue
        self.enabled = enabled  # off: one request per model call, as it arrives
        self.on_batch = on_batch or (lambda sentences, requests: None)
        self.queued = 0  # sentences waiting
        self.arriving = 0  # requests announced but not submitted yet
        self.calls = 0
        self._jobs: deque[_Job] = deque()
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="claimnet-model")

    def start(self) -> None:
        self._wakeup = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=True)

    @contextmanager
    def announce(self) -> Iterator[list[bool]]:
        """Around a request's work before :meth:`submit`: the worker waits for announced requests only."""
        token = [True]
        self.arriving += 1
        try:
            yield token
        finally:
            if token[0]:
                token[0] = False
                self.arriving -= 1

    async def submit(self, pairs: Sequence[Pair], token: list[bool] | None = None) -> np.ndarray:
        """Probabilities for ``pairs``, computed in whatever model calls they fall into."""
        if token and token[0]:
            token[0] = False
            self.arriving -= 1
        if not pairs:
            return np.zeros((0, 0), dtype=np.float32)
        if self.queued + len(pairs) > self.max_queue:
            raise QueueFull(f"{self.queued} sentences are waiting; the queue holds {self.max_queue}")
        loop = asyncio.get_running_loop()
        futures = []
        step = self.max_batch if self.enabled else len(pairs)
        for lo in range(0, len(pairs), step):  # a request larger than one batch spans several calls
            job = _Job(pairs[lo : lo + step], loop.create_future())
            self._jobs.append(job)
            futures.append(job.future)
        self.queued += len(pairs)
        self._wakeup.set()
        return np.concatenate(await asyncio.gather(*futures))

    def _take(self) -> list[_Job]:
        if not self.enabled:
            return [self._jobs.popleft()]
        taken, size = [], 0
        while self._jobs and size + len(self._jobs[0].pairs) <= self.max_batch:
            job = self._jobs.popleft()
            taken.append(job)
            size += len(job.pairs)
        return taken

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._jobs:
                if self.enabled:  # wait for a full batch, or until the oldest has waited max_wait
                    while self.queued < self.max_batch and self.arriving > 0:
                        left = self._jobs[0].arrived + self.max_wait - time.perf_counter()
                        if left <= 0:
                            break
                        try:
                            await asyncio.wait_for(self._wakeup.wait(), left)
                        except asyncio.TimeoutError:
                            break
                        self._wakeup.clear()
                jobs = self._take()
                pairs = [p for job in jobs for p in job.pairs]
                self.queued -= len(pairs)
                self.calls += 1
                self.on_batch(len(pairs), len(jobs))
                try:
                    probs = await loop.run_in_executor(self._executor, self.predict, pairs)
                except Exception as exc:  # handed to each waiting request, which answers for itself
                    for job in jobs:
                        if not job.future.done():
                            job.future.set_exception(exc)
                    continue
                lo = 0
                for job in jobs:
                    if not job.future.done():
                        job.future.set_result(probs[lo : lo + len(job.pairs)])
                    lo += len(job.pairs)
