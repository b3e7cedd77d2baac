"""MQTT output: readings, periodic stats and availability for other systems (Home Assistant...).

Topics under `edge-digits/<device>/`:
    reading   each new reading as JSON (retained: a new subscriber sees the current one); an
              empty view's too, unless `publish_empty` is off
    stats     operator figures every `stats_interval` seconds, with the MQTT delivery counts
              (sent with the pipeline's stats event, so at most once a second)
    status    "online" / "offline", retained; "offline" is also the Last Will, so the broker
              announces a device that vanished without saying goodbye
and, with `discovery` on, Home Assistant's retained config messages under `discovery_prefix`
(edge.outputs.home_assistant), so the device appears in HA by itself.

paho-mqtt's network thread connects and reconnects with backoff, so an unreachable broker never
stops the recognizer; the start waits a moment (FIRST_ANSWER_WAIT) for the broker's first answer,
so the first readings of a run over a few photos are not lost to the handshake.

The reading topic carries the present, not a backlog: on every connect the present reading (the
last made) is sent again, and nothing older. Readings made while disconnected are dropped, but
the last of them, which is sent once connected (retained, it is what Home Assistant shows); so
are readings sent into a link that went silent without closing (noticed within 1 to 2 times the
keepalive), which paho would otherwise send after the present one, late. A reading counts as
published once the broker acknowledged it (QoS 1), as dropped once it never will be; the end of
an outage says what became of those it touched, and so does the end of a run that dropped any.
An outage is a warning that says why (refused, unreachable, TLS, plain MQTT at a TLS port, or
another client with the same id), and so is its end, so a journal filtered to warnings shows both.
"""

import logging
import re
import socket
import ssl
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.config import ConfigError, MqttSettings, broker_url, ca_file_problem, redact_url
from edge.events import Reading, Sink, Stats
from edge.outputs.home_assistant import discovery_configs
from edge.outputs.payloads import json_text, reading_payload, stats_payload

log = logging.getLogger(__name__)

TOPIC_ROOT = "edge-digits"
RECONNECT_DELAY = (1, 60)  # seconds: first retry, then doubling up to the cap
OFFLINE_TIMEOUT = 2.0  # seconds to wait for "offline" to reach the broker when stopping
_KEEPALIVE_TIMEOUT = 0x8D  # paho's reason when nothing came back within the keepalive
MAX_QUEUED = 100  # paho's in-flight queue; bounds memory if the broker stalls without closing
# seconds the start waits for the broker's first answer (connected, refused, unreachable): a
# run over a few photos makes its readings within a second, before a TLS handshake is done.
FIRST_ANSWER_WAIT = 3.0
# seconds the wait for that answer sleeps at a time: a signal (Ctrl-C, systemd's SIGTERM) is
# handled between two, even one the kernel delivered to another thread, which wakes no wait.
SIGNAL_CHECK = 0.1
# seconds: a connection lost sooner than this after it was made, again and again, is most
# often another client with the same id taking it over (two devices with one `device`).
SHORT_LIVED = 10.0
_LOST = "lost the connection"  # how an outage of a connection that was up starts


def _readings(count: int) -> str:
    return f"{count} reading{'' if count == 1 else 's'}"


def _what_became_of(made: int, unacknowledged: int, latest_again: bool, when: str) -> str:
    """For the message that the connection is up: what became of the readings `made` while
    not connected (`when`: "meanwhile") and of those sent before a loss was noticed that the
    broker never acknowledged (`latest_again`: the present one among them). Of each, the latest
    is sent (again) now, the older dropped."""
    told = []
    if made == 1:
        told.append(f"1 reading made {when}, sent now")
    elif made:
        told.append(f"{made} readings made {when}: the latest sent now, {made - 1} dropped")
    if unacknowledged:
        lost = f"{_readings(unacknowledged)} sent before the loss was noticed never acknowledged"
        if not latest_again:
            told.append(f"{lost}, dropped")
        elif unacknowledged == 1:
            told.append(f"{lost}, sent again now")
        else:
            told.append(f"{lost}: the latest sent again now, {unacknowledged - 1} dropped")
    return "; ".join(told) or f"no readings made {when}"


