"""Hand the newest value from a worker thread to any number of asyncio tasks, without queues."""

import asyncio
import contextlib
import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Latest(Generic[T]):
    """The newest value of something produced in one thread and awaited by many web clients.

    A waiter gets whatever is newest when it is ready; values replaced in the meantime are
    skipped, so a slow client never makes anything pile up, for itself or for others.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: T | None = None
        self._version = 0
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the web server's event loop; call from inside that loop."""
        self._loop = loop
        self._changed = asyncio.Event()

    def current(self) -> tuple[int, T | None]:
        """(version, value) right now; version 0 and None before the first publish."""
        with self._lock:
            return self._version, self._value

    def publish(self, value: T) -> None:
        """Replace the value and wake the waiters. Safe from any thread; never blocks on them."""
        with self._lock:
            self._value = value
            self._version += 1
        self._wake_soon()

    def close(self) -> None:
        """Make every current and future `next()` return None (server shutting down)."""
        self._closed = True
        self._wake_soon()

    async def next(self, seen: int) -> tuple[int, T] | None:
        """The first value newer than version `seen`, as (version, value); None once closed."""
        assert self._changed is not None, "bind() was not called"
        while not self._closed:
            changed = self._changed  # taken before the check: a publish after it wakes this event
            with self._lock:
                if self._version != seen and self._value is not None:
                    return self._version, self._value
            await changed.wait()
        return None

    def _wake_soon(self) -> None:
        loop = self._loop
        if loop is None:
            return
        # RuntimeError: the server's loop has ended, so nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        assert self._changed is not None
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
