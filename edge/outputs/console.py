"""The console output: one line per new reading, for a person watching a terminal."""

from typing import TextIO

from edge.events import Reading, Sink, Stats
from edge.interrupts import check_reader, write_line


class ConsoleSink(Sink):
    """Readings as `4071  confidence 0.98  latency 12.3 ms` on `out`; start and stop on `notes`.

    An image file's reading starts with its path (`photos/a.jpg: 4071 ...`); when the source
    knows what is written (the demo), the line says it (`4071  written 4071 ...`). A closed
    stdout or stderr (`| head -1`) ends the run quietly.
    """

    def __init__(self, out: TextIO, notes: TextIO):
        self.out = out
        self.notes = notes

    def on_start(self, stats: Stats) -> None:
        kind = "int8" if stats.quantized else "float"
        if stats.model_bundled:
            model = f"the bundled model {stats.model} ({kind})"
        else:
            model = f"the model {stats.model} ({kind}; yours, not the bundled one)"
        write_line(self.notes, f"edge-digits: reading {stats.source} with {model}; Ctrl-C stops.")

    def on_reading(self, reading: Reading, stats: Stats) -> None:
        write_line(self.out, _reading_line(reading))

    def on_stats(self, stats: Stats) -> None:
        check_reader(self.out)

    def on_stop(self, stats: Stats) -> None:
        stages = ", ".join(f"{stage} {ms:.2f}" for stage, ms in stats.stage_ms.items())
        write_line(
            self.notes,
            f"edge-digits: stopped after {stats.frames} frames ({stats.failed_frames} failed, "
            f"{stats.skipped_frames} skipped), {stats.readings} readings, "
            f"{stats.processed_fps:.1f} fps; median ms: {stages or 'none'}",
        )


def _reading_line(reading: Reading) -> str:
    """One reading as the console shows it."""
    if reading.text:
        text = reading.text
    elif reading.path:  # a picture with nothing read on it, not a view that emptied
        text = f"(nothing read: {reading.empty_reason})"
    else:
        text = "(nothing in view)"
    written = "" if reading.truth is None else f"written {reading.truth:<8} "
    line = (
        f"{text:<12} {written}confidence {reading.confidence:.2f}  "
        f"latency {reading.latency_ms:.1f} ms"
    )
    return f"{reading.path}: {line}" if reading.path else line
