"""The MQTT output against a real mosquitto started by the test; the test plays the pipeline."""

import json
import logging
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from freezing_relay import FreezingRelay
from jinja2.sandbox import SandboxedEnvironment
from mosquitto_broker import WAIT, Mosquitto, Subscriber, retained_messages, self_signed_certificate

from edge.config import ConfigError, MqttSettings, Settings, apply_overrides
from edge.events import DigitPrediction, FrameResult, Reading, Stats
from edge.outputs.home_assistant import HA_STATE_LENGTH, discovery_configs
from edge.outputs.mqtt import MqttSink, device_id, parse_broker_url, why_connecting_failed

DEVICE = "shelf 1/a"  # not a valid topic level as it is
TOPIC = "edge-digits/shelf-1-a"
HA_ID = re.compile(r"[A-Za-z0-9_-]+")  # what HA accepts as a discovery topic's node and object id


def settings(url: str, **changes: object) -> MqttSettings:
    values = {"enabled": True, "url": url, "device": DEVICE, "stats_interval": 0.2, **changes}
    return MqttSettings(**values)


def reading(text: str, index: int) -> Reading:
    digits = tuple(DigitPrediction(int(c), 0.95, (10 * i, 0, 8, 12)) for i, c in enumerate(text))
    return Reading(text, 0.95, 1_700_000_000.0 + index, index, digits, latency_ms=20.0)


def empty_reading(index: int) -> Reading:
    """What a covered lens (or the lights off, or someone in the way) reads."""
    return Reading("", 0.0, 1_700_000_000.0 + index, index, (), 20.0, empty_reason="too dark")


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


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[Mosquitto, Path]]:
    """A broker listening with TLS only, and its (self-signed) certificate."""
    (tmp_path / "tls").mkdir()
    cert, key = self_signed_certificate(tmp_path / "tls")
    broker = Mosquitto(tmp_path / "tls", f"certfile {cert}\nkeyfile {key}")
    broker.start()
    yield broker, cert
    broker.stop()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_device_ids_are_one_topic_level() -> None:
    assert device_id(DEVICE) == "shelf-1-a"
    assert device_id("a+b#c") == "a-b-c"
    assert device_id("  ") == socket.gethostname()


def test_broker_urls() -> None:
    assert parse_broker_url("mqtt://broker.lan") == ("broker.lan", 1883, False)
    assert parse_broker_url("mqtts://broker.lan") == ("broker.lan", 8883, True)
    assert parse_broker_url("mqtt://10.0.0.2:1884") == ("10.0.0.2", 1884, False)
    assert parse_broker_url("mqtt://[::1]:1884") == ("::1", 1884, False)
    # As people write it in the warnings (it read "::1:1884").
    assert MqttSink(settings("mqtt://[::1]:1884")).address == "[::1]:1884"


