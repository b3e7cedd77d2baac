"""edge.systemd against a real datagram socket bound by the test and named in NOTIFY_SOCKET."""

import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from recognizer_process import Recognizer

from edge.events import FrameResult, Stats
from edge.scenes import random_scene
from edge.systemd import (
    Notifier,
    SystemdNotifySink,
    notifier_from_env,
    socket_address,
    status_line,
    watchdog_interval,
)


class FakeClock:
    """time.monotonic as the test says it is."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class NotifyListener:
    """The systemd side: a bound AF_UNIX datagram socket, read with a short timeout."""

    def __init__(self, address: str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(0.2)

    def messages(self) -> list[list[str]]:
        """Every datagram that has arrived, as its lines."""
        received = []
        while True:
            try:
                received.append(self.sock.recv(4096).decode().split("\n"))
            except TimeoutError:
                return received


@pytest.fixture
def path_listener(tmp_path: Path) -> Iterator[tuple[str, NotifyListener]]:
    path = str(tmp_path / "notify.sock")
    listener = NotifyListener(path)
    yield path, listener
    listener.sock.close()


@pytest.fixture
def abstract_listener() -> Iterator[tuple[str, NotifyListener]]:
    name = f"@edge-digits-test-{uuid.uuid4().hex}"
    listener = NotifyListener("\0" + name[1:])
    yield name, listener
    listener.sock.close()


FRAME = FrameResult(0, 0.0, np.zeros((4, 4), np.uint8), (), "", {})


def stats(frames: int = 0, reading: str = "") -> Stats:
    return Stats(frames=frames, processed_fps=12.34, camera_fps=30.0, last_reading=reading)


def sink_for(address: str, watchdog_s: float | None, clock: FakeClock) -> SystemdNotifySink:
    return SystemdNotifySink(Notifier(address), watchdog_s, status_s=5.0, clock=clock)


def test_socket_address_maps_at_to_the_abstract_namespace():
    assert socket_address("@systemd/notify") == "\0systemd/notify"
    assert socket_address("/run/systemd/notify") == "/run/systemd/notify"
    with pytest.raises(ValueError, match="neither an absolute path"):
        socket_address("run/systemd/notify")


def test_no_notify_socket_means_no_sink():
    assert notifier_from_env({}) is None
    assert notifier_from_env({"NOTIFY_SOCKET": ""}) is None
    assert notifier_from_env({"NOTIFY_SOCKET": "relative/path"}) is None


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "30000000"}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid() + 1)}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
    ],
)
def test_watchdog_interval_is_half_of_watchdog_usec_for_this_process(environ, expected):
    assert watchdog_interval(environ) == expected


def test_sink_from_env_reaches_an_abstract_socket(abstract_listener):
    name, listener = abstract_listener
    sink = notifier_from_env({"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "2000000"})
    assert sink is not None and sink.watchdog_s == 1.0

    sink.on_start(stats())

    assert listener.messages() == [["READY=1", "WATCHDOG=1", f"STATUS={status_line(stats())}"]]


def test_ready_then_keepalives_at_half_the_watchdog_period(path_listener):
    path, listener = path_listener
    clock = FakeClock()
    sink = sink_for(path, watchdog_s=1.0, clock=clock)

    sink.on_start(stats())
    assert listener.messages()[0][:2] == ["READY=1", "WATCHDOG=1"]

    for _ in range(10):  # frames within one interval: nothing to send
        clock.now += 0.09
        sink.on_frame(FRAME, stats())
    assert listener.messages() == []

    clock.now += 0.1  # 1.0 s after READY
    sink.on_frame(FRAME, stats())
    assert listener.messages() == [["WATCHDOG=1"]]


def test_status_is_rate_limited_and_carries_fps_and_the_last_reading(path_listener):
    path, listener = path_listener
    clock = FakeClock()
    sink = sink_for(path, watchdog_s=None, clock=clock)
    sink.on_start(stats())
    listener.messages()

    clock.now += 4.9
    sink.on_frame(FRAME, stats(frames=50, reading="4071"))
    assert listener.messages() == []

    clock.now += 0.1
    sink.on_frame(FRAME, stats(frames=51, reading="4071"))
    assert listener.messages() == [["STATUS=12.3 fps (camera 30.0), 51 frames, last reading: 4071"]]


def test_no_watchdog_configured_means_no_keepalives(path_listener):
    path, listener = path_listener
    clock = FakeClock()
    sink = sink_for(path, watchdog_s=None, clock=clock)

    sink.on_start(stats())
    for _ in range(30):
        clock.now += 1.0
        sink.on_frame(FRAME, stats())

    sent = [line for message in listener.messages() for line in message]
    assert "WATCHDOG=1" not in sent
    assert sent[0] == "READY=1"
    assert sum(line.startswith("STATUS=") for line in sent) == 7  # at 0, 5, 10, ... 30 s


def test_stop_says_stopping(path_listener):
    path, listener = path_listener
    sink = sink_for(path, watchdog_s=1.0, clock=FakeClock())

    sink.on_stop(stats(frames=99))

    assert listener.messages() == [["STOPPING=1", "STATUS=Stopping after 99 frames"]]


def test_a_missing_listener_is_logged_not_raised(tmp_path: Path, caplog):
    sink = sink_for(str(tmp_path / "nobody-listens.sock"), watchdog_s=1.0, clock=FakeClock())

    sink.on_start(stats())
    sink.on_stop(stats())

    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1  # the first failure; the rest are debug
    assert "nobody-listens.sock" in warnings[0].getMessage()


# --- end to end: `python -m edge` as systemd runs it ------------------------------------------

WATCHDOG_USEC = 1_000_000  # keep-alives every 0.5 s
PROCESS_TIMEOUT_S = 120  # start-up (imports, model) on a busy machine


def wait_for(listener: NotifyListener, line: str, timeout_s: float) -> list[list[str]]:
    """Messages up to and including the first one with `line`; fails after `timeout_s`."""
    received = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        received += listener.messages()
        if any(line in message for message in received):
            return received
    raise AssertionError(f"no {line} within {timeout_s} s; got {received}")


def count(messages: list[list[str]], line: str) -> int:
    return sum(line in message for message in messages)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` in one step, so the running source reads the old file or the new one."""
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def test_python_m_edge_notifies_systemd_and_keepalives_follow_the_frames(
    tmp_path: Path, path_listener, mnist_test
):
    path, listener = path_listener
    rng = np.random.default_rng(5)
    images = []
    for index in range(3):
        images.append(tmp_path / "pages" / f"page-{index}.jpg")
        images[-1].parent.mkdir(exist_ok=True)
        scene = random_scene(*mnist_test, rng)
        images[-1].write_bytes(cv2.imencode(".jpg", scene.frame)[1].tobytes())
    originals = {image: image.read_bytes() for image in images}
    notify = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": str(WATCHDOG_USEC)}
    edge = Recognizer(tmp_path / "pages", "", tmp_path, fps=20, env=notify)
    try:
        # Start-up: READY comes first, once the model is loaded and the source is open.
        started = wait_for(listener, "READY=1", PROCESS_TIMEOUT_S)
        assert started[0][0] == "READY=1", edge.output()
        assert any(line.startswith("STATUS=") for line in started[0])

        # Frames flow: keep-alives at about half the watchdog period.
        flowing = wait_for(listener, "WATCHDOG=1", 10)
        time.sleep(2.0)
        flowing += listener.messages()
        assert count(flowing, "WATCHDOG=1") >= 3, (flowing, edge.output())

        # The source stops delivering usable frames (as a camera that sends garbage would): the
        # process is alive and looping, but nothing is processed, so the keep-alives stop.
        for image in images:
            write_atomically(image, b"not an image any more")
        time.sleep(WATCHDOG_USEC / 1e6)  # a frame read before the change may still count
        listener.messages()
        time.sleep(3.0)
        assert count(listener.messages(), "WATCHDOG=1") == 0, edge.output()
        assert edge.process.poll() is None

        # Frames again: keep-alives again.
        for image, data in originals.items():
            write_atomically(image, data)
        wait_for(listener, "WATCHDOG=1", 10)

        # systemctl stop: SIGTERM -> STOPPING=1 and a clean exit.
        assert edge.stop() == 0, edge.output()
        assert count(listener.messages(), "STOPPING=1") == 1, edge.output()
    finally:
        edge.kill()
