"""The web output: serves the live page from a thread of its own while the pipeline runs."""

import asyncio
import contextlib
import errno
import ipaddress
import logging
import resource
import socket
import threading

import uvicorn

from edge.config import SYSTEM_CONFIG, WebSettings
from edge.events import FrameResult, Reading, Sink, Stats
from edge.outputs import OutputError
from edge.outputs.payloads import reading_payload, stats_payload
from edge.web.app import create_app
from edge.web.connections import InvalidRequestsThrottle, guarded
from edge.web.live import LiveView
from edge.web.metrics import WebMetrics
from edge.web.security import page_hosts

log = logging.getLogger(__name__)
_INVALID_REQUESTS = InvalidRequestsThrottle()  # one for the process: uvicorn's logger is one

CLOSE_GRACE = 0.5  # seconds for open streams to end cleanly when stopping, before they are cut
KEEP_ALIVE_S = 5  # an idle connection between requests is closed after this
HEADER_TIMEOUT_S = 10.0  # a request head must be complete this long after connecting
LISTEN_BACKLOG = 64  # connections the kernel queues; asyncio accepts up to this many at once
# Files the process holds besides the page's connections: the model, the camera's devices and
# frame buffers, MQTT, the journal, libraries. The unit's LimitNOFILE covers both.
OTHER_FILES = 128


def listen_socket(host: str, port: int, given_as: str | None = None) -> socket.socket:
    """Bind now, in the caller's thread: a taken port is a clear error before the camera opens.
    The error names `given_as` (a flag as typed, `--web 8080`) when given, else [web]."""
    named = given_as or "[web]"
    other_port = "give another port" if given_as else "set another [web] port"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise OutputError(f"{named}: host {host!r} cannot be resolved ({exc})") from exc
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart while old sockets linger
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        reason = {
            errno.EADDRINUSE: "the port is already in use (another edge-digits or web server?); "
            f"stop it or {other_port}",
            errno.EACCES: "permission denied (ports below 1024 need root); use a port above 1023",
            errno.EADDRNOTAVAIL: "that address is not on this machine; use 127.0.0.1 or 0.0.0.0",
        }.get(exc.errno or 0, exc.strerror or str(exc))
        raise OutputError(f"{named}: cannot listen on {host}:{port}: {reason}") from exc
    sock.listen(LISTEN_BACKLOG)  # clients queue from now on, even before the server thread is up
    return sock


def ensure_open_files(needed: int) -> None:
    """Raise the soft limit on open files to `needed` (up to the hard limit, as systemd
    intends), or say what to change: running out makes the page unreachable for everyone."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise OutputError(
            f"[web] max_connections needs {needed} open files and the limit is {hard}: lower "
            "[web] max_connections, or raise LimitNOFILE= in the service (ulimit -n by hand)"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def login_for(
    settings: WebSettings, loopback: bool, given_as: str | None = None
) -> tuple[str, str] | None:
    """(user, password hash) when a login is set; an error when one is needed and missing,
    naming `given_as` (a flag as typed, `--web 0.0.0.0:8080`) when it set the host (not when
    it gave a port alone, `--web 8080`)."""
    if given_as is not None and given_as.rsplit(" ", 1)[-1].isdigit():
        given_as = None
    if bool(settings.username) != bool(settings.password_hash):
        raise OutputError("[web] username and password_hash go together: set both, or neither")
    if settings.username:
        return settings.username, settings.password_hash
    if not loopback and not settings.trusted_network:
        raise OutputError(
            f"{given_as or f'[web] host = {settings.host!r}'} lets other machines in, and there "
            "is no login: set [web] username and password_hash (`python -m edge.web.password` "
            "makes the hash), or trusted_network = true if everyone on this network may see "
            "the camera, in the [web] section of the config file (--config, or "
            f"{SYSTEM_CONFIG}; deploy/config.toml's [web] section shows both)."
        )
    return None


def page_url(host: str, port: int) -> str:
    """The live page's URL on this machine for a server listening on `host` and `port`: every
    network (0.0.0.0, ::) opened through the loopback address, an IPv6 address bracketed
    (RFC 3986) and its zone's "%" escaped (RFC 6874)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in host:
        return f"http://[{host.replace('%', '%25')}]:{port}/"
    return f"http://{host}:{port}/"


