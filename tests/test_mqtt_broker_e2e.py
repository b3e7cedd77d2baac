"""`python -m edge` publishing to a real mosquitto: readings, stats, Home Assistant discovery,
an outage, and the Last Will."""

import json
import shutil
import time
from pathlib import Path

import pytest
from freezing_relay import FreezingRelay
from mosquitto_broker import WAIT, Mosquitto, Subscriber, retained_messages
from recognizer_process import Recognizer, write_replay

from edge.model import INT8_FILE

TOPIC = "edge-digits/e2e-device"
DISCOVERY = "homeassistant/sensor/e2e-device/reading/config"  # one of the device's configs
OUTAGE = 3.0  # seconds without a broker; the replay makes a reading about every 0.8 s

pytestmark = pytest.mark.slow


def test_publishing_and_discovery_survive_a_broker_restart_and_a_killed_recognizer_goes_offline(
    mnist_test, tmp_path: Path
) -> None:
    broker = Mosquitto(tmp_path)  # not started yet: the recognizer must not care
    replay = write_replay(mnist_test, tmp_path / "replay")
    config = (
        f'[mqtt]\nenabled = true\nurl = "{broker.url}"\ndevice = "e2e-device"\n'
        "stats_interval = 1.0\n"
    )
    recognizer = Recognizer(replay, config, tmp_path)
    subscriber = None
    try:
        wait_for_output(recognizer, "is unreachable: connection refused")
        wait_for_output(recognizer, "confidence")  # reading all the same (console output)
        broker.start()
        subscriber = Subscriber(broker)
        assert subscriber.next(f"{TOPIC}/status") == "online", recognizer.output()
        first = subscriber.next_json(f"{TOPIC}/reading")
        assert first["device"] == "e2e-device" and first["digits"]
        figures = subscriber.next_json(f"{TOPIC}/stats")
        assert figures["model"] == INT8_FILE and figures["frames"] > 0
        # Home Assistant finds the device, and the topics it names carry what it expects.
        reading_sensor = json.loads(retained_messages(broker, "homeassistant")[DISCOVERY])
        states = retained_messages(broker, "edge-digits")
        assert set(json.loads(states[reading_sensor["state_topic"]])["text"]) <= set("0123456789?")
        assert states[reading_sensor["availability_topic"]] == "online"

        broker.stop()
        time.sleep(OUTAGE)
        broker.start()
        # mosquitto sends its clients' Last Wills as it shuts down, so "offline" comes first.
        assert subscriber.next(f"{TOPIC}/status", where="online") == "online"
        after = subscriber.next_json(f"{TOPIC}/reading")
        assert after["timestamp"] > first["timestamp"]
        figures = subscriber.next_json(f"{TOPIC}/stats")
        assert figures["mqtt_dropped_readings"] > 0, "readings made during the outage"
        assert figures["mqtt_published_readings"] >= 2
        # A broker without persistence forgot the retained configs; the device sent them again.
        assert DISCOVERY in retained_messages(broker, "homeassistant")
        assert "MQTT: lost the connection" in recognizer.output()
        assert f"WARNING edge.outputs.mqtt: MQTT: connected to 127.0.0.1:{broker.port} again" in (
            recognizer.output()
        )

        recognizer.kill()  # no goodbye: only the broker's Last Will can say it
        assert subscriber.next(f"{TOPIC}/status") == "offline"
    finally:
        recognizer.kill()
        if subscriber is not None:
            subscriber.close()
        broker.stop()


def wait_for_output(recognizer: Recognizer, text: str) -> None:
    deadline = time.monotonic() + WAIT
    while text not in recognizer.output():
        if time.monotonic() > deadline or recognizer.process.poll() is not None:
            raise AssertionError(f"{text!r} not in the output:\n{recognizer.output()}")
        time.sleep(0.1)


