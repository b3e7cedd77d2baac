"""edge.systemd against a real datagram socket bound by the test and named in NOTIFY_SOCKET."""

import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from checkout import REPO, edge_command
from mjpeg_stream import MjpegStream
from recognizer_process import Recognizer

from edge.events import Stats
from edge.model import LineModel
from edge.pipeline import DigitReader, Pipeline
from edge.reading import Stabilizer
from edge.scenes import random_scene
from edge.sources import Frame, UnreadableFrame
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
        sink.on_frame_taken(stats())
    assert listener.messages() == []

    clock.now += 0.1  # 1.0 s after READY
    sink.on_frame_taken(stats())
    assert listener.messages() == [["WATCHDOG=1"]]


def test_status_is_rate_limited_and_carries_fps_and_the_last_reading(path_listener):
    path, listener = path_listener
    clock = FakeClock()
    sink = sink_for(path, watchdog_s=None, clock=clock)
    sink.on_start(stats())
    listener.messages()

    clock.now += 4.9
    sink.on_frame_taken(stats(frames=50, reading="4071"))
    assert listener.messages() == []

    clock.now += 0.1
    sink.on_frame_taken(stats(frames=51, reading="4071"))
    assert listener.messages() == [["STATUS=12.3 fps (camera 30.0), 51 frames, last reading: 4071"]]


def test_no_watchdog_configured_means_no_keepalives(path_listener):
    path, listener = path_listener
    clock = FakeClock()
    sink = sink_for(path, watchdog_s=None, clock=clock)

    sink.on_start(stats())
    for _ in range(30):
        clock.now += 1.0
        sink.on_frame_taken(stats())

    sent = [line for message in listener.messages() for line in message]
    assert "WATCHDOG=1" not in sent
    assert sent[0] == "READY=1"
    assert sum(line.startswith("STATUS=") for line in sent) == 7  # at 0, 5, 10, ... 30 s


def test_status_says_how_many_frames_failed_when_some_did():
    assert status_line(Stats(frames=40, failed_frames=3, last_reading="7")) == (
        "0.0 fps (camera 0.0), 40 frames, 3 failed, last reading: 7"
    )


class BlindCamera:
    """A camera whose lens is covered (every frame one flat colour), now and then sending a
    frame that cannot be used; each read is `period_s` later on `clock`."""

    pace_fps = None
    stills = False
    description = "a covered camera"

    def __init__(self, frames: int, clock: FakeClock, period_s: float):
        self.left, self.clock, self.period_s = frames, clock, period_s

    def read(self) -> Frame | None:
        if not self.left:
            return None
        self.left -= 1
        self.clock.now += self.period_s
        if self.left % 5 == 0:
            raise UnreadableFrame("a torn frame")
        return Frame(np.zeros((480, 640), np.uint8), time.time())

    def skip(self, count: int) -> int:
        return 0

    def close(self) -> None:
        """Nothing held."""


def test_a_covered_lens_is_not_a_stalled_loop_the_watchdog_is_fed(path_listener):
    """Blank and unusable frames are frames taken: only a loop that stops taking frames lets
    the watchdog restart the service (a covered lens or a dark room would restart it forever)."""
    path, listener = path_listener
    clock = FakeClock()
    sink = sink_for(path, watchdog_s=1.0, clock=clock)
    camera = BlindCamera(frames=50, clock=clock, period_s=0.1)  # 5 s of frames
    stats = Stats()
    reader = DigitReader(LineModel(), confidence=0.6)
    Pipeline(camera, reader, Stabilizer(3), [sink], stats).run()
    sent = [line for message in listener.messages() for line in message]
    assert sent.count("WATCHDOG=1") == 6  # at READY, then every 1.0 s of the 5 s
    assert (stats.frames, stats.failed_frames) == (40, 10)


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


