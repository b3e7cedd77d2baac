"""The live page, its JSON API, the MJPEG stream, Server-Sent Events and Prometheus metrics.

GET /                   the page (plain HTML + JS, no build step, works offline)
GET /stream.mjpg        annotated camera view, multipart/x-mixed-replace (any <img> shows it)
GET /api/reading        latest reading (JSON; 204 before the first one)
GET /api/readings       recent readings, oldest first
GET /api/stats          operator figures
GET /api/events         Server-Sent Events: `history` on connect, `reading` on each new
                        reading (then `stats`), `stats` every second
GET /metrics            Prometheus text format
"""

import asyncio
import json
from collections.abc import AsyncIterator
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from edge.web.live import LiveView
from edge.web.metrics import WebMetrics

STATS_EVENT_INTERVAL = 1.0  # seconds; also keeps idle SSE connections alive through proxies
_BOUNDARY = "frame"
_NO_CACHE = {"Cache-Control": "no-store"}


def create_app(live: LiveView, metrics: WebMetrics) -> Starlette:
    page = files("edge.web").joinpath("page.html").read_text(encoding="utf-8")

    async def index(_: Request) -> Response:
        return HTMLResponse(page, headers=_NO_CACHE)

    async def reading(_: Request) -> Response:
        _, recent = live.readings.current()
        if not recent:
            return Response(status_code=204, headers=_NO_CACHE)
        return JSONResponse(recent[-1], headers=_NO_CACHE)

    async def readings(_: Request) -> Response:
        _, recent = live.readings.current()
        return JSONResponse(list(recent or ()), headers=_NO_CACHE)

    async def stats(_: Request) -> Response:
        return JSONResponse(_stats_with_viewers(live), headers=_NO_CACHE)

    async def metrics_text(_: Request) -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4")

    async def stream(_: Request) -> Response:
        return StreamingResponse(
            _mjpeg(live),
            media_type=f"multipart/x-mixed-replace; boundary={_BOUNDARY}",
            headers=_NO_CACHE,
        )

    async def events(_: Request) -> Response:
        return StreamingResponse(
            _server_sent_events(live),
            media_type="text/event-stream",
            headers={**_NO_CACHE, "X-Accel-Buffering": "no"},
        )

    return Starlette(
        routes=[
            Route("/", index),
            Route("/stream.mjpg", stream),
            Route("/api/reading", reading),
            Route("/api/readings", readings),
            Route("/api/stats", stats),
            Route("/api/events", events),
            Route("/metrics", metrics_text),
        ]
    )


def _stats_with_viewers(live: LiveView) -> dict[str, Any]:
    return {**live.stats, "viewers": live.viewers}


async def _mjpeg(live: LiveView) -> AsyncIterator[bytes]:
    """Each viewer gets the newest JPEG when it is ready for one; older ones are never queued."""
    live.viewers += 1
    try:
        seen, _ = live.jpeg.current()
        while (latest := await live.jpeg.next(seen)) is not None:
            seen, jpeg = latest
            header = f"--{_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}"
            yield b"".join((header.encode(), b"\r\n\r\n", jpeg, b"\r\n"))
    finally:
        live.viewers -= 1


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
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
