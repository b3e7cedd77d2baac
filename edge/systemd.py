"""systemd's notify protocol (sd_notify) as a pipeline sink, in pure stdlib.

Under `Type=notify` systemd counts the service as started only when READY=1 arrives (camera and
model up), shows our STATUS= line in `systemctl status`, and kills and restarts the service when
WATCHDOG=1 keep-alives stop, which they do when the loop stops taking frames (a stuck camera or
pipeline). Whatever a frame holds, taking it is a sign of life: a blank view (a covered lens, a
dark room) or a garbled frame is not fixed by a restart, and restarting for it again and again
would only end in systemd giving up on the service.
"""

import logging
import math
import os
import socket
import time
from collections.abc import Callable, Mapping

from edge.events import Sink, Stats

log = logging.getLogger(__name__)

STATUS_INTERVAL_S = 5.0  # `systemctl status` is read by people: no need for more


def socket_address(notify_socket: str) -> str:
    """$NOTIFY_SOCKET -> an AF_UNIX address; '@name' is Linux's abstract namespace ('\\0name')."""
    if notify_socket.startswith("@"):
        return "\0" + notify_socket[1:]
    if notify_socket.startswith("/"):
        return notify_socket
    raise ValueError(
        f"NOTIFY_SOCKET={notify_socket!r} is neither an absolute path nor an '@' abstract socket"
    )


def watchdog_interval(environ: Mapping[str, str]) -> float | None:
    """Seconds between keep-alives (half of WatchdogSec=), or None when the watchdog is off.

    WATCHDOG_PID, when set, names the process the watchdog is meant for: not us means off.
    """
    usec = environ.get("WATCHDOG_USEC")
    if usec is None:
        return None
    pid = environ.get("WATCHDOG_PID")
    if pid is not None and pid != str(os.getpid()):
        return None
    try:
        interval = int(usec) / 2e6
    except ValueError:
        interval = 0.0
    if interval <= 0:
        log.warning("Ignoring WATCHDOG_USEC=%r: not a positive number of microseconds", usec)
        return None
    return interval


class Notifier:
    """Sends sd_notify datagrams; a lost one is logged, not raised: the pipeline must go on."""

    def __init__(self, address: str):
        self.address = address
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._warned = False

    def send(self, *assignments: str) -> None:
        """Send 'KEY=value' lines as one datagram."""
        try:
            self._socket.sendto("\n".join(assignments).encode(), self.address)
        except OSError as exc:
            # The first failure is worth a warning; repeating it every keep-alive is not.
            level = logging.DEBUG if self._warned else logging.WARNING
            log.log(level, "sd_notify to %r failed: %s", self.address, exc)
            self._warned = True

    def close(self) -> None:
        self._socket.close()


def status_line(stats: Stats) -> str:
    """What `systemctl status` shows under 'Status:'."""
    failed = f"{stats.failed_frames} failed, " if stats.failed_frames else ""
    return (
        f"{stats.processed_fps:.1f} fps (camera {stats.camera_fps:.1f}), "
        f"{stats.frames} frames, {failed}last reading: {stats.last_reading or 'none yet'}"
    )


class SystemdNotifySink(Sink):
    """READY on start, rate-limited STATUS and WATCHDOG while frames are taken, STOPPING on stop.

    The per-frame cost is one clock read and one comparison: all work waits for the next due time.
    A new reading needs nothing: it shows in the next STATUS= line (stats.last_reading).
    """

    def __init__(
        self,
        notifier: Notifier,
        watchdog_s: float | None,
        status_s: float = STATUS_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.notifier = notifier
        self.watchdog_s = watchdog_s
        self.status_s = status_s
        self._clock = clock
        self._watchdog_period = math.inf if watchdog_s is None else watchdog_s
        self._next_status = self._next_due = 0.0
        self._next_watchdog = math.inf if watchdog_s is None else 0.0

    def on_start(self, stats: Stats) -> None:
        # WATCHDOG=1 rides along so the first period starts now, whatever start-up took.
        self._send(self._clock(), "READY=1", stats)

    def waiting(self, status: str, for_s: float) -> None:
        """Before start-up is done, while the source is waited for (`edge.sources.
        open_when_there`): STATUS= says what for, and EXTEND_TIMEOUT_USEC= gives start-up
        `for_s` seconds more from now, past TimeoutStartSec=. (The watchdog runs only once
        READY=1 is sent: none is due meanwhile.)"""
        self.notifier.send(f"EXTEND_TIMEOUT_USEC={round(for_s * 1e6)}", f"STATUS={status}")

    def on_frame_taken(self, stats: Stats) -> None:
        now = self._clock()
        if now >= self._next_due:
            self._send(now, None, stats)

    def on_stop(self, stats: Stats) -> None:
        self.notifier.send("STOPPING=1", f"STATUS=Stopping after {stats.frames} frames")
        self.notifier.close()

    def _send(self, now: float, first: str | None, stats: Stats) -> None:
        lines = [first] if first else []
        if now >= self._next_watchdog:
            lines.append("WATCHDOG=1")
            self._next_watchdog = now + self._watchdog_period
        if now >= self._next_status:
            lines.append(f"STATUS={status_line(stats)}")
            self._next_status = now + self.status_s
        self.notifier.send(*lines)
        self._next_due = min(self._next_status, self._next_watchdog)


def notifier_from_env(environ: Mapping[str, str] = os.environ) -> SystemdNotifySink | None:
    """The sink when running under systemd with Type=notify (NOTIFY_SOCKET set), else None."""
    notify_socket = environ.get("NOTIFY_SOCKET")
    if not notify_socket:
        return None
    try:
        address = socket_address(notify_socket)
    except ValueError as exc:
        log.warning("Not notifying systemd: %s", exc)
        return None
    return SystemdNotifySink(Notifier(address), watchdog_interval(environ))
