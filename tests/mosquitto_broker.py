"""Test helpers: a private Debian `mosquitto` on a free loopback port (plain or TLS), and
subscribers to it."""

import getpass
import json
import queue
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = "/usr/sbin/mosquitto"  # Debian's package; apt-get install mosquitto
WAIT = 15.0  # seconds before a test gives up on a message or a (re)start


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and no other name) and its key, made with openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


class Mosquitto:
    """A broker with its own config file in `directory`; `extra` lines go into the listener."""

    def __init__(self, directory: Path, extra: str = "", port: int | None = None):
        self.port = port or free_port()
        self.directory = directory
        self.config = directory / "mosquitto.conf"
        self.log = directory / "mosquitto.log"
        anonymous = "" if "password_file" in extra else "allow_anonymous true\n"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n{anonymous}{extra}\n"
            f"user {getpass.getuser()}\n"  # as root it would switch to `mosquitto`, who
            "persistence false\n"  # cannot read the test's files
            "log_dest stderr\n"
            "log_type all\n"
        )
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self._process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stderr=log)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"mosquitto exited at start; see {self.log}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on port {self.port} within {WAIT} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=WAIT)
        self._process = None


class Subscriber:
    """Collects every message under `topics`, resubscribing after each reconnect."""

    def __init__(self, broker: Mosquitto, topics: Sequence[str] = ("edge-digits/#",)):
        self.messages: queue.Queue[tuple[str, str, bool]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{free_port()}")
        self.client.reconnect_delay_set(1, 1)
        self.client.on_connect = lambda client, *_: client.subscribe([(t, 1) for t in topics])
        self.client.on_message = lambda _c, _u, m: self.messages.put(
            (m.topic, m.payload.decode(), bool(m.retain))
        )
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        if not subscribed.wait(WAIT):
            raise RuntimeError("the test subscriber could not subscribe")

    def next(self, topic_suffix: str, where: str = "") -> str:
        """The next payload on a topic ending in `topic_suffix` (and containing `where`)."""
        return self.until(topic_suffix, where)[-1][1]

    def until(self, topic_suffix: str, where: str = "") -> list[tuple[str, str]]:
        """Every (topic, payload) that comes up to and with the next payload on a topic ending
        in `topic_suffix` (and containing `where`)."""
        came = []
        deadline = time.monotonic() + WAIT
        while (left := deadline - time.monotonic()) > 0:
            try:
                topic, payload, _ = self.messages.get(timeout=left)
            except queue.Empty:
                break
            came.append((topic, payload))
            if topic.endswith(topic_suffix) and where in payload:
                return came
        raise AssertionError(f"no message on */{topic_suffix} containing {where!r} in {WAIT} s")

    def next_json(self, topic_suffix: str) -> dict:
        return json.loads(self.next(topic_suffix))

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def retained_messages(broker: Mosquitto, prefix: str) -> dict[str, str]:
    """{topic: payload} of what the broker retains under `prefix/`, as a new subscriber sees it.

    The broker sends a subscription's retained messages before it handles the subscriber's next
    publish, so a marker published after subscribing closes the list.
    """
    marker = f"{prefix}/end-of-retained-{free_port()}"
    subscriber = Subscriber(broker, [f"{prefix}/#"])
    try:
        subscriber.client.publish(marker, "", qos=1)
        retained = {}
        deadline = time.monotonic() + WAIT
        while (left := deadline - time.monotonic()) > 0:
            try:
                topic, payload, is_retained = subscriber.messages.get(timeout=left)
            except queue.Empty:
                break
            if topic == marker:
                return retained
            if is_retained:
                retained[topic] = payload
        raise AssertionError(f"the marker {marker} did not come back within {WAIT} s")
    finally:
        subscriber.close()
