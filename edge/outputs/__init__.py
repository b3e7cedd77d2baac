"""Outputs (sinks): built from the settings in one place, so adding one is one line here."""

import errno
import sys
from pathlib import Path

from edge.config import Settings
from edge.events import Sink
from edge.outputs.console import ConsoleSink
from edge.outputs.jsonlines import JsonLinesSink
from edge.systemd import notifier_from_env


class OutputError(Exception):
    """An output cannot start (a port taken, a broker refused); the message says what to change."""


# What to do when an output cannot be written, by the OSError's errno: a full disk is the
# likeliest, with stdout sent to a file (`> readings.jsonl`) on a Pi's small SD card.
_UNWRITABLE_HINTS = {
    errno.ENOSPC: "is the disk full? free some space, or send the output elsewhere",
    errno.EDQUOT: "is the disk quota used up? free some space, or send the output elsewhere",
}


def unwritable(error: OSError) -> str:
    """An output's OSError (a full disk, a device gone) and what to do, for a person: the
    error itself is all a traceback would add, and it is no bug of ours."""
    hint = _UNWRITABLE_HINTS.get(
        error.errno or 0, "check where the output goes: its disk, device or connection"
    )
    return f"{error} ({hint})"


def build_sinks(
    settings: Settings, web_flag: str | None = None, config: Path | None = None
) -> list[Sink]:
    """The outputs the settings ask for, plus systemd's notifier when running under systemd.

    With JSON on, stdout carries only JSON lines and console lines go to stderr. `web_flag` is
    `--web` as typed when it set the live page's address: its errors name it, not the config.
    OutputError when every output is off: a run would show its readings nowhere; the message
    names `config`, the file the settings came from, where it has one to name.
    """
    if not (
        settings.output.console or settings.output.json or settings.web.enabled
        or settings.mqtt.enabled
    ):  # fmt: skip
        where = f" in {config}" if config else ""
        raise OutputError(
            f"every output is off ([output] console = false{where}, and no --json, --web or "
            "[mqtt]): the readings would be shown nowhere; set console = true in the config's "
            "[output], add --json or --web, or set enabled = true in its [web] or [mqtt]"
        )
    sinks: list[Sink] = []
    if settings.output.json:
        sinks.append(JsonLinesSink(sys.stdout))
    if settings.output.console:
        sinks.append(ConsoleSink(sys.stderr if settings.output.json else sys.stdout, sys.stderr))
    # Imported only when enabled: the web server and MQTT client cost memory and start-up time.
    if settings.web.enabled:
        from edge.web.sink import WebSink

        sinks.append(WebSink(settings.web, given_as=web_flag))
    if settings.mqtt.enabled:
        from edge.outputs.mqtt import MqttSink

        sinks.append(MqttSink(settings.mqtt))
    notifier = notifier_from_env()
    if notifier is not None:
        sinks.append(notifier)
    return sinks
