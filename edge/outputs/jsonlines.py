"""The JSON-lines output: one JSON object per line on stdout, for other programs to read."""

import json
from typing import Any, TextIO

from edge.events import Reading, Sink, Stats
from edge.outputs.payloads import reading_payload, stats_payload


class JsonLinesSink(Sink):
    """`{"event": "reading", ...}` per new reading and `{"event": "stats", ...}` at the end."""

    def __init__(self, out: TextIO):
        self.out = out

    def _write(self, event: str, payload: dict[str, Any]) -> None:
        self.out.write(json.dumps({"event": event, **payload}) + "\n")
        self.out.flush()  # a reader at the other end of a pipe sees each reading at once

    def on_reading(self, reading: Reading, stats: Stats) -> None:
        self._write("reading", reading_payload(reading))

    def on_stop(self, stats: Stats) -> None:
        self._write("stats", stats_payload(stats))