@pytest.mark.parametrize(
    ("url", "discovery", "said"),
    [
        ("mqtt://broker.lan", True, "mqtt://broker.lan:1883, topics edge-digits/shelf-1-a/ "
         "(Home Assistant discovery under homeassistant/)"),
        ("mqtts://[::1]:8884/", False, "mqtts://[::1]:8884, topics edge-digits/"
         "shelf-1-a/ (Home Assistant discovery off)"),
    ],
)  # fmt: skip
def test_where_readings_go_is_said(url: str, discovery: bool, said: str):
    assert MqttSink(settings(url, discovery=discovery)).destination == said


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mqtt://alice:secret@broker.lan", "put the user name and password in [mqtt] username"),
        ("mqtts://broker.lan:8883/?password=secret", "with nothing after the port"),
        ("mqtt://broker.lan/shelf/readings", "with nothing after the port: topics are"),
    ],
)
def test_a_url_with_credentials_or_a_topic_in_it_is_refused_without_showing_them(url, said):
    # They were taken out of what was shown, and then not used: the broker refused the login
    # ("Not authorized"), or the readings went to the usual topics, without a word.
    with pytest.raises(ConfigError, match=re.escape(said)) as error:
        MqttSink(settings(url))
    assert "secret" not in str(error.value)
    document = {"mqtt": {"enabled": True, "url": url}}
    with pytest.raises(ConfigError, match=re.escape(said)) as error:
        apply_overrides(Settings(), document, origin="config.toml")
    assert "secret" not in str(error.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": "mqtt://:1883"}, "expected mqtt://host:port"),
        ({"url": "mqtt://broker:99999"}, "from 1 to 65535"),
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

    wait_until(lambda: sink.published_readings == 1, "acknowledged")  # counted only then
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


def test_a_reading_made_as_soon_as_the_run_starts_is_published_not_dropped(
    broker: Mosquitto, subscriber: Subscriber, caplog: pytest.LogCaptureFixture
) -> None:
    # A run over a few photos makes its first reading within a second of its start: the start
    # returned before the broker's answer, and those readings were dropped (a fresh user saw 6
    # of 7 go), said only at -v.
    sink = MqttSink(settings(broker.url))
    sink.on_start(stats())
    sink.on_reading(reading("71", 1), stats())
    assert subscriber.next_json(f"{TOPIC}/reading")["text"] == "71"
    sink.on_stop(stats())
    assert (sink.published_readings, sink.dropped_readings) == (1, 0)
    assert not warnings(caplog)


def test_two_devices_with_one_client_id_are_told_to_give_each_its_own(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    # Both default to the hostname (raspberrypi on every stock Pi): the broker closes the older
    # connection of one client id, and each device knocked the other off every second with
    # only "it closed the connection or went away".
    caplog.set_level(logging.INFO, logger="edge.outputs.mqtt")
    first, second = MqttSink(settings(broker.url)), MqttSink(settings(broker.url))
    first.on_start(stats())
    second.on_start(stats())
    try:
        hint = "another device uses the same client id (edge-digits-shelf-1-a), give each its own"
        wait_until(lambda: any(hint in w for w in warnings(caplog)), "told")
        # Knocked off again every second or so: told once at warning level, not every time
        # (each device warned twice a second, without end).
        wait_until(lambda: caplog.text.count(hint) >= 6, "knocked off again and again")
        # Each device: its first short connection's loss (a broker restarting does that too)
        # and the hint, at its second, each at warning level once, with the end of each.
        said = warnings(caplog)
        assert sum(hint in w for w in said) <= 2 and sum("again after" in w for w in said) <= 4
    finally:
        first.on_stop(stats())
        second.on_stop(stats())


def test_a_broker_restarted_soon_after_connecting_is_one_outage_with_no_false_lead(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    # The report: a broker stopped within 10 s of the Pi connecting (both up again after a
    # power cut) gave two warnings for one outage, the first blaming a client id that no other
    # device shared.
    caplog.set_level(logging.INFO, logger="edge.outputs.mqtt")
    sink = MqttSink(settings(broker.url))
    sink.on_start(stats())
    try:
        wait_until(lambda: sink.connected, "connected")
        broker.stop()
        wait_until(lambda: "connection refused" in caplog.text, "refused while it is down")
        broker.start()
        wait_until(lambda: sink.connected, "connected again")
        said = warnings(caplog)
        assert [w for w in said if "lost the connection" in w] == [
            f"MQTT: lost the connection to the broker at 127.0.0.1:{broker.port} (it closed the "
            "connection or went away); the recognizer keeps running, retrying with backoff "
            "(of the readings made meanwhile, the latest is sent once connected, the rest dropped)"
        ]
        assert not [w for w in said if "unreachable" in w or "client id" in w], said
        assert any("connected to" in w and "again after" in w for w in said), said
    finally:
        sink.on_stop(stats())


def test_a_broker_outage_counts_dropped_readings_and_publishing_resumes(
    broker: Mosquitto, subscriber: Subscriber, caplog: pytest.LogCaptureFixture
) -> None:
    sink = MqttSink(settings(broker.url))
    sink.on_start(stats())
    wait_until(lambda: sink.connected, "connected")
    sink.on_reading(reading("1", 1), stats())
    assert subscriber.next_json(f"{TOPIC}/reading")["text"] == "1"
    wait_until(lambda: sink.published_readings == 1, "acknowledged")

    broker.stop()
    wait_until(lambda: not sink.connected, "disconnected")
    sink.on_reading(reading("2", 2), stats())
    sink.on_reading(reading("3", 3), stats())
    assert (sink.published_readings, sink.dropped_readings) == (1, 1)  # "3" waits to be sent

    broker.start()
    wait_until(lambda: sink.connected, "reconnected")
    # (mosquitto sends the Last Will, "offline", for its clients as it shuts down)
    assert subscriber.next(f"{TOPIC}/status", where="online") == "online"
    # The reading made last while down is the present: sent once connected (the retained
    # reading stayed "1", and Home Assistant showed it until the view changed).
    assert subscriber.next_json(f"{TOPIC}/reading")["text"] == "3"
    assert json.loads(retained_messages(broker, TOPIC)[f"{TOPIC}/reading"])["text"] == "3"
    sink.on_reading(reading("4", 4), stats())
    assert subscriber.next_json(f"{TOPIC}/reading")["text"] == "4"
    time.sleep(0.25)
    sink.on_stats(stats())
    figures = subscriber.next_json(f"{TOPIC}/stats")
    assert figures["mqtt_published_readings"] == 3 and figures["mqtt_dropped_readings"] == 1
    sink.on_stop(stats())
    # The journal at its default level (warning) shows the outage and its end.
    said = warnings(caplog)
    lost = f"lost the connection to the broker at 127.0.0.1:{broker.port} (it closed the"
    assert any(lost in w for w in said), said
    assert not any("Unspecified error" in w for w in said), said
    meanwhile = "(2 readings made meanwhile: the latest sent now, 1 dropped)"
    assert any("again after" in w and meanwhile in w for w in said), said


def test_readings_sent_into_a_silent_link_are_dropped_not_sent_after_the_present_one(
    broker: Mosquitto, subscriber: Subscriber, caplog: pytest.LogCaptureFixture
) -> None:
    # The report: a link that stopped passing data without closing was noticed only after the
    # keepalive; the readings made before that were held by paho and sent after the present
    # one on reconnect, up to two minutes late, so the broker retained a stale reading (a meter
    # that then reads nothing new for hours showed it in Home Assistant), and the run counted
    # them as published.
    relay = FreezingRelay(broker.port)
    sink = MqttSink(settings(f"mqtt://127.0.0.1:{relay.port}", keepalive=1))
    sink.on_start(stats())
    try:
        sink.on_reading(reading("1", 1), stats())
        assert subscriber.next_json(f"{TOPIC}/reading")["text"] == "1"
        wait_until(lambda: sink.published_readings == 1, "acknowledged")
        relay.freeze()
        for index in (2, 3, 4):  # handed to the connection, which takes them without a word
            sink.on_reading(reading(str(index), index), stats())
        wait_until(lambda: not sink.connected, "the loss noticed")
        sink.on_reading(reading("5", 5), stats())  # made while down: the present one
        # The broker gives up on the silent connection too (its Last Will says so): the link
        # comes back to two ends that have both closed that connection.
        assert subscriber.next(f"{TOPIC}/status", where="offline") == "offline"
        relay.thaw()
        wait_until(lambda: sink.connected, "connected again")
    finally:
        sink.on_stop(stats())
        relay.close()
    came = subscriber.until(f"{TOPIC}/status", where="offline")  # until the stop's
    assert [json.loads(p)["text"] for t, p in came if t.endswith("/reading")] == ["5"]
    assert json.loads(retained_messages(broker, TOPIC)[f"{TOPIC}/reading"])["text"] == "5"
    assert (sink.published_readings, sink.dropped_readings) == (2, 3)
    said = warnings(caplog)
    lost = f"lost the connection to the broker at 127.0.0.1:{relay.port} (no answer within the"
    assert any(lost in w and "1 s: the network went silent)" in w for w in said), said
    back = (
        " s (1 reading made meanwhile, sent now; 3 readings sent before the loss was noticed "
        "never acknowledged, dropped)"
    )
    assert any("again after" in w and w.endswith(back) for w in said), said


@pytest.mark.parametrize(
    ("made", "said"),
    [
        (0, "(no readings made meanwhile)"),
        (1, "(1 reading made meanwhile, sent now)"),
        (3, "(3 readings made meanwhile: the latest sent now, 2 dropped)"),
    ],
)
def test_the_end_of_an_outage_says_what_became_of_the_readings_made_meanwhile(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture, made: int, said: str
) -> None:
    # The report: one reading made during an outage read "(1 reading made, sent now
    # meanwhile)".
    sink = MqttSink(settings(broker.url))
    sink.on_start(stats())
    try:
        wait_until(lambda: sink.connected, "connected")
        broker.stop()
        wait_until(lambda: not sink.connected, "disconnected")
        for index in range(made):
            sink.on_reading(reading(str(index), index), stats())
        broker.start()
        wait_until(lambda: any("again after" in w for w in warnings(caplog)), "back")
        [back] = [w for w in warnings(caplog) if "again after" in w]
        assert back.endswith(f" s {said}"), back
    finally:
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
        refused = f"the broker at 127.0.0.1:{broker.port} is unreachable: connection refused"
        wait_until(lambda: refused in caplog.text, "reported")
        assert "the recognizer keeps running" in caplog.text
        sink.on_reading(reading("5", 1), stats())
        sink.on_reading(reading("6", 2), stats())
        assert sink.dropped_readings == 1  # "5"; "6" waits to be sent

        broker.start()
        wait_until(lambda: sink.connected, "connected once the broker is up")
        assert caplog.text.count(refused) == 1  # once, not per retry
        made = "(2 readings made meanwhile: the latest sent now, 1 dropped)"
        first = f"MQTT: connected to 127.0.0.1:{broker.port} after"  # not "again": a first
        assert any(w.startswith(first) and made in w for w in warnings(caplog)), warnings(caplog)
        sink.on_stop(stats())
        # A run that dropped readings says so at its end, at the journal's default level.
        stopped = f"1 reading dropped while disconnected from 127.0.0.1:{broker.port}"
        assert any(stopped in w for w in warnings(caplog)), warnings(caplog)
    finally:
        broker.stop()


def test_tls_and_credentials(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cert, key = self_signed_certificate(tmp_path)
    passwords = tmp_path / "passwd"
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


def test_plain_mqtt_at_a_tls_port_says_to_use_mqtts(
    tls_broker: tuple[Mosquitto, Path], caplog: pytest.LogCaptureFixture
) -> None:
    broker, _ = tls_broker
    sink = MqttSink(settings(f"mqtt://127.0.0.1:{broker.port}"))
    sink.on_start(stats())
    try:
        wait_until(lambda: "without an MQTT answer" in caplog.text, "the mismatch reported")
        assert "if that port expects TLS (usually 8883), use mqtts://" in caplog.text
        sink.on_reading(reading("7", 1), stats())
        assert not sink.connected
    finally:
        sink.on_stop(stats())
    assert sink.dropped_readings == 1  # never sent


def test_a_port_that_accepts_and_never_answers_is_called_silent_not_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Something that is not a broker (or a hung one) took the connection and said nothing:
    # paho gave up after the keepalive, and the warning said the broker "closed the
    # connection", pointing at TLS.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    held = []
    accepting = threading.Thread(target=lambda: held.append(listener.accept()), daemon=True)
    accepting.start()
    sink = MqttSink(settings(f"mqtt://127.0.0.1:{port}", keepalive=1))
    sink.on_start(stats())
    try:
        silent = f"127.0.0.1:{port} accepted the connection but sent no MQTT answer within 1 s"
        wait_until(lambda: silent in caplog.text, "reported as silent")
        assert f"check that {port} is its MQTT port" in caplog.text
        assert "closed the connection" not in caplog.text
    finally:
        sink.on_stop(stats())
        for connection, _ in held:
            connection.close()
        listener.close()


def test_a_broker_that_answered_before_and_hangs_is_not_called_the_wrong_port(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    # The report: a broker stopped (kill -STOP) mid-run; the tries to connect again were told
    # to check that its port was its MQTT port, and to use mqtts://, for a broker that had
    # answered on that port seconds before.
    caplog.set_level(logging.INFO)
    relay = FreezingRelay(broker.port)
    sink = MqttSink(settings(f"mqtt://127.0.0.1:{relay.port}", keepalive=1))
    sink.on_start(stats())
    try:
        wait_until(lambda: sink.connected, "connected")
        relay.freeze()  # what reaches the broker from now on is held: no answer to a connect
        hung = "no MQTT answer within 1 s, though it answered on that port before"
        wait_until(lambda: hung in caplog.text, "a try to connect again unanswered")
        assert "is its MQTT port" not in caplog.text and "mqtts://" not in caplog.text
    finally:
        sink.on_stop(stats())
        relay.close()


@pytest.mark.parametrize(
    ("url", "trusted", "reason", "hint"),
    [
        ("mqtts://127.0.0.1:{tls}", False, "(self-signed certificate)", "set [mqtt] ca_file"),
        ("mqtts://localhost:{tls}", True, "(Hostname mismatch", "issued for in [mqtt] url"),
        ("mqtts://127.0.0.1:{plain}", True, "the TLS handshake with", "start with mqtt://"),
    ],
    ids=["unknown CA", "wrong name", "plain port"],
)
def test_tls_failures_say_what_is_wrong(
    broker: Mosquitto,
    tls_broker: tuple[Mosquitto, Path],
    caplog: pytest.LogCaptureFixture,
    url: str,
    trusted: bool,
    reason: str,
    hint: str,
) -> None:
    tls, cert = tls_broker
    url = url.format(tls=tls.port, plain=broker.port)
    sink = MqttSink(settings(url, ca_file=str(cert) if trusted else ""))
    sink.on_start(stats())
    try:
        wait_until(lambda: any(reason in w for w in warnings(caplog)), f"{reason!r} reported")
        assert hint in caplog.text and not sink.connected
    finally:
        sink.on_stop(stats())


def test_connection_failures_are_named() -> None:
    where = "broker.lan:1883"
    unresolved = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert "name does not resolve" in why_connecting_failed(unresolved, where, tls=False)
    assert "no answer" in why_connecting_failed(TimeoutError("timed out"), where, tls=False)
    assert why_connecting_failed(None, where, tls=True) == f"the broker at {where} is unreachable"


def test_home_assistant_discovers_the_reading_its_confidence_and_the_connection(
    broker: Mosquitto, subscriber: Subscriber
) -> None:
    sink = MqttSink(settings(broker.url))
    sink.on_start(stats())
    assert subscriber.next(f"{TOPIC}/status") == "online"
    sink.on_reading(reading("042", 4), stats())
    subscriber.next(f"{TOPIC}/reading")

    # What HA reads from the broker when it (re)starts: retained configs, then retained states.
    configs = {t: json.loads(p) for t, p in retained_messages(broker, "homeassistant").items()}
    assert sorted(configs) == [
        "homeassistant/binary_sensor/shelf-1-a/status/config",
        "homeassistant/sensor/shelf-1-a/confidence/config",
        "homeassistant/sensor/shelf-1-a/reading/config",
    ]
    states = retained_messages(broker, "edge-digits")
    for topic, config in configs.items():
        node, object_id = topic.split("/")[2:4]
        assert HA_ID.fullmatch(node) and HA_ID.fullmatch(object_id)
        assert config["device"]["identifiers"] and config["device"]["name"] == "shelf-1-a"
        assert config["origin"]["name"] == "edge-digits"
        assert config["state_topic"] in states, f"{topic} names a state no one publishes"
    assert len({c["unique_id"] for c in configs.values()}) == 3
    assert len({json.dumps(c["device"]) for c in configs.values()}) == 1  # grouped as one

    reading_sensor = configs["homeassistant/sensor/shelf-1-a/reading/config"]
    confidence = configs["homeassistant/sensor/shelf-1-a/confidence/config"]
    connectivity = configs["homeassistant/binary_sensor/shelf-1-a/status/config"]
    published = json.loads(states[reading_sensor["state_topic"]])
    assert rendered(reading_sensor, published) == "042" == published["text"]
    assert isinstance(json.loads(states[reading_sensor["json_attributes_topic"]]), dict)
    assert confidence["state_topic"] == reading_sensor["state_topic"]
    assert rendered(confidence, published) == "95.0" and published["confidence"] == 0.95
    for sensor in (reading_sensor, confidence):
        assert states[sensor["availability_topic"]] == sensor["payload_available"]
    assert states[connectivity["state_topic"]] == connectivity["payload_on"]
    assert "availability_topic" not in connectivity  # offline is its state, not unavailable

    sink.on_stop(stats())
    states = retained_messages(broker, "edge-digits")
    assert states[reading_sensor["availability_topic"]] == reading_sensor["payload_not_available"]
    assert states[connectivity["state_topic"]] == connectivity["payload_off"]


def rendered(config: dict, payload: dict) -> str:
    """A discovery config's value_template rendered on a payload, as Home Assistant renders it
    (Jinja2, sandboxed)."""
    template = SandboxedEnvironment().from_string(config["value_template"])
    return template.render(value_json=payload)


def attributes(config: dict, payload: dict) -> dict:
    """A discovery config's attributes rendered on a payload, as Home Assistant renders them
    (Jinja2, sandboxed), and reads them (a JSON object)."""
    template = SandboxedEnvironment().from_string(config["json_attributes_template"])
    return json.loads(template.render(value_json=payload))


def reading_sensor_config() -> dict:
    configs = discovery_configs("homeassistant", "shelf-1-a", "edge-digits/shelf-1-a")
    return json.loads(configs["homeassistant/sensor/shelf-1-a/reading/config"])


def test_home_assistant_shows_lines_of_writing_apart() -> None:
    sensor = reading_sensor_config()
    two = {"text": "123456", "lines": ["123", "456"], "confidence": 0.99}
    assert rendered(sensor, two) == "123 456"
    assert rendered(sensor, {"text": "", "lines": [], "confidence": 0.0}) == ""


def test_a_long_reading_is_cut_to_what_home_assistant_takes_and_its_attributes_hold_it_all():
    # The report: a log page of 30 rows gave a state of 329 characters, which Home Assistant
    # refuses ("exceeds the maximum allowed length (255). Fall back to unknown").
    sensor = reading_sensor_config()
    rows = [f"{row:02d}34567890" for row in range(30)]
    page = {"text": "".join(rows), "lines": rows, "confidence": 0.9, "timestamp": 1.5}
    shown = rendered(sensor, page)
    assert len(" ".join(rows)) == 329 and len(shown) <= HA_STATE_LENGTH
    assert shown.endswith(" …")  # a sign that there is more
    kept = shown.removesuffix(" …").split(" ")
    assert kept == rows[: len(kept)] and len(kept) == 23  # whole rows, as many as fit
    assert attributes(sensor, page) == {**page, "empty_reason": None}  # all of it
    empty = {"text": "", "lines": [], "confidence": 0.0, "timestamp": 2.0, "empty_reason": "x"}
    assert attributes(sensor, empty) == empty

    line = "7" * 300  # one line longer than a state: cut inside it
    assert rendered(sensor, {"text": line, "lines": [line]}) == "7" * 253 + " …"
    fits = ["8" * 127, "9" * 127]  # 255 characters with the space: not cut
    assert rendered(sensor, {"text": "".join(fits), "lines": fits}) == " ".join(fits)


def test_the_discovery_prefix_is_set_and_turning_discovery_off_takes_the_device_back(
    broker: Mosquitto, subscriber: Subscriber
) -> None:
    prefix = "ha/discovery"
    announcing = MqttSink(settings(broker.url, discovery_prefix=prefix))
    announcing.on_start(stats())
    assert subscriber.next(f"{TOPIC}/status") == "online"  # sent after the configs
    assert len(retained_messages(broker, prefix)) == 3
    assert retained_messages(broker, "homeassistant") == {}
    announcing.on_stop(stats())

    quiet = MqttSink(settings(broker.url, discovery_prefix=prefix, discovery=False))
    quiet.on_start(stats())
    assert subscriber.next(f"{TOPIC}/status", where="online") == "online"
    assert retained_messages(broker, prefix) == {}  # HA removes entities whose config empties
    quiet.on_stop(stats())


@pytest.mark.parametrize("publish_empty", [True, False])
def test_an_empty_view_is_published_unless_told_to_keep_the_last_reading_with_digits(
    broker: Mosquitto, subscriber: Subscriber, publish_empty: bool
) -> None:
    # The report: someone walking past a meter made Home Assistant's Reading go blank and its
    # Confidence (in its statistics) drop to 0 %, with no way to keep the meter's value.
    sink = MqttSink(settings(broker.url, publish_empty=publish_empty))
    sink.on_start(stats())
    try:
        sink.on_reading(reading("42", 1), stats())
        assert subscriber.next_json(f"{TOPIC}/reading")["text"] == "42"
        sink.on_reading(empty_reading(2), stats())
        sink.on_reading(reading("43", 3), stats())
        if publish_empty:  # a reading like any other: why it is empty is worth knowing
            assert subscriber.next_json(f"{TOPIC}/reading")["empty_reason"] == "too dark"
        assert subscriber.next_json(f"{TOPIC}/reading")["text"] == "43"
        sink.on_reading(empty_reading(4), stats())
        if publish_empty:  # (delivered: the broker has it, so a new subscriber is given it)
            assert subscriber.next_json(f"{TOPIC}/reading")["empty_reason"] == "too dark"
        retained = json.loads(retained_messages(broker, TOPIC)[f"{TOPIC}/reading"])
        assert retained["text"] == ("" if publish_empty else "43")
    finally:
        sink.on_stop(stats())
    assert (sink.published_readings, sink.dropped_readings) == (4 if publish_empty else 2, 0)


@pytest.mark.parametrize("prefix", ["", "/homeassistant", "homeassistant/", "home/+", "a//b"])
def test_unusable_discovery_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(ConfigError, match=r"\[mqtt\] discovery_prefix"):
        apply_overrides(Settings(), {"mqtt": {"discovery_prefix": prefix}}, "test.toml")