def device_id(configured: str) -> str:
    """The configured id, else the hostname, made safe as one MQTT topic level."""
    return re.sub(r"[/+#\s]", "-", configured.strip() or socket.gethostname())


def parse_broker_url(url: str) -> tuple[str, int, bool]:
    """mqtt://host[:1883] or mqtts://host[:8883] -> (host, port, tls)."""
    problem = broker_url(url)
    if problem:
        raise ConfigError(f"[mqtt] url = {redact_url(url)!r}: {problem}.")
    parts = urlsplit(url)
    tls = parts.scheme == "mqtts"
    return parts.hostname or "", parts.port or (8883 if tls else 1883), tls


def why_connecting_failed(error: BaseException | None, address: str, tls: bool) -> str:
    """What a failed connection attempt (paho's OSError, if known) says, in the config's terms."""
    if isinstance(error, ssl.SSLCertVerificationError):
        problem = (error.verify_message or str(error)).rstrip(".")
        if "mismatch" in problem:
            hint = "put the name the certificate was issued for in [mqtt] url"
        elif "expired" in problem:
            hint = "the broker needs a new certificate"
        else:
            hint = "set [mqtt] ca_file to the CA certificate that signed the broker's"
        return f"the TLS certificate of the broker at {address} was rejected ({problem}): {hint}"
    if tls and isinstance(error, (ssl.SSLError, ConnectionResetError, ConnectionAbortedError)):
        detail = getattr(error, "reason", None) or error.strerror or error
        return (
            f"the TLS handshake with {address} failed ({detail}): if that port speaks plain MQTT"
            " (usually 1883), the url must start with mqtt://"
        )
    if isinstance(error, socket.gaierror):
        return (
            f"the broker at {address} is unreachable: its name does not resolve ({error.strerror})"
        )
    if isinstance(error, ConnectionRefusedError):
        return (
            f"the broker at {address} is unreachable: connection refused "
            "(the broker is down, or the host or port is wrong)"
        )
    if isinstance(error, TimeoutError):
        return f"the broker at {address} is unreachable: no answer (wrong host, or a firewall)"
    detail = f": {error.strerror or error}" if isinstance(error, OSError) else ""
    return f"the broker at {address} is unreachable{detail}"