def test_python_m_edge_notifies_systemd_and_keepalives_go_on_while_frames_are_taken(
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

        # Blank frames (a covered lens, a dark room) and frames that cannot be used (a camera
        # sending garbage) are frames taken all the same: the loop is alive, the keep-alives go
        # on (a restart would fix neither, and systemd gives up after a few).
        black = cv2.imencode(".jpg", np.zeros((480, 640, 3), np.uint8))[1].tobytes()
        for content in (black, b"not an image any more"):
            for image in images:
                write_atomically(image, content)
            listener.messages()
            time.sleep(3.0)
            assert count(listener.messages(), "WATCHDOG=1") >= 4, edge.output()
        assert edge.process.poll() is None

        # systemctl stop: SIGTERM -> STOPPING=1 and a clean exit.
        assert edge.stop() == 0, edge.output()
        assert count(listener.messages(), "STOPPING=1") == 1, edge.output()
    finally:
        edge.kill()


def test_python_m_edge_keeps_the_watchdog_fed_while_its_camera_sees_black(
    tmp_path: Path, path_listener
):
    """The report: a video of black frames (a covered lens), replayed like a camera, had the
    watchdog starved after READY and the status at 0.0 fps while 15 frames a second came."""
    path, listener = path_listener
    video = str(tmp_path / "black.avi")
    writer = cv2.VideoWriter(video, cv2.VideoWriter.fourcc(*"MJPG"), 15, (640, 480))
    for _ in range(30):
        writer.write(np.zeros((480, 640, 3), np.uint8))
    writer.release()
    notify = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": str(WATCHDOG_USEC)}
    edge = Recognizer(Path(video), "", tmp_path, fps=15, env=notify)
    try:
        wait_for(listener, "READY=1", PROCESS_TIMEOUT_S)
        time.sleep(3.0)
        running = listener.messages()
        assert count(running, "WATCHDOG=1") >= 4, (running, edge.output())
        assert edge.stop() == 0, edge.output()
        said = [line for message in listener.messages() for line in message]
        assert "STATUS=Stopping after 0 frames" not in said, edge.output()
    finally:
        edge.kill()


def test_a_service_waits_for_a_stream_that_is_not_up_yet_instead_of_giving_up(
    tmp_path: Path, path_listener, mnist_test
):
    """The report: after a power cut the Pi came up before its IP camera; the first start said
    "nothing answers" and exited 2, which the unit never restarts, so the meter reader stayed
    down for good. Run as a service, it now waits, says so in `systemctl status`, keeps the
    start timeout from running out, and starts once the camera answers."""
    path, listener = path_listener
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]  # closed: nothing answers there yet
    url = f"http://127.0.0.1:{port}/video.mjpg"
    scene = random_scene(*mnist_test, np.random.default_rng(5))
    MjpegStream.frame = cv2.imencode(".jpg", scene.frame)[1].tobytes()  # 10 a second
    log = tmp_path / "edge.log"
    with log.open("wb") as output:
        edge = subprocess.Popen(
            edge_command("--source", url, "--config", "/dev/null", "--json"),
            cwd=REPO,
            env={**os.environ, "NOTIFY_SOCKET": path},
            stdout=subprocess.PIPE,
            stderr=output,
        )
    camera = None
    try:
        said = wait_for(listener, "EXTEND_TIMEOUT_USEC=65000000", 120)[-1]  # 5 s + a try's 60
        assert said[1].startswith(f"STATUS=waiting for the source: Cannot open {url}"), said
        assert edge.poll() is None, log.read_text()
        assert "nothing answers" in log.read_text() and "Waiting for it" in log.read_text()

        camera = http.server.ThreadingHTTPServer(("127.0.0.1", port), MjpegStream)
        threading.Thread(target=camera.serve_forever, daemon=True).start()
        wait_for(listener, "READY=1", 60)  # the next try, 10 s later at most, finds it
        first = json.loads(edge.stdout.readline())
        assert first["text"] == scene.text, log.read_text()
        assert "is there, after" in log.read_text()
        edge.send_signal(signal.SIGTERM)
        assert edge.wait(timeout=30) == 0, log.read_text()
    finally:
        edge.kill()
        edge.wait()
        if camera is not None:
            camera.shutdown()
            camera.server_close()


def test_a_stream_that_is_not_there_exits_1_at_a_terminal_worth_starting_again():
    # Not 2, a setup error, which the unit does not restart: the camera may come back.
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]
    done = subprocess.run(
        edge_command("--source", f"http://127.0.0.1:{port}/video.mjpg", "--config", "/dev/null"),
        cwd=REPO,
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if key != "NOTIFY_SOCKET"},
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "nothing answers" in done.stderr and "Waiting" not in done.stderr
