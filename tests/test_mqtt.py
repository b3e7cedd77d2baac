"""The MQTT output against a real mosquitto started by the test; the test plays the pipeline."""

import logging
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from mosquitto_broker import WAIT, Mosquitto, Subscriber

from edge.config import ConfigError, MqttSettings
from edge.events import DigitPrediction, FrameResult, Reading, Stats
from edge.outputs.mqtt import MqttSink, device_id, parse_broker_url

DEVICE = "shelf 1/a"  # not a valid topic level as it is
TOPIC = "edge-digits/shelf-1-a"


def settings(url: str, **changes: object) -> MqttSettings:
    values = {"enabled": True, "url": url, "device": DEVICE, "stats_interval": 0.2, **changes}
    return MqttSettings(**values)


def reading(text: str, index: int) -> Reading:
    digits = tuple(DigitPrediction(int(c), 0.95, (10 * i, 0, 8, 12)) for i, c in enumerate(text))
    return Reading(text, 0.95, 1_700_000_000.0 + index, index, digits, latency_ms=20.0)


def stats(**changes: object) -> Stats:
    return Stats(model="digits_int8.tflite", source="test", **changes)


def frame(index: int) -> FrameResult:
    return FrameResult(index, 0.0, np.zeros((4, 4), np.uint8), (), "", {})


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} within {WAIT} s")
        time.sleep(0.05)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(tmp_path)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def subscriber(broker: Mosquitto) -> Iterator[Subscriber]:
    subscriber = Subscriber(broker)
    yield subscriber
    subscriber.close()


def test_device_ids_are_one_topic_level() -> None:
    assert device_id(DEVICE) == "shelf-1-a"
    assert device_id("a+b#c") == "a-b-c"
    assert device_id("  ") == socket.gethostname()


def test_broker_urls() -> None:
    assert parse_broker_url("mqtt://broker.lan") == ("broker.lan", 1883, False)
    assert parse_broker_url("mqtts://broker.lan") == ("broker.lan", 8883, True)
    assert parse_broker_url("mqtt://10.0.0.2:1884") == ("10.0.0.2", 1884, False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": "mqtt://:1883"}, "expected mqtt://host:port"),
        ({"url": "mqtt://broker:99999"}, "out of range"),
        ({"url": "mqtt://broker", "ca_file": "/etc/ssl/ca.pem"}, "is not TLS: use mqtts://"),
        ({"url": "mqtts://broker", "ca_file": "/nonexistent/ca.pem"}, "ca_file = '/nonexist"),
    ],
)
def test_unusable_settings_are_refused_before_starting(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        MqttSink(settings(**{"url": "mqtt://broker", **changes}))


def test_readings_stats_and_availability_reach_a_subscriber(
    broker: Mosquitto, subscriber: Subscriber
) -> None:
    sink = MqttSink(settings(broker.url))
    sink.on_start(stats())
    assert subscriber.next(f"{TOPIC}/status") == "online"

    sink.on_reading(reading("42", 7), stats(readings=1))
    published = subscriber.next_json(f"{TOPIC}/reading")
    assert published["text"] == "42" and published["frame_index"] == 7
    assert published["device"] == "shelf-1-a"
    assert [d["digit"] for d in published["digits"]] == [4, 2]

    sink.on_frame(frame(8), stats(frames=8, readings=1))  # stats go with the pipeline's...
    sink.on_stats(stats(frames=9, readings=1))  # ...stats event, not with every frame
    figures = subscriber.next_json(f"{TOPIC}/stats")
    assert figures["frames"] == 9 and figures["model"] == "digits_int8.tflite"
    assert figures["mqtt_published_readings"] == 1 and figures["mqtt_dropped_readings"] == 0
    sink.on_stats(stats(frames=10))  # too soon after the last: no stats
    time.sleep(0.25)
    sink.on_stats(stats(frames=11))
    assert subscriber.next_json(f"{TOPIC}/stats")["frames"] == 11

    sink.on_stop(stats())
    assert subscriber.next(f"{TOPIC}/status") == "offline"
    late = Subscriber(broker)  # retained: someone who subscribes later learns the state
    try:
        assert late.next(f"{TOPIC}/status") == "offline"
        assert late.next_json(f"{TOPIC}/reading")["text"] == "42"
    finally:
        late.close()


def test_a_broker_outage_counts_dropped_readings_and_publishing_resumes(
    broker: Mosquitto, subscriber: Subscriber
) -> None:
    sink = MqttSink(settings(broker.url))
    sink.on_start(stats())
    wait_until(lambda: sink.connected, "connected")
    sink.on_reading(reading("1", 1), stats())
    assert subscriber.next_json(f"{TOPIC}/reading")["text"] == "1"

    broker.stop()
    wait_until(lambda: not sink.connected, "disconnected")
    sink.on_reading(reading("2", 2), stats())
    sink.on_reading(reading("3", 3), stats())
    assert (sink.published_readings, sink.dropped_readings) == (1, 2)

    broker.start()
    wait_until(lambda: sink.connected, "reconnected")
    # (mosquitto sends the Last Will, "offline", for its clients as it shuts down)
    assert subscriber.next(f"{TOPIC}/status", where="online") == "online"
    sink.on_reading(reading("4", 4), stats())
    assert subscriber.next_json(f"{TOPIC}/reading")["text"] == "4"
    time.sleep(0.25)
    sink.on_stats(stats())
    figures = subscriber.next_json(f"{TOPIC}/stats")
    assert figures["mqtt_published_readings"] == 2 and figures["mqtt_dropped_readings"] == 2
    sink.on_stop(stats())


@pytest.mark.slow  # seconds of reconnect backoff / megabytes of stream
def test_an_unreachable_broker_is_reported_and_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="edge.outputs.mqtt")
    broker = Mosquitto(tmp_path)  # not started yet
    sink = MqttSink(settings(broker.url))
    sink.on_start(stats())
    try:
        wait_until(lambda: "the broker is unreachable" in caplog.text, "reported")
        assert "the recognizer keeps running" in caplog.text
        sink.on_reading(reading("5", 1), stats())
        assert sink.dropped_readings == 1

        broker.start()
        wait_until(lambda: sink.connected, "connected once the broker is up")
        assert "1 readings dropped while disconnected" in caplog.text
        assert caplog.text.count("the broker is unreachable") == 1  # once, not per retry
        sink.on_stop(stats())
    finally:
        broker.stop()


def test_tls_and_credentials(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cert, key, passwords = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "passwd"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "pi", "s3cret"], check=True)
    broker = Mosquitto(tmp_path, f"certfile {cert}\nkeyfile {key}\npassword_file {passwords}")
    broker.start()
    url = f"mqtts://127.0.0.1:{broker.port}"
    wrong = MqttSink(settings(url, username="pi", password="guess", ca_file=str(cert)))
    right = MqttSink(settings(url, username="pi", password="s3cret", ca_file=str(cert)))
    try:
        wrong.on_start(stats())
        right.on_start(stats())
        wait_until(lambda: right.connected, "connected over TLS with the password")
        wait_until(lambda: "refused the connection" in caplog.text, "refusal reported")
        assert not wrong.connected
    finally:
        wrong.on_stop(stats())
        right.on_stop(stats())
        broker.stop()
