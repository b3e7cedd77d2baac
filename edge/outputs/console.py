"""The console output: one line per new reading, for a person watching a terminal."""

from typing import TextIO

from edge.events import Reading, Sink, Stats


class ConsoleSink(Sink):
    """Readings as `4071  confidence 0.98  latency 12.3 ms` on `out`; start and stop on `notes`."""

    def __init__(self, out: TextIO, notes: TextIO):
        self.out = out
        self.notes = notes

    def on_start(self, stats: Stats) -> None:
        kind = "int8" if stats.quantized else "float"
        print(
            f"edge-digits: reading {stats.source} with {stats.model} ({kind}); Ctrl-C stops.",
            file=self.notes,
            flush=True,
        )

    def on_reading(self, reading: Reading, stats: Stats) -> None:
        text = reading.text or "(nothing in view)"
        print(
            f"{text:<12} confidence {reading.confidence:.2f}  latency {reading.latency_ms:.1f} ms",
            file=self.out,
            flush=True,
        )

    def on_stop(self, stats: Stats) -> None:
        stages = ", ".join(f"{stage} {ms:.2f}" for stage, ms in stats.stage_ms.items())
        print(
            f"edge-digits: stopped after {stats.frames} frames ({stats.failed_frames} failed, "
            f"{stats.skipped_frames} skipped), {stats.readings} readings, "
            f"{stats.processed_fps:.1f} fps; median ms: {stages or 'none'}",
            file=self.notes,
            flush=True,
        )
