"""Who may talk to the live page, and what browsers are told: three small ASGI middlewares.

- `HostCheck`: a Host header naming something else is refused, so a hostile page cannot read
  the API through DNS rebinding (its own name, resolved to the Pi, is not on the list).
- `BasicAuth`: HTTP Basic against a scrypt hash; browsers send it on every request, the MJPEG
  <img> and the EventSource included, with no code on the page. Wrong logins are logged and,
  after a few from one address, that address must wait longer and longer (`FailedLogins`).
- `SecurityHeaders`: nosniff, a Content Security Policy, no referrer, no caching.
"""

import asyncio
import base64
import binascii
import dataclasses
import hashlib
import hmac
import ipaddress
import logging
import math
import re
import socket
import time
from collections.abc import Callable, Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.web.password import verify_password

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
REALM = "edge-digits"
ACCEPTED_LOGINS = 8  # Authorization headers remembered as good, so a login costs one scrypt
FREE_FAILURES = 5  # wrong logins from one address before it must wait: room for typos
FIRST_WAIT_S = 1.0  # the wait after those, doubled with each further wrong login ...
LONGEST_WAIT_S = 300.0  # ... up to 5 minutes: under 300 guesses a day from one address
FORGET_AFTER_S = 3600.0  # an address with no failed login for this long starts afresh
FAILURE_ADDRESSES = 1024  # addresses remembered (a few hundred kB); the longest quiet goes first
REPORT_EVERY_S = 60.0  # at most one log line a minute about one address's failed logins
_HOST_PORT = re.compile(r"^(\[[^\]]*\]|[^:\[\]]*)(:\d{1,5})?$")


log = logging.getLogger(__name__)


def page_hosts(configured: Iterable[str]) -> frozenset[str]:
    """The names the page answers to: localhost, this machine's name (and name.local), and
    `configured`; IP addresses are always accepted (see `host_allowed`)."""
    own = socket.gethostname().lower()
    names = {*LOCAL_NAMES, own, f"{own}.local", *(name.lower() for name in configured)}
    return frozenset(name.rstrip(".") for name in names)


def host_allowed(host: str, names: frozenset[str]) -> bool:
    """Whether a Host header (`name`, `name:port`, `[v6]:port`) names this page.

    An IP address is safe to accept: DNS rebinding works through the attacker's own name, which
    the browser keeps sending as the Host.
    """
    match = _HOST_PORT.match(host.strip().lower())
    if not match:
        return False
    name = match[1].removeprefix("[").removesuffix("]").rstrip(".")
    if name in names:
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostCheck:
    """Answers 400 to a request whose Host is not one of the page's names or an IP address."""

    def __init__(self, app: ASGIApp, names: frozenset[str]) -> None:
        self.app = app
        self.names = names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not host_allowed(
            Headers(scope=scope).get("host", ""), self.names
        ):
            response = PlainTextResponse("Unknown host name; see [web] allowed_hosts.\n", 400)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def client_address(scope: Scope) -> str:
    """Whom failed logins are counted against: the client's IP address, an IPv6 one by its /64.

    One IPv6 host is usually given a whole /64, so counting its addresses one by one would give
    it 2**64 fresh starts.
    """
    client = scope.get("client")
    host = client[0] if client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        if not address.is_loopback:
            return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def wait_after(wrong: int) -> float:
    """How long an address must wait after its `wrong`-th wrong login in a row, in seconds."""
    if wrong < FREE_FAILURES:
        return 0.0
    return min(LONGEST_WAIT_S, FIRST_WAIT_S * 2.0 ** min(wrong - FREE_FAILURES, 32))


@dataclasses.dataclass
class _Failures:
    """One address's failed logins."""

    wrong: int = 0  # logins checked and found wrong since the address was last forgotten
    until: float = 0.0  # no login from the address is checked before this (clock time)
    seen: float = 0.0  # its last failed login
    unreported: int = 0  # failed logins not in the log yet
    reported: float | None = None  # the last log line about it; None: none yet
    report: asyncio.TimerHandle | None = None  # the line due for the `unreported`


class FailedLogins:
    """Failed logins by client address: after `FREE_FAILURES` wrong ones an address must wait
    before its next login is checked, twice as long after each further wrong one.

    The log hears of an address's first failed login at once, then at most once every
    `REPORT_EVERY_S` how many followed, however fast the guesses come; never the password.
    Everything here is a few dictionary operations on the event loop, nothing waits, and only
    `FAILURE_ADDRESSES` addresses are kept, so a flood from many costs bounded memory.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._by_address: dict[str, _Failures] = {}  # the longest quiet first

    def wait(self, address: str) -> float:
        """Seconds before a login from `address` is checked again; 0: now."""
        entry = self._current(address)
        return max(0.0, entry.until - self._clock()) if entry else 0.0

    def failed(self, address: str, *, checked: bool) -> None:
        """Counts a refused login: wrong (`checked`), or turned away unread while it must wait."""
        now = self._clock()
        entry = self._current(address) or _Failures()
        self._by_address.pop(address, None)
        self._by_address[address] = entry  # now the most recent
        entry.seen = now
        entry.unreported += 1
        if checked:
            entry.wrong += 1
            entry.until = now + wait_after(entry.wrong)
        if entry.reported is None or now - entry.reported >= REPORT_EVERY_S:
            self._report(address, entry)
        elif entry.report is None:  # the rest of a flood is told even if no more come
            due = entry.reported + REPORT_EVERY_S - now
            entry.report = asyncio.get_running_loop().call_later(due, self._report, address, entry)
        while len(self._by_address) > FAILURE_ADDRESSES:
            self._forget(next(iter(self._by_address)))

    def succeeded(self, address: str) -> None:
        """A checked good login: the address's earlier failures were typos, forgotten."""
        self._forget(address)

    def _current(self, address: str) -> _Failures | None:
        entry = self._by_address.get(address)
        if entry is not None and self._clock() - entry.seen >= FORGET_AFTER_S:
            self._forget(address)
            return None
        return entry

    def _forget(self, address: str) -> None:
        if (entry := self._by_address.pop(address, None)) is not None:
            self._report(address, entry)  # its last failures, if not told yet

    def _report(self, address: str, entry: _Failures) -> None:
        if entry.report is not None:
            entry.report.cancel()
            entry.report = None
        if not entry.unreported:
            return
        now = self._clock()
        if entry.reported is None:
            log.warning("Failed login to the live page from %s", address)
        else:
            wait = entry.until - now
            log.warning(
                "%d failed login(s) to the live page from %s in the last %.0f s%s",
                entry.unreported,
                address,
                now - entry.reported,
                f"; its next is checked in {math.ceil(wait)} s" if wait > 0 else "",
            )
        entry.unreported = 0
        entry.reported = now


