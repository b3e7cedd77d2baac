"""The console output: one line per new reading, for a person watching a terminal."""

import re
from typing import TextIO

from edge.events import CAMERA_BLANK, NO_INK, FrameResult, Reading, Sink, Stats
from edge.interrupts import check_reader, write_line
from edge.reading import confidence_text

# The columns of a reading's line, so that lines one under another line up (the widest text
# column entry is "(nothing in view)"); an image file's path comes last, where its length
# moves nothing.
TEXT_W, CONFIDENCE_W, LATENCY_W = 17, 15, 17
PATH_AT = TEXT_W + 1 + CONFIDENCE_W + 2 + LATENCY_W + 2  # where an image file's path starts
# A rate over fewer frames than this is mostly noise (one photo's is 0.0): not said at the end.
RATE_FROM_FRAMES = 10
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: Unicode's control characters


def printable(text: str) -> str:
    """`text` with its control characters escaped as Python writes them (a newline as \\n, an
    escape as \\x1b): a file name holding a newline would start a line of its own that looks
    like a reading, and one holding a terminal's escape codes would recolour or clear it."""
    return _CONTROL.sub(lambda found: found[0].encode("unicode_escape").decode("ascii"), text)


class ConsoleSink(Sink):
    """Readings as `4071  confidence 0.98  latency 12.3 ms` on `out`; start and stop on `notes`.

    An image file's line ends with its path (and, when nothing was read, why), and a file that
    could not be read has a line of its own saying why. When the source knows what is written
    (the demo), the line says it (`4071  written 4071 ...`). A closed stdout or stderr
    (`| head -1`) ends the run quietly.
    """

    label = "the console"

    def __init__(self, out: TextIO, notes: TextIO):
        self.out = out
        self.notes = notes
        self._frames_read = 0  # frames that read something (a digit, sure or not)
        self._digit_readings = 0
        self._view_emptied = 0  # a camera's "(nothing in view)" readings
        # A camera's "(nothing read)" readings: too dark, too small, no digits read.
        self._unread = 0

    def on_start(self, stats: Stats) -> None:
        kind = "int8" if stats.quantized else "float"
        if stats.model_bundled:
            model = f"the bundled model {stats.model} ({kind})"
        else:
            model = f"the model {stats.model} ({kind}; yours, not the bundled one)"
        source = printable(stats.source)
        write_line(self.notes, f"edge: reading {source} with {model}; Ctrl-C stops.")

    def on_frame(self, result: FrameResult, stats: Stats) -> None:
        self._frames_read += bool(result.text)

    def on_reading(self, reading: Reading, stats: Stats) -> None:
        self._digit_readings += bool(reading.text)
        if not reading.text and not reading.path:
            if _view_emptied(reading):
                self._view_emptied += 1
            else:
                self._unread += 1
        write_line(self.out, printable(_reading_line(reading)))

    def on_file_error(self, path: str, error: str, stats: Stats) -> None:
        # `error` starts with the path, as a reading's line ends with it: in the same column.
        write_line(self.out, f"{'(unreadable)':<{PATH_AT}}{printable(error)}")

    def on_stats(self, stats: Stats) -> None:
        check_reader(self.out)

    def on_stop(self, stats: Stats) -> None:
        said = closing_line(
            stats, self._frames_read, self._digit_readings, self._view_emptied, self._unread
        )
        write_line(self.notes, said)


def closing_line(
    stats: Stats, frames_read: int, digit_readings: int, view_emptied: int, unread: int = 0
) -> str:
    """What a run did, said when it stops: every frame taken (read something, read nothing,
    failed), the readings of digits apart from a camera's "(nothing in view)" and "(nothing
    read)", and the rate (frames a second) only when enough frames were taken for it to mean
    something."""
    taken = stats.frames + stats.failed_frames
    frames = (
        f"{plural(taken, 'frame')}: {frames_read} read something, "
        f"{stats.frames - frames_read} read nothing, {stats.failed_frames} failed"
    )
    if stats.skipped_frames:
        frames += f" (and {stats.skipped_frames} dropped while busy)"
    readings = f"{plural(digit_readings, 'reading')} of digits"
    if view_emptied:
        readings += f", {view_emptied} of nothing in view"
    if unread:
        readings += f", {unread} of nothing read"
    rate = ""
    if taken >= RATE_FROM_FRAMES and stats.processed_fps:
        rate = f"{stats.processed_fps:.1f} fps; "
    stages = ", ".join(f"{stage} {ms:.2f}" for stage, ms in stats.stage_ms.items())
    return f"edge: stopped after {frames}; {readings}; {rate}median ms: {stages or 'none'}"


def _reading_line(reading: Reading) -> str:
    """One reading as the console shows it."""
    if reading.text:
        # Lines apart, as they stand apart on the page: "123 456", not "123456".
        text = " ".join(reading.lines) if len(reading.lines) > 1 else reading.text
        confidence = f"confidence {confidence_text(reading.confidence)}"
    else:  # a picture with nothing read on it, or a view that emptied: no digit to be sure of
        in_view = reading.path or not _view_emptied(reading)
        text, confidence = "(nothing read)" if in_view else "(nothing in view)", ""
    written = "" if reading.truth is None else f"written {reading.truth:<8} "
    latency = f"latency {reading.latency_ms:6.1f} ms"
    line = f"{text:<{TEXT_W}} {written}{confidence:<{CONFIDENCE_W}}  {latency:<{LATENCY_W}}"
    if reading.path:
        line += f"  {reading.path}" + (f": {reading.empty_reason}" if reading.empty_reason else "")
    elif not reading.text and reading.empty_reason not in (None, NO_INK):
        line += f"  {reading.empty_reason}"  # why writing in view read nothing; a blind camera
    return line


def _view_emptied(reading: Reading) -> bool:
    """Whether an empty camera reading's frame held no writing (no ink found, one flat colour),
    rather than writing that did not read (too dark, too small, no digits read)."""
    return reading.empty_reason in (None, NO_INK, CAMERA_BLANK)


def plural(count: int, noun: str) -> str:
    """`count` and `noun`, with an s unless there is one: "1 frame", "0 frames"."""
    return f"{count} {noun}{'s' * (count != 1)}"
