"""MQTT output: readings, periodic stats and availability for other systems (Home Assistant...).

Topics under `edge-digits/<device>/`:
    reading   each new reading as JSON (retained: a new subscriber sees the current one)
    stats     operator figures every `stats_interval` seconds, with the MQTT delivery counts
              (sent with the pipeline's stats event, so at most once a second)
    status    "online" / "offline", retained; "offline" is also the Last Will, so the broker
              announces a device that vanished without saying goodbye

paho-mqtt's network thread connects and reconnects with backoff, so an unreachable broker never
stops the recognizer. Readings that arrive while disconnected are counted as dropped (and logged
on reconnect) rather than queued: the reading topic carries the present, not a backlog.
"""

import json
import logging
import re
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.config import ConfigError, MqttSettings
from edge.events import Reading, Sink, Stats
from edge.outputs.payloads import reading_payload, stats_payload

log = logging.getLogger(__name__)

TOPIC_ROOT = "edge-digits"
KEEPALIVE = 30  # seconds; a silent broker is noticed within 1.5x this
RECONNECT_DELAY = (1, 60)  # seconds: first retry, then doubling up to the cap
OFFLINE_TIMEOUT = 2.0  # seconds to wait for "offline" to reach the broker when stopping
MAX_QUEUED = 100  # paho's in-flight queue; bounds memory if the broker stalls without closing


def device_id(configured: str) -> str:
    """The configured id, else the hostname, made safe as one MQTT topic level."""
    return re.sub(r"[/+#\s]", "-", configured.strip() or socket.gethostname())


def parse_broker_url(url: str) -> tuple[str, int, bool]:
    """mqtt://host[:1883] or mqtts://host[:8883] -> (host, port, tls)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"[mqtt] url = {url!r}: {exc}.") from exc
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ConfigError(f"[mqtt] url = {url!r}: expected mqtt://host:port or mqtts://host:port.")
    tls = parts.scheme == "mqtts"
    return parts.hostname, port or (8883 if tls else 1883), tls


class MqttSink(Sink):
    """Sink publishing to an MQTT broker; the pipeline thread only hands messages to paho."""

    def __init__(self, settings: MqttSettings) -> None:
        self.host, self.port, tls = parse_broker_url(settings.url)
        self.url = settings.url
        self.device = device_id(settings.device)
        self.topic = f"{TOPIC_ROOT}/{self.device}"
        self.stats_interval = settings.stats_interval
        self.published_readings = 0
        self.dropped_readings = 0
        self._dropped_while_down = 0
        self._connected = False
        self._reported_down = False
        self._next_stats = 0.0
        self._client = self._make_client(settings, tls)

    def _make_client(self, settings: MqttSettings, tls: bool) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{TOPIC_ROOT}-{self.device}")
        if settings.username:
            client.username_pw_set(settings.username, settings.password or None)
        if settings.ca_file and not tls:
            raise ConfigError(
                f"[mqtt] ca_file is set but url {settings.url!r} is not TLS: use mqtts://."
            )
        if tls:
            try:
                client.tls_set(ca_certs=settings.ca_file or None)  # None: the system's CAs
            except (OSError, ValueError) as exc:
                raise ConfigError(f"[mqtt] ca_file = {settings.ca_file!r}: {exc}.") from exc
        client.will_set(f"{self.topic}/status", "offline", qos=1, retain=True)
        client.reconnect_delay_set(*RECONNECT_DELAY)
        client.max_queued_messages_set(MAX_QUEUED)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        return client

    @property
    def connected(self) -> bool:
        return self._connected

    # -- Sink: called from the pipeline thread --
    def on_start(self, stats: Stats) -> None:
        log.info("MQTT: connecting to %s as %s/", self.url, self.topic)
        self._client.connect_async(self.host, self.port, keepalive=KEEPALIVE)
        self._client.loop_start()
        self._next_stats = time.monotonic()

    def on_stats(self, stats: Stats) -> None:
        now = time.monotonic()
        if now >= self._next_stats:
            self._next_stats = now + self.stats_interval
            self._publish_stats(stats)

    def on_reading(self, reading: Reading, stats: Stats) -> None:
        if not self._connected:
            self.dropped_readings += 1
            self._dropped_while_down += 1
            return
        payload = json.dumps({**reading_payload(reading), "device": self.device})
        info = self._client.publish(f"{self.topic}/reading", payload, qos=1, retain=True)
        # NO_CONN (lost a moment ago): paho keeps a QoS 1 message and sends it on reconnect.
        if info.rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            self.published_readings += 1
        else:
            self.dropped_readings += 1

    def on_stop(self, stats: Stats) -> None:
        if self._connected:
            self._publish_stats(stats)
            info = self._client.publish(f"{self.topic}/status", "offline", qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=OFFLINE_TIMEOUT)
            except (ValueError, RuntimeError) as exc:
                log.warning("MQTT: could not announce offline (%s)", exc)
        self._client.disconnect()
        self._client.loop_stop()
        log.info(
            "MQTT: stopped; %d readings published, %d dropped while disconnected",
            self.published_readings,
            self.dropped_readings,
        )

    def _publish_stats(self, stats: Stats) -> None:
        if self._connected:
            payload = {**stats_payload(stats), **self._delivery_counts(), "device": self.device}
            self._client.publish(f"{self.topic}/stats", json.dumps(payload), qos=0)

    def _delivery_counts(self) -> dict[str, Any]:
        return {
            "mqtt_published_readings": self.published_readings,
            "mqtt_dropped_readings": self.dropped_readings,
        }

    # -- paho callbacks: called from paho's network thread --
    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            self._report_down(
                f"the broker refused the connection: {reason}; check [mqtt] "
                "username, password and device"
            )
            return
        client.publish(f"{self.topic}/status", "online", qos=1, retain=True)
        self._connected = True
        self._reported_down = False
        dropped, self._dropped_while_down = self._dropped_while_down, 0
        log.info(
            "MQTT: connected to %s:%d (%d readings dropped while disconnected)",
            self.host,
            self.port,
            dropped,
        )

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: Any) -> None:
        self._report_down("the broker is unreachable (down, wrong host or port, or TLS refused)")

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        was_connected, self._connected = self._connected, False
        if was_connected and reason.is_failure:
            self._report_down(f"lost the connection ({reason})")

    def _report_down(self, why: str) -> None:
        """Warn once per outage, not on every retry."""
        if not self._reported_down:
            self._reported_down = True
            log.warning(
                "MQTT: %s at %s:%d; the recognizer keeps running, retrying with backoff "
                "(readings are counted as dropped until connected)",
                why,
                self.host,
                self.port,
            )