class BasicAuth:
    """HTTP Basic login with one user, checked against a scrypt hash.

    scrypt is slow on purpose, so a good login's header is remembered (by its SHA-256) and
    guesses are checked one at a time off the event loop: a flood of wrong passwords costs one
    core, never the server. An address that got it wrong a few times is answered 429 unread for
    a while (see `FailedLogins`), which costs less still and slows nobody else. A request with
    no Authorization header is no guess: browsers send one first, then prompt on the 401.
    `clock` is for tests.
    """

    def __init__(
        self,
        app: ASGIApp,
        username: str,
        password_hash: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self._username = username.encode()
        self._password_hash = password_hash
        self._accepted: dict[bytes, None] = {}  # insertion-ordered: the oldest is dropped first
        self._checking = asyncio.Lock()
        self._failures = FailedLogins(clock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = await self._refusal(
            Headers(scope=scope).get("authorization", ""), client_address(scope)
        )
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            await refusal(scope, receive, send)

    async def _refusal(self, authorization: str, address: str) -> Response | None:
        """None if `authorization` is the login, else the answer: 401 asks again, 429 says wait.

        An address that must wait is answered before its password is checked, even a good one:
        otherwise each guess would still tell right from wrong, just more cheaply; only a login
        already proven good (remembered) passes.
        """
        if not authorization:
            return _ask_to_log_in()
        digest = hashlib.sha256(authorization.encode()).digest()
        # A login already proven good tells a guesser nothing, so it is let in even from an
        # address that must wait: the owner's browser behind the same NAT, SSH tunnel or proxy
        # as the guesser keeps its page. Not `succeeded` either: it would wipe the guesser's
        # count with each of its requests.
        if digest in self._accepted:
            return None
        if waiting := self._made_to_wait(address):
            return waiting
        credentials = _basic_credentials(authorization)
        if credentials is None:
            self._failures.failed(address, checked=True)
            return _ask_to_log_in()
        async with self._checking:
            if waiting := self._made_to_wait(address):  # failures came while this queued
                return waiting
            username, password = credentials
            good = hmac.compare_digest(username, self._username) and await asyncio.to_thread(
                verify_password, password.decode("utf-8", "replace"), self._password_hash
            )
        if not good:
            self._failures.failed(address, checked=True)
            return _ask_to_log_in()  # a 401, not a 429, so a browser prompts again
        self._failures.succeeded(address)
        self._accepted[digest] = None
        while len(self._accepted) > ACCEPTED_LOGINS:
            del self._accepted[next(iter(self._accepted))]
        return None

    def _made_to_wait(self, address: str) -> Response | None:
        """A 429 if `address` must still wait, counted as a failed login; else None."""
        if not (wait := self._failures.wait(address)):
            return None
        self._failures.failed(address, checked=False)
        return PlainTextResponse(
            f"Too many wrong logins from your address: try again in {math.ceil(wait)} s.\n",
            429,
            headers={"Retry-After": str(math.ceil(wait))},
        )


def _basic_credentials(authorization: str) -> tuple[bytes, bytes] | None:
    """(username, password) from an HTTP Basic Authorization header; None if it is none."""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic" or not credentials:
        return None
    try:
        username, _, password = base64.b64decode(credentials, validate=True).partition(b":")
    except (binascii.Error, ValueError):
        return None
    return username, password


def _ask_to_log_in() -> Response:
    return PlainTextResponse(
        "Log in to see the live page.\n",
        401,
        headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
    )


def content_security_policy(page: str) -> str:
    """A CSP allowing this origin, and the page's own inline <style> and <script> by hash."""
    sources = {"script": [], "style": []}
    for tag, body in re.findall(r"<(script|style)>(.*?)</\1>", page, flags=re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        sources[tag].append(f"'sha256-{digest}'")
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {' '.join(sources['script'])}".rstrip(),
            f"style-src 'self' {' '.join(sources['style'])}".rstrip(),
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeaders:
    """Adds the security headers to every response, errors included."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Resource-Policy": "same-origin",  # no <img> of the camera elsewhere
            "Cache-Control": "no-store",  # live figures and a camera: nothing worth caching
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