def test_a_still_views_reading_is_retained_again_after_a_broker_restart(mnist_test, tmp_path):
    """The report: a meter's view makes one reading, then none for hours. A broker without
    persistence forgot it as it restarted, and only the discovery and status were sent again:
    Home Assistant showed the reading as unknown until the meter moved on."""
    broker = Mosquitto(tmp_path)
    broker.start()
    replay = write_replay(mnist_test, tmp_path / "replay", scenes=1)  # one view, held still
    config = f'[mqtt]\nenabled = true\nurl = "{broker.url}"\ndevice = "e2e-device"\n'
    recognizer = Recognizer(replay, config, tmp_path)
    try:
        # Each photo of the first pass is an answer of its own; then the view holds still.
        wait_for_output(recognizer, "the image files are read again")
        time.sleep(1.0)
        made = json.loads(retained_messages(broker, "edge-digits")[f"{TOPIC}/reading"])
        broker.stop()
        broker.start()
        wait_for_output(recognizer, f"connected to 127.0.0.1:{broker.port} again")
        retained = retained_messages(broker, "edge-digits")
        # The same reading (its timestamp too), sent again: the view made no new one.
        assert json.loads(retained[f"{TOPIC}/reading"]) == made, recognizer.output()
    finally:
        recognizer.kill()
        broker.stop()


def test_after_a_silent_network_drop_the_retained_reading_is_the_present_one(mnist_test, tmp_path):
    """The report: a link that stopped passing data without closing (a relay that froze) was
    noticed after the keepalive; the readings made before that were held, and sent after the
    present one once connected again, so the broker kept a stale reading, which Home Assistant
    showed for hours; the run counted them as published."""
    broker = Mosquitto(tmp_path)
    broker.start()
    relay = FreezingRelay(broker.port)
    replay = write_replay(mnist_test, tmp_path / "replay", scenes=1)  # one view, held still
    photo = next(replay.iterdir())
    config = (
        f'[mqtt]\nenabled = true\nurl = "mqtt://127.0.0.1:{relay.port}"\n'
        'device = "e2e-device"\nkeepalive = 5\n'  # noticed within 5 to 10 s
    )
    recognizer = Recognizer(replay, config, tmp_path)
    subscriber = Subscriber(broker)
    try:
        wait_for_output(recognizer, "the image files are read again")
        relay.freeze()
        for name in ("late-1.jpg", "late-2.jpg", "late-3.jpg"):  # new photos: new readings,
            shutil.copy(photo, replay / name)  # sent into the silent link
        for name in ("late-1.jpg", "late-2.jpg", "late-3.jpg"):
            wait_for_output(recognizer, name)
        wait_for_output(recognizer, "MQTT: lost the connection")
        shutil.copy(photo, replay / "present.jpg")  # made while down: the present reading
        wait_for_output(recognizer, "present.jpg")
        # The broker gives up on the silent connection too (the Last Will): the link comes back
        # to two ends that have both closed it.
        assert subscriber.next(f"{TOPIC}/status", where="offline") == "offline"
        relay.thaw()
        wait_for_output(recognizer, f"MQTT: connected to 127.0.0.1:{relay.port} again")
        assert recognizer.stop() == 0  # SIGTERM: "offline" is sent after all the rest
        came = subscriber.until(f"{TOPIC}/status", where="offline")
        paths = [Path(json.loads(p)["path"]).name for t, p in came if t.endswith("/reading")]
        assert paths == ["present.jpg"], recognizer.output()
        retained = json.loads(retained_messages(broker, "edge-digits")[f"{TOPIC}/reading"])
        assert Path(retained["path"]).name == "present.jpg"
        said = recognizer.output()
        assert (
            "(1 reading made meanwhile, sent now; 3 readings sent before the loss was noticed "
            "never acknowledged, dropped)" in said
        )
        assert "readings published, 3 readings dropped" in said  # the run's MQTT summary
    finally:
        recognizer.kill()
        subscriber.close()
        relay.close()
        broker.stop()
