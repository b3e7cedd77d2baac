"""Who may talk to the live page, and what browsers are told: three small ASGI middlewares.

- `HostCheck`: a Host header naming something else is refused, so a hostile page cannot read
  the API through DNS rebinding (its own name, resolved to the Pi, is not on the list).
- `BasicAuth`: HTTP Basic against a scrypt hash; browsers send it on every request, the MJPEG
  <img> and the EventSource included, with no code on the page.
- `SecurityHeaders`: nosniff, a Content Security Policy, no referrer, no caching.
"""

import asyncio
import base64
import binascii
import hashlib
import hmac
import ipaddress
import re
import socket
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.web.password import verify_password

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
REALM = "edge-digits"
ACCEPTED_LOGINS = 8  # Authorization headers remembered as good, so a login costs one scrypt
_HOST_PORT = re.compile(r"^(\[[^\]]*\]|[^:\[\]]*)(:\d{1,5})?$")


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


class BasicAuth:
    """HTTP Basic login with one user, checked against a scrypt hash.

    scrypt is slow on purpose, so a good login's header is remembered (by its SHA-256) and
    guesses are checked one at a time off the event loop: a flood of wrong passwords costs one
    core, never the server.
    """

    def __init__(self, app: ASGIApp, username: str, password_hash: str) -> None:
        self.app = app
        self._username = username.encode()
        self._password_hash = password_hash
        self._accepted: dict[bytes, None] = {}  # insertion-ordered: the oldest is dropped first
        self._checking = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or await self._accepts(
            Headers(scope=scope).get("authorization", "")
        ):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(
            "Log in to see the live page.\n",
            401,
            headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
        )
        await response(scope, receive, send)

    async def _accepts(self, authorization: str) -> bool:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "basic" or not credentials:
            return False
        digest = hashlib.sha256(authorization.encode()).digest()
        if digest in self._accepted:
            return True
        try:
            username, _, password = base64.b64decode(credentials, validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        async with self._checking:
            good = hmac.compare_digest(username, self._username) and await asyncio.to_thread(
                verify_password, password.decode("utf-8", "replace"), self._password_hash
            )
        if good:
            self._accepted[digest] = None
            while len(self._accepted) > ACCEPTED_LOGINS:
                del self._accepted[next(iter(self._accepted))]
        return good


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