class WebSink(Sink):
    """Sink serving the live page; its pipeline-side methods only store references and copies.

    Starlette + uvicorn (pure-Python h11, no uvloop/httptools): small, well kept, and async
    streaming responses make an MJPEG stream and Server-Sent Events one generator each, with a
    slow client blocking only its own generator. The server runs in its own event loop thread.
    """

    label = "the live page"

    def __init__(
        self, settings: WebSettings, max_stream_fps: float = 10.0, given_as: str | None = None
    ):
        if settings.max_streams >= settings.max_connections:
            raise OutputError(
                "[web] max_streams must be below max_connections, or no one gets the page "
                "while every stream is open"
            )
        self._socket = listen_socket(settings.host, settings.port, given_as)
        try:
            ensure_open_files(settings.max_connections + LISTEN_BACKLOG + OTHER_FILES)
            bound = self._socket.getsockname()[0]
            self.loopback = ipaddress.ip_address(bound.split("%")[0]).is_loopback
            self.login = login_for(settings, self.loopback, given_as)
        except OutputError:
            self._socket.close()
            raise
        self.host = settings.host
        self.port = self._socket.getsockname()[1]  # the real one when port 0 asked for any
        self.live = LiveView(max_stream_fps=max_stream_fps)
        self.metrics = WebMetrics(self.live)
        app = create_app(
            self.live,
            self.metrics,
            page_hosts(settings.allowed_hosts),
            settings.max_streams,
            self.login,
        )
        config = uvicorn.Config(
            app,
            http=guarded(settings.max_connections, HEADER_TIMEOUT_S),
            ws="none",
            timeout_keep_alive=KEEP_ALIVE_S,
            backlog=LISTEN_BACKLOG,
            log_config=None,  # the application's logging, not uvicorn's
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=2,  # streams end on their own; this is the backstop
        )
        self._server = uvicorn.Server(config)
        uvicorn_log = logging.getLogger("uvicorn.error")
        if _INVALID_REQUESTS not in uvicorn_log.filters:
            uvicorn_log.addFilter(_INVALID_REQUESTS)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return page_url(self.host, self.port)

    @property
    def access(self) -> str:
        """Who may open the page, for the start-up line."""
        if self.login is not None:
            return f"login required (HTTP Basic, user {self.login[0]!r})"
        if self.loopback:
            return "this machine only, no login"
        return "no login: anyone on the network may open it ([web] trusted_network = true)"

    def on_start(self, stats: Stats) -> None:
        self._take_stats(stats)
        self.live.start()
        self._thread = threading.Thread(target=self._serve, name="web", daemon=True)
        self._thread.start()
        log.info(
            "Live page on %s (listening on %s:%d); %s", self.url, self.host, self.port, self.access
        )

    def on_frame(self, result: FrameResult, stats: Stats) -> None:
        self.live.show_frame(result)
        self.metrics.observe(result)

    def on_reading(self, reading: Reading, stats: Stats) -> None:
        # The counts first: a stream woken by the reading sends them right after it.
        self._take_stats(stats)
        self.live.add_reading(reading_payload(reading))

    def on_stats(self, stats: Stats) -> None:
        self._take_stats(stats)

    def on_stop(self, stats: Stats) -> None:
        self._take_stats(stats)
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

    def _take_stats(self, stats: Stats) -> None:
        """The figures the page and `/metrics` show, and the inference timings of the same
        frames (`WebMetrics.settle`)."""
        self.live.stats = stats_payload(stats)
        self.metrics.settle()

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
