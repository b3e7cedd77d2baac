"""The web output: serves the live page from a thread of its own while the pipeline runs."""

import asyncio
import contextlib
import errno
import logging
import socket
import threading

import uvicorn

from edge.events import FrameResult, Reading, Sink, Stats
from edge.outputs import OutputError
from edge.outputs.payloads import reading_payload, stats_payload
from edge.web.app import create_app
from edge.web.live import LiveView
from edge.web.metrics import WebMetrics

log = logging.getLogger(__name__)

CLOSE_GRACE = 0.5  # seconds for open streams to end cleanly when stopping, before they are cut


def listen_socket(host: str, port: int) -> socket.socket:
    """Bind now, in the caller's thread: a taken port is a clear error before the camera opens."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise OutputError(f"[web] host {host!r} cannot be resolved ({exc})") from exc
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart while old sockets linger
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        reason = {
            errno.EADDRINUSE: "the port is already in use (another edge-digits or web server?); "
            "stop it or set another [web] port",
            errno.EACCES: "permission denied (ports below 1024 need root); use a port above 1023",
            errno.EADDRNOTAVAIL: "that address is not on this machine; use 127.0.0.1 or 0.0.0.0",
        }.get(exc.errno or 0, exc.strerror or str(exc))
        raise OutputError(f"[web] cannot listen on {host}:{port}: {reason}") from exc
    sock.listen(128)  # clients queue from now on, even before the server thread is up
    return sock


class WebSink(Sink):
    """Sink serving the live page; its pipeline-side methods only store references and copies.

    Starlette + uvicorn (pure-Python h11, no uvloop/httptools): small, well kept, and async
    streaming responses make an MJPEG stream and Server-Sent Events one generator each, with a
    slow client blocking only its own generator. The server runs in its own event loop thread.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 8080, max_stream_fps: float = 10.0):
        self._socket = listen_socket(host, port)
        self.host = host
        self.port = self._socket.getsockname()[1]  # the real one when port 0 asked for any
        self.live = LiveView(max_stream_fps=max_stream_fps)
        self.metrics = WebMetrics(self.live)
        config = uvicorn.Config(
            create_app(self.live, self.metrics),
            log_config=None,  # the application's logging, not uvicorn's
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,  # streams end on their own; this is the backstop
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(self.host, self.host)
        return f"http://{host}:{self.port}/"

    def on_start(self, stats: Stats) -> None:
        self.live.stats = stats_payload(stats)
        self.live.start()
        self._thread = threading.Thread(target=self._serve, name="web", daemon=True)
        self._thread.start()
        log.info("Live page on %s (listening on %s:%d)", self.url, self.host, self.port)

    def on_frame(self, result: FrameResult, stats: Stats) -> None:
        self.live.show_frame(result)
        self.metrics.observe(result)

    def on_reading(self, reading: Reading, stats: Stats) -> None:
        self.live.add_reading(reading_payload(reading))
        self.live.stats = stats_payload(stats)

    def on_stats(self, stats: Stats) -> None:
        self.live.stats = stats_payload(stats)

    def on_stop(self, stats: Stats) -> None:
        self.live.stats = stats_payload(stats)
        self.live.stop()  # ends every stream, so the server need not wait for them...
        if self._loop is not None:  # ...but one stuck on a full socket never sees that
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                self._loop.call_soon_threadsafe(
                    self._loop.call_later, CLOSE_GRACE, self._drop_connections
                )
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._socket.close()

    def _drop_connections(self) -> None:
        """In the server's loop: abort what is still open, so shutdown needs no cancelling.

        (`server_state` is uvicorn's own record of its connections; it has no public hook.)
        """
        for connection in list(self._server.server_state.connections):
            connection.transport.abort()

    def _serve(self) -> None:
        async def serve() -> None:
            self._loop = loop = asyncio.get_running_loop()
            self.live.readings.bind(loop)
            self.live.jpeg.bind(loop)
            await self._server.serve(sockets=[self._socket])

        asyncio.run(serve())
