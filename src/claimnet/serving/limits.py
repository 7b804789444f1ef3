"""What keeps slow or numerous clients from starving the server: read timeouts and a limit on requests in flight.

uvicorn reads request headers without a deadline (a slow-loris client holds its
connection forever) and its own ``limit_concurrency`` answers in plain text.
:class:`TimedH11Protocol` closes a connection whose request headers have not
arrived within the read timeout; :class:`ConcurrencyLimit` answers a request
past the limit at once with problem details, 503 and ``Retry-After``; the body's
own deadline is :class:`claimnet.serving.app.BodyLimit`'s (408).
"""

from __future__ import annotations

import functools

from uvicorn.protocols.http.h11_impl import H11Protocol


class TimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with a deadline for each request's headers."""

    def __init__(self, *args, header_timeout: float = 10.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self._deadline = None
        self._waiting_after = None  # the cycle that was current when the deadline was set

    def _arm(self) -> None:
        self._disarm()
        self._waiting_after = self.cycle
        self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.cycle is self._waiting_after and not self.transport.is_closing():
            self.transport.close()  # no complete request headers in time: the connection goes

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self._deadline is not None and self.cycle is not self._waiting_after:
            self._disarm()  # a request's headers arrived

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection has the same deadline

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)


def timed_protocol(header_timeout: float):
    """The protocol class uvicorn builds, with this deadline (``http=`` of its config)."""
    return functools.partial(TimedH11Protocol, header_timeout=header_timeout)


class ConcurrencyLimit:
    """At most ``limit`` HTTP requests in flight; past it, 503 problem details with ``Retry-After`` at once."""

    def __init__(self, app, limit: int, retry_after_s: int, answer) -> None:
        self.app, self.limit, self.retry_after_s, self.answer = app, limit, retry_after_s, answer
        self.in_flight = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.in_flight >= self.limit:
            busy = self.answer(503, f"the server is at its limit of {self.limit} requests in flight "
                                    "(--max-connections); retry later",
                               headers={"Retry-After": str(self.retry_after_s)})
            return await busy(scope, receive, send)
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class AccessLogBudget:
    """A logging filter that keeps the access log bounded: at most ``per_second`` lines a second; past it lines
    are dropped and counted, and the count is logged once the next second begins."""

    def __init__(self, per_second: int = 50) -> None:
        self.per_second = per_second
        self.second = 0
        self.used = 0
        self.dropped = 0

    def filter(self, record) -> bool:
        import time

        now = int(time.monotonic())
        if now != self.second:
            if self.dropped:
                record.msg = f"({self.dropped} access log lines dropped in the last second: over the budget of " \
                             f"{self.per_second}) " + str(record.msg)
            self.second, self.used, self.dropped = now, 0, 0
        self.used += 1
        if self.used > self.per_second:
            self.dropped += 1
            return False
        return True


def bound_access_log(per_second: int = 50) -> AccessLogBudget:
    """Attach the budget to uvicorn's access logger (``--access-log``)."""
    import logging

    budget = AccessLogBudget(per_second)
    logging.getLogger("uvicorn.access").addFilter(budget)
    return budget
