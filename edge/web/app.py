"""The live page, its JSON API, the MJPEG stream, Server-Sent Events and Prometheus metrics.

GET /                   the page (plain HTML + JS, no build step, works offline)
GET /stream.mjpg        annotated camera view, multipart/x-mixed-replace (any <img> shows it)
GET /api/reading        latest reading (JSON; 204 before the first one)
GET /api/readings       recent readings, oldest first
GET /api/stats          operator figures
GET /api/events         Server-Sent Events: `history` on connect, `reading` on each new
                        reading (then `stats`), `stats` every second
GET /metrics            Prometheus text format

Every response goes through edge.web.security: the Host check, the login when one is set, and
the security headers.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from edge.outputs.payloads import json_text
from edge.web.live import LiveView
from edge.web.metrics import WebMetrics
from edge.web.security import BasicAuth, HostCheck, SecurityHeaders, content_security_policy

STATS_EVENT_INTERVAL = 1.0  # seconds; also keeps idle SSE connections alive through proxies
STREAM_RETRY_AFTER_S = 5  # told to a viewer turned away because all stream slots are taken
STILL_FRAME_REPEAT_S = 1.0  # a view with no new frame (a replay that ended) is sent again
_BOUNDARY = "frame"
_MJPEG = f"multipart/x-mixed-replace; boundary={_BOUNDARY}"
_EVENTS = "text/event-stream"


def create_app(
    live: LiveView,
    metrics: WebMetrics,
    hosts: frozenset[str],
    max_streams: int,
    login: tuple[str, str] | None = None,
) -> Starlette:
    """The app: answers only to `hosts` (and IP addresses), at most `max_streams` open streams
    (MJPEG and events together), and with `login` (user, password hash) only to that user."""
    page = files("edge.web").joinpath("page.html").read_text(encoding="utf-8")
    streams = StreamSlots(max_streams)

    async def index(_: Request) -> Response:
        return HTMLResponse(page)

    async def reading(_: Request) -> Response:
        _, recent = live.readings.current()
        if not recent:
            return Response(status_code=204)
        return AsciiJSONResponse(recent[-1])

    async def readings(_: Request) -> Response:
        _, recent = live.readings.current()
        return AsciiJSONResponse(list(recent or ()))

    async def stats(_: Request) -> Response:
        return AsciiJSONResponse(_stats_with_viewers(live))

    async def metrics_text(_: Request) -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4")

    def stream() -> Response:
        return StreamingResponse(_mjpeg(live), media_type=_MJPEG)

    def events() -> Response:
        return StreamingResponse(
            _server_sent_events(live), media_type=_EVENTS, headers={"X-Accel-Buffering": "no"}
        )

    middleware = [
        Middleware(SecurityHeaders, csp=content_security_policy(page)),
        Middleware(HostCheck, names=hosts),
    ]
    if login is not None:
        middleware.append(Middleware(BasicAuth, username=login[0], password_hash=login[1]))
    app = Starlette(
        routes=[
            Route("/", index),
            Route("/stream.mjpg", streams.guard(stream, _MJPEG), methods=["GET"]),
            Route("/api/reading", reading),
            Route("/api/readings", readings),
            Route("/api/stats", stats),
            Route("/api/events", streams.guard(events, _EVENTS), methods=["GET"]),
            Route("/metrics", metrics_text),
        ],
        middleware=middleware,
    )
    # No redirect from /api/stats/ to /api/stats: it would be built from the Host header.
    app.router.redirect_slashes = False
    return app


class StreamSlots:
    """Counts open streams; one beyond `limit` gets 503 and a Retry-After instead.

    A HEAD request only asks what the stream is: it gets the headers and takes no slot (nor
    counts as a viewer).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0

    def guard(self, stream: Callable[[], Response], media_type: str) -> "_Guarded":
        return _Guarded(self, stream, media_type)


class _Guarded:
    """An ASGI app (not a request handler) so that the slot is held exactly while it streams."""

    def __init__(self, slots: StreamSlots, stream: Callable[[], Response], media_type: str):
        self.slots = slots
        self.stream = stream
        self.media_type = media_type

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "HEAD":
            response: Response = Response(media_type=self.media_type)
        elif self.slots.open >= self.slots.limit:
            response = PlainTextResponse(
                "Too many open live views; try again shortly.\n",
                503,
                headers={"Retry-After": str(STREAM_RETRY_AFTER_S)},
            )
        else:
            self.slots.open += 1
            try:
                await self.stream()(scope, receive, send)
            finally:
                self.slots.open -= 1
            return
        await response(scope, receive, send)


class AsciiJSONResponse(JSONResponse):
    """JSON written in ASCII, as the events, MQTT and `--json` are (`json_text`): a file name
    that is not UTF-8 (Python's lone surrogates, "caf\\udce9.png") cannot be encoded as UTF-8,
    and Starlette's own rendering failed with a 500 for as long as its reading was recent."""

    def render(self, content: Any) -> bytes:
        return json_text(content, allow_nan=False, separators=(",", ":")).encode("ascii")


def _stats_with_viewers(live: LiveView) -> dict[str, Any]:
    return {**live.stats, "viewers": live.viewers}


async def _mjpeg(live: LiveView) -> AsyncIterator[bytes]:
    """Each viewer gets the newest JPEG when it is ready for one; older ones are never queued.
    The first is the newest frame encoded as the viewer joins, even when no frame follows.

    Each JPEG is followed at once by the boundary that ends it, and sent again every
    STILL_FRAME_REPEAT_S while no new one comes: Chromium shows a part only once the next one
    starts, so the last frame of a replay that ended would otherwise stay black."""
    seen, _ = live.jpeg.current()  # before joining, so the JPEG made for this viewer is newer
    live.viewer_joined()
    boundary = f"--{_BOUNDARY}\r\n".encode()
    try:
        opening = boundary
        while True:
            try:
                latest = await asyncio.wait_for(live.jpeg.next(seen), STILL_FRAME_REPEAT_S)
            except TimeoutError:
                latest = live.jpeg.current()
                if latest[1] is None:  # no frame yet to send again
                    continue
            if latest is None:  # the server is shutting down
                return
            seen, jpeg = latest
            header = f"Content-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
            yield b"".join((opening, header.encode(), jpeg, b"\r\n", boundary))
            opening = b""
    finally:
        live.viewer_left()


async def _server_sent_events(live: LiveView) -> AsyncIterator[str]:
    seen, recent = live.readings.current()
    yield "retry: 2000\n" + _event("history", list(recent or ()))
    yield _event("stats", _stats_with_viewers(live))
    loop = asyncio.get_running_loop()
    next_stats = loop.time() + STATS_EVENT_INTERVAL
    while True:
        wait = max(next_stats - loop.time(), 0.0)
        try:
            latest = await asyncio.wait_for(live.readings.next(seen), wait)
        except TimeoutError:
            yield _event("stats", _stats_with_viewers(live))
            next_stats = loop.time() + STATS_EVENT_INTERVAL
            continue
        if latest is None:
            return
        version, recent = latest
        # Readings that came in while this client was busy; more than `history` are gone.
        for payload in recent[-min(version - seen, len(recent)) :]:
            yield _event("reading", payload)
        seen = version
        yield _event("stats", _stats_with_viewers(live))  # the counts that go with it
        next_stats = loop.time() + STATS_EVENT_INTERVAL


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json_text(data, separators=(',', ':'))}\n\n"
