"""A cap on open connections and a deadline for each request's headers, for uvicorn's h11.

uvicorn closes a connection idle between requests (`timeout_keep_alive`), but not one that sends
nothing after connecting or trickles its headers a byte at a time (each byte restarts that
timer), and it accepts connections until the process runs out of file descriptors: then asyncio
logs a traceback for every failed accept and nobody, MQTT included, can open anything. Neither
has a setting, so this subclass of uvicorn's protocol adds them (uvicorn takes a protocol class).
"""

import asyncio
import logging
import time
from collections.abc import Callable

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

CAP_WARNING_INTERVAL = 60.0  # seconds between "connections at the cap" warnings: no log flood


class GuardedH11Protocol(H11Protocol):
    """H11Protocol whose connections must send a request head within `header_timeout` seconds
    of connecting or of the previous response, and of which at most `max_connections` are open.

    A connection beyond the cap closes the one that has waited longest for a request (a
    visitor's keep-alive, or someone holding sockets open), else itself: a fresh client
    sends its request at once, so it gets the page while idle connections are held.
    Configure with `guarded(...)`.
    """

    max_connections = 100
    header_timeout = 10.0
    _last_cap_warning = -CAP_WARNING_INTERVAL  # per class: one warning a minute for the server
    _waiting_since: float | None = None  # loop time since which a request head is awaited
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_request()
        # Closed ones stay in the set until the loop reports them lost.
        open_now = [c for c in self.connections if not c.transport.is_closing()]
        if len(open_now) > self.max_connections:
            idle = [c for c in open_now if c is not self and c._waiting_since is not None]
            victim = min(idle, key=lambda c: c._waiting_since or 0.0, default=self)
            self._warn_at_cap()
            victim._stop_waiting()
            victim.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a request head arrived: its response may take any time
            self._stop_waiting()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.cycle.response_complete:
            self._wait_for_request()

    def _wait_for_request(self) -> None:
        self._stop_waiting()
        self._waiting_since = self.loop.time()
        self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _stop_waiting(self) -> None:
        self._waiting_since = None
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        log.debug("closing a connection that sent no request head in %.0f s", self.header_timeout)
        self.transport.close()

    @classmethod
    def _warn_at_cap(cls) -> None:
        now = time.monotonic()
        if now - cls._last_cap_warning >= CAP_WARNING_INTERVAL:
            cls._last_cap_warning = now
            log.warning(
                "Live page: %d connections open, the [web] max_connections; closing the longest "
                "idle for each new one (someone holding connections open?)",
                cls.max_connections,
            )


class InvalidRequestsThrottle(logging.Filter):
    """uvicorn's "Invalid HTTP request received." (a warning for each request that is not HTTP:
    a port scanner, TLS spoken to the plain port) at most once every `CAP_WARNING_INTERVAL`
    seconds, saying how many were left unsaid since: 300 junk connections wrote 300 lines to
    the journal. Other messages pass."""

    MESSAGE = "Invalid HTTP request received."

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._last = -CAP_WARNING_INTERVAL
        self._unsaid = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != self.MESSAGE:
            return True
        now = self._clock()
        if now - self._last < CAP_WARNING_INTERVAL:
            self._unsaid += 1
            return False
        if self._unsaid:
            record.msg = f"{self.MESSAGE[:-1]} (and {self._unsaid} more since the last said)."
        self._last, self._unsaid = now, 0
        return True


def guarded(max_connections: int, header_timeout: float) -> type[GuardedH11Protocol]:
    """The protocol class with these limits, for `uvicorn.Config(http=...)`."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {"max_connections": max_connections, "header_timeout": header_timeout},
    )