class MqttSink(Sink):
    """Sink publishing to an MQTT broker; the pipeline thread only hands messages to paho."""

    label = "MQTT"

    def __init__(self, settings: MqttSettings) -> None:
        self.host, self.port, self.tls = parse_broker_url(settings.url)
        self.device = device_id(settings.device)
        self.topic = f"{TOPIC_ROOT}/{self.device}"
        self.stats_interval = settings.stats_interval
        self.keepalive = settings.keepalive
        self.publish_empty = settings.publish_empty
        self.discovery = settings.discovery
        self.discovery_prefix = settings.discovery_prefix
        configs = discovery_configs(settings.discovery_prefix, self.device, self.topic)
        # An empty retained config removes the entity from HA: turning discovery off takes back
        # what an earlier run announced.
        self._discovery = configs if settings.discovery else dict.fromkeys(configs, "")
        self._counting = threading.Lock()  # what follows, up to _connected: both threads'
        self._published = 0  # readings the broker acknowledged
        self._dropped = 0  # readings it never will
        self._made_while_down = 0  # readings made since the connection was lost
        # The last reading made (its JSON payload), sent again on every connect: the retained
        # reading topic is what a subscriber (Home Assistant) shows as the value. Whether it
        # waits for a connection to be sent on (made while disconnected, or sent into one that
        # was lost), and its sending's message id while the broker's acknowledgement is due.
        self._present: str | None = None
        self._present_waits = False
        self._present_mid: int | None = None
        # Readings sent on the present connection that the broker has yet to acknowledge, by
        # paho's message id: those a lost connection leaves are dropped, not sent late.
        self._unacknowledged: dict[int, mqtt.MQTTMessageInfo] = {}
        self._connected = False
        self._answered = False  # the broker sent a CONNACK on this connection
        self._down_reason = ""  # the outage's last warning; "" while connected
        self._down_since = 0.0
        self._down_level = logging.WARNING  # the outage's, for its end
        self._was_connected = False  # in this run: a first connection is not "again"
        self._told: set[str] = set()  # reasons warned of in this run
        self._connected_since = 0.0
        self._short_lived = 0  # connections in a row that lasted under SHORT_LIVED
        self._answer = threading.Event()  # the broker's first answer, or a failure to reach it
        self._next_stats = 0.0
        self._client = self._make_client(settings)

    def _make_client(self, settings: MqttSettings) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{TOPIC_ROOT}-{self.device}")
        if settings.username:
            client.username_pw_set(settings.username, settings.password or None)
        problem = ca_file_problem(settings)  # a config file's is checked as it is loaded
        if problem:
            raise ConfigError(f"[mqtt] ca_file = {settings.ca_file!r}: {problem}.")
        if self.tls:
            client.tls_set(ca_certs=settings.ca_file or None)  # None: the system's CAs
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

    @property
    def published_readings(self) -> int:
        """Readings the broker acknowledged (QoS 1): one sent is not counted until then."""
        with self._counting:
            self._count_acknowledged()
            return self._published

    @property
    def dropped_readings(self) -> int:
        """Readings that will never reach the broker: superseded while disconnected, or sent
        into a connection lost before the broker acknowledged them (the present one excepted,
        which is sent again), or unacknowledged when the run stopped."""
        with self._counting:
            return self._dropped

    @property
    def address(self) -> str:
        """host:port as people write it ([::1]:1883 for an IPv6 address)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def destination(self) -> str:
        """Where readings go, for people: built from the parsed URL, so a password in it is
        never shown."""
        discovery = f"under {self.discovery_prefix}/" if self.discovery else "off"
        return (
            f"{'mqtts' if self.tls else 'mqtt'}://{self.address}, topics {self.topic}/ "
            f"(Home Assistant discovery {discovery})"
        )

    # -- Sink: called from the pipeline thread --
    def on_start(self, stats: Stats) -> None:
        self._client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self._client.loop_start()
        waited_enough = time.monotonic() + FIRST_ANSWER_WAIT
        while not self._answer.wait(SIGNAL_CHECK) and time.monotonic() < waited_enough:
            pass
        self._next_stats = time.monotonic()

    def on_stats(self, stats: Stats) -> None:
        now = time.monotonic()
        if now >= self._next_stats:
            self._next_stats = now + self.stats_interval
            self._publish_stats(stats)

    def on_reading(self, reading: Reading, stats: Stats) -> None:
        if not (reading.text or self.publish_empty):
            return  # neither published nor dropped: not for MQTT
        payload = json_text({**reading_payload(reading), "device": self.device})
        with self._counting:
            self._count_acknowledged()
            if self._present_waits:  # superseded before a connection could take it
                self._dropped += 1
            self._present, self._present_mid = payload, None
            self._present_waits = not self._connected
            if self._present_waits:
                self._made_while_down += 1
                return
        # (Not under the lock: paho calls _on_disconnect holding its own, which publish takes.)
        info = self._client.publish(f"{self.topic}/reading", payload, qos=1, retain=True)
        with self._counting:
            if info.rc == mqtt.MQTT_ERR_SUCCESS:
                self._unacknowledged[info.mid] = info
                self._present_mid = info.mid
            elif info.rc == mqtt.MQTT_ERR_NO_CONN:  # lost a moment ago: sent on the connect
                self._present_waits = True
                self._made_while_down += 1
            else:  # paho's queue is full (MAX_QUEUED): the broker has stalled
                self._dropped += 1

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
        with self._counting:
            self._count_acknowledged()
            # What the broker has not acknowledged by now, it never will.
            self._dropped += len(self._unacknowledged) + self._present_waits
            self._unacknowledged.clear()
            self._present_waits, self._present_mid = False, None
        log.log(
            logging.WARNING if self.dropped_readings else logging.INFO,
            "MQTT: stopped; %s published, %s",
            _readings(self.published_readings),
            self.lost() or "none dropped",
        )

    def lost(self) -> str | None:
        """ "3 readings dropped: <why>" (while down) or "... while disconnected from HOST:PORT"
        (an outage that ended), None when none were."""
        if not self.dropped_readings:
            return None
        dropped = f"{_readings(self.dropped_readings)} dropped"
        if self._down_reason:
            return f"{dropped}: {self._down_reason}"
        if not self._was_connected:
            # A broker that accepts and stays silent is told of after the keepalive, later than
            # a few photos take: a run that ended before then still says what it saw.
            return (
                f"{dropped}: the broker at {self.address} sent no MQTT answer while the run lasted"
            )
        return f"{dropped} while disconnected from {self.address}"

    def _count_acknowledged(self) -> None:
        """Count the readings the broker has acknowledged since last asked (under _counting)."""
        for mid, info in list(self._unacknowledged.items()):
            if info.is_published():
                del self._unacknowledged[mid]
                self._published += 1
                if mid == self._present_mid:
                    self._present_mid = None

    def _publish_stats(self, stats: Stats) -> None:
        if self._connected:
            payload = {**stats_payload(stats), **self._delivery_counts(), "device": self.device}
            self._client.publish(f"{self.topic}/stats", json_text(payload), qos=0)

    def _delivery_counts(self) -> dict[str, Any]:
        return {
            "mqtt_published_readings": self.published_readings,
            "mqtt_dropped_readings": self.dropped_readings,
        }

    # -- paho callbacks: called from paho's network thread --
    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self._answered = True
        if reason.is_failure:
            self._report_down(
                f"the broker at {self.address} refused the connection: {reason}; check [mqtt] "
                "username, password and device"
            )
            return
        with self._counting:
            self._count_acknowledged()
            # What the lost connection left unacknowledged, paho would send again after what
            # is sent here: readings the broker would then keep, retained, over the present
            # one. So none is: of the readings, only the present one is sent again (below).
            client.drop_out_messages()
            unacknowledged = len(self._unacknowledged)
            latest_again = self._present_mid is not None
            self._dropped += unacknowledged - latest_again
            self._unacknowledged.clear()
            # Sent on every connect: a broker without persistence forgets retained messages
            # when it restarts, and HA would lose the device until this one's next restart.
            for topic, config in self._discovery.items():
                client.publish(topic, config, qos=1, retain=True)
            client.publish(f"{self.topic}/status", "online", qos=1, retain=True)
            # And the present reading, for the same reason (a view that holds still, a
            # meter's, makes no new one for hours), before any newer one; counted once the
            # broker acknowledges it, if it had not yet.
            uncounted, self._present_waits = self._present_waits or latest_again, False
            if self._present is not None:
                info = client.publish(f"{self.topic}/reading", self._present, qos=1, retain=True)
                if uncounted and info.rc == mqtt.MQTT_ERR_SUCCESS:
                    self._unacknowledged[info.mid] = info
                    self._present_mid = info.mid
                elif uncounted:  # the connection went again at once: sent on the next
                    self._present_waits = True
            made, self._made_while_down = self._made_while_down, 0
            self._connected = True
        self._connected_since = time.monotonic()
        self._answer.set()  # (once connected: a reading made next is published)
        if self._down_reason:
            # At the outage's level, so whoever saw it start sees it end.
            log.log(
                self._down_level,
                "MQTT: connected to %s%s after %.0f s (%s)",
                self.address,
                " again" if self._was_connected else "",
                time.monotonic() - self._down_since,
                _what_became_of(made, unacknowledged, latest_again, "meanwhile"),
            )
        else:
            log.info(
                "MQTT: connected to %s (%s)",
                self.address,
                _what_became_of(made, unacknowledged, latest_again, "while connecting"),
            )
        self._down_reason = ""
        self._was_connected = True

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: Any) -> None:
        # paho calls this inside its `except OSError`, and passes no error: the one being
        # handled is the reason (refused, unresolved, TLS certificate or handshake).
        self._report_down(why_connecting_failed(sys.exception(), self.address, self.tls))

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        with self._counting:
            was_connected, self._connected = self._connected, False
        answered, self._answered = self._answered, False
        if not reason.is_failure:  # our own disconnect
            return
        if was_connected:
            # A broker that stops or goes away gives no reason: paho calls that "Unspecified
            # error", and a link gone silent "Keep alive timeout", which tell the user nothing.
            if reason.value == _KEEPALIVE_TIMEOUT:
                why = f"no answer within the keepalive, {self.keepalive} s: the network went silent"
            elif reason.value == 128:
                why = "it closed the connection or went away"
            else:
                why = str(reason)
            lasted = time.monotonic() - self._connected_since
            self._short_lived = self._short_lived + 1 if lasted < SHORT_LIVED else 0
            knocked_off = self._short_lived >= 2
            if knocked_off:
                # (MQTT 3.1.1 gives no reason; a broker closes the older of two connections with
                # one client id, and each of two such devices then knocks the other off, every
                # second or so: told once at warning level, then at info. Not at the first
                # short connection: a broker restarting soon after we connected ends it too.)
                why += (
                    f", twice or more in a row within {SHORT_LIVED:.0f} s of connecting: if "
                    f"another device uses the same client id ({TOPIC_ROOT}-{self.device}), give "
                    "each its own [mqtt] device"
                )
            self._report_down(f"{_LOST} to the broker at {self.address} ({why})", again=knocked_off)
        elif not answered:
            # Mostly a TLS listener, which cannot read a plain CONNECT and hangs up without a word
            # (or waits for the rest of what it takes for a TLS record: then paho gives up).
            tls = "" if self.tls else "if that port expects TLS (usually 8883), use mqtts://"
            if reason.value == _KEEPALIVE_TIMEOUT and self._was_connected:
                # It answered on this port before: not the wrong port, a broker stopped or hung.
                why = (
                    f"accepted the connection but sent no MQTT answer within {self.keepalive} s, "
                    "though it answered on that port before: the broker or the network to it "
                    "may be hung"
                )
            elif reason.value == _KEEPALIVE_TIMEOUT:
                why = (
                    f"accepted the connection but sent no MQTT answer within {self.keepalive} s: "
                    f"check that {self.port} is its MQTT port" + (f" ({tls})" if tls else "")
                )
            else:
                why = "closed the connection without an MQTT answer" + (f": {tls}" if tls else "")
            self._report_down(f"the broker at {self.address} {why}")

    def _report_down(self, why: str, again: bool = False) -> None:
        """Warn when an outage starts and when its reason changes, not on every retry; an
        outage that comes `again` and again for the same reason is told at warning level once,
        its repeats (and their ends) at info. An outage that began with the connection lost
        was warned of: why the broker cannot be reached since (refused: it is down) is told at
        info, the same outage."""
        self._answer.set()
        if why == self._down_reason:
            return
        level = logging.WARNING
        if not self._down_reason:
            self._down_since = time.monotonic()
            self._down_level = logging.INFO if again and why in self._told else logging.WARNING
            level = self._down_level
        elif self._down_reason.startswith(_LOST):
            level = logging.INFO
        self._down_reason = why
        self._told.add(why)
        log.log(
            level,
            "MQTT: %s; the recognizer keeps running, retrying with backoff "
            "(of the readings made meanwhile, the latest is sent once connected, the rest dropped)",
            why,
        )
