"""The JSON-lines output: one JSON object per line on stdout, for other programs to read."""

from typing import Any, TextIO

from edge.events import Reading, Sink, Stats
from edge.interrupts import check_reader, write_line
from edge.outputs.payloads import json_text, reading_payload, stats_payload


class JsonLinesSink(Sink):
    """`{"event": "reading", ...}` per new reading and `{"event": "stats", ...}` at the end.

    A reading names its image file ("path") for a still-image source, and what is really
    written ("truth") when the source knows it (the demo). An image file that cannot be read is
    `{"event": "error", "path", "error"}`, as `recognize` says it. A closed stdout (`| head -1`)
    ends the run quietly. A file name that is not UTF-8 is written with `\\xff` for its bytes
    that are not (`json_text`).
    """

    label = "JSON lines"

    def __init__(self, out: TextIO):
        self.out = out

    def _write(self, event: str, payload: dict[str, Any]) -> None:
        write_line(self.out, json_text({"event": event, **payload}))

    def on_reading(self, reading: Reading, stats: Stats) -> None:
        self._write("reading", reading_payload(reading))

    def on_file_error(self, path: str, error: str, stats: Stats) -> None:
        self._write("error", {"path": path, "error": error})

    def on_stats(self, stats: Stats) -> None:
        check_reader(self.out)

    def on_stop(self, stats: Stats) -> None:
        self._write("stats", stats_payload(stats))
