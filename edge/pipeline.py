"""The loop: source -> find lines -> read lines -> reading -> stabilizer -> sinks.

A still-image source's frames skip the stabilizer: each image is a reading of its own, and
an image file that cannot be read is said to the outputs as its reading would be, once. Files
read again (--loop) are a camera's view, whose reading is said only when a new one holds.
Every stage is timed, and the operator figures (`Stats`) are kept up to date. A frame that
cannot be used is counted (and a camera's logged), never fatal; a live source that stops
delivering is.
"""

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import cv2
import numpy as np

from edge.blocks import rows_of_a_block
from edge.events import CAMERA_BLANK, FLAT, Box, DigitPrediction, FrameResult, Reading, Sink, Stats
from edge.ink import FrameError, Ink, to_grey
from edge.line_reader import LineReader
from edge.lines import FindSettings, FoundLines, Line, find_lines
from edge.model import LineModel
from edge.outputs import unwritable
from edge.reading import Stabilizer, enclosing, overlap, reading_of, reading_order, text_of
from edge.sources import Frame, FrameSource, NoFrameYet, UnreadableFrame

log = logging.getLogger(__name__)

STAGES = ("capture", "find", "read", "total")
WINDOW = 120  # recent frames that stage medians and rates are taken over
STATS_INTERVAL_S = 1.0  # how often medians and rates are recomputed (and sinks get on_stats)
WARN_INTERVAL_S = 10.0  # a problem that repeats every frame is logged once in this long
HOLD_POLL_S = 0.1  # how soon a held run (`hold_at_end`) sees stop()
NO_DIGITS = "ink found, no digits read"


@dataclass(frozen=True)
class FrameRead:
    """What one frame holds: its digits in reading order, why there are none if there are none
    ("too dark", "no ink found", edge.lines.TOO_SMALL, NO_DIGITS, FLAT), and the find and read
    times in ms."""

    digits: tuple[DigitPrediction, ...]
    empty_reason: str | None
    find_ms: float
    read_ms: float
    lines: tuple[str, ...] = ()  # each line's read-out that read something, in reading order
    ink: str | None = None  # the ink the lines were found as: "dark" or "light"
    lines_found: int = 0  # lines of ink found, read or not


_SMALLEST_LINE = 0.4  # of the tallest line's height that reads (see DigitReader._read_lines)
_OTHER_INK: dict[Ink, Ink] = {"dark": "light", "light": "dark"}
# A frame whose ink polarity was in doubt, read at this mean confidence, is not looked at again
# with the other polarity. Measured on 215 such frames of held-out bench scenes (training
# digits, seeds 62 and 63): 179 read at 0.99 or more; every reading the other polarity bettered
# had read under 0.97.
_NO_SECOND_LOOK = 0.99
# Beside a line read at `_SURELY_READ`, a line whose every digit is under `_STRAY` is a stray
# mark, unless it is in a row with writing (`_without_stray_lines`).
_SURELY_READ = 0.99
_STRAY = 0.9
_SAME_ROW = 0.5  # of the shorter line's height: lines overlapping this much upright share a row
# A line left out this many times as tall as the tallest line read may be a list's rows found as
# one block (`_blocks`).
_A_BLOCK = 1.6
_READ_ALREADY = 0.5  # of the smaller box: a block's row this much over a line read is that line


class _Look(NamedTuple):
    """One look at a frame: the lines found, their digits in reading order, and the times."""

    found: FoundLines
    find_ms: float
    read_ms: float
    # Each line that read something, in reading order: its box in the frame and its digits.
    read: tuple[tuple[Box, tuple[DigitPrediction, ...]], ...]

    @property
    def digits(self) -> tuple[DigitPrediction, ...]:
        """The frame's digits, in reading order."""
        return tuple(digit for _, digits in self.read for digit in digits)

    @property
    def lines(self) -> tuple[str, ...]:
        """Each line's read-out that read something, in reading order."""
        return tuple(text_of(digits) for _, digits in self.read)


class DigitReader:
    """A frame -> its digits in reading order: find the lines of writing, read each line."""

    def __init__(self, model: LineModel, confidence: float, find: FindSettings | None = None):
        self.model = model
        self.lines = LineReader(model, confidence)
        self.find = find or FindSettings()
        # A frame is one thread's work, as the interpreter's is (--threads): the frame stage's
        # images are small, and OpenCV's worker threads, which spin between calls, cost more
        # than they save.
        cv2.setNumThreads(1)

    def read(self, image: np.ndarray) -> FrameRead:
        """The frame's digits and timings; FrameError for a frame that is not an image.

        With the ink polarity left to the finder ("auto") and chosen by a narrow margin
        (`edge.lines.FoundLines.ink_in_doubt`), the frame is looked at again with the other
        polarity, unless it read its digits at a mean confidence of `_NO_SECOND_LOOK` or more,
        and read so if that reading is the surer (`_surer`): the polarity is chosen from the
        whole view (`edge.lines.light_over_dark`), and a shadow's edge across a board, or a dim
        page's grain, can outweigh thin chalk or a faint pencil. Read with the wrong polarity,
        chalk's edges can still look like digits, less surely. Such a frame costs two looks.
        """
        look = self._look(image, self.find)
        if not look.found.lines and is_single_colour(image):
            return FrameRead((), FLAT, look.find_ms, look.read_ms, ink=look.found.ink)
        find_ms, read_ms = look.find_ms, look.read_ms
        if look.found.ink_in_doubt and _mean_confidence(look.digits) < _NO_SECOND_LOOK:
            other_ink = replace(self.find, ink=_OTHER_INK[look.found.ink])
            again = self._look(image, other_ink)
            find_ms, read_ms = find_ms + again.find_ms, read_ms + again.read_ms
            if _surer(again.digits, look.digits):
                look = again
        reason = look.found.empty_reason or (None if look.digits else NO_DIGITS)
        return FrameRead(
            look.digits, reason, find_ms, read_ms, look.lines, look.found.ink, len(look.found.lines)
        )

    def _look(self, image: np.ndarray, find: FindSettings, blocks: bool = True) -> _Look:
        """The frame's lines found with `find`, their digits in reading order, and the times;
        with `blocks`, a line left out that is a list's rows found as one block
        (`_blocks`) read again row by row (`_rows_of`)."""
        started = time.perf_counter()
        found = find_lines(image, find)
        find_ms = (time.perf_counter() - started) * 1000
        numbers = self._read_lines(found.lines)  # each line's numbers, [] for one left out
        boxes = [line.box for line in found.lines]
        read = [index for index, line in enumerate(numbers) if line]
        # (A block read unsure in a frame of doubtful polarity may be the wrong polarity's
        # texture, a board's edge read as ink: it is left to the look with the other.)
        unsure = not found.ink_in_doubt
        per_line = [_digits_of(line) for line in numbers]
        for index in _blocks(found.lines, per_line, unsure) if blocks else []:
            rows = self._rows_of(image, found.lines[index].box, replace(find, ink=found.ink))
            if rows:
                said = ", ".join(repr(text) for look in rows for text in look.lines)
                log.debug("line %d of %d read again row by row: %s", index + 1, len(boxes), said)
            read_already = [boxes[other] for other in read if other != index]
            taken = len(numbers)
            for look in rows:
                find_ms += look.find_ms
                for box, digits in look.read:
                    if all(overlap(box, other) <= _READ_ALREADY for other in read_already):
                        boxes.append(box)
                        numbers.append([list(digits)])
            if len(numbers) > taken:  # its rows read: not its unsure reading
                numbers[index] = []
        # Ordered by the lines that read: a line left out (a block, a stray mark) is no row, and
        # a tall one chained rows above and below it into one, slanting the rest.
        shown = [index for index, line in enumerate(numbers) if line]
        order = [shown[i] for i in reading_order([boxes[index] for index in shown])]
        # A line its written signs part into numbers gives each its own entry, boxed about its
        # digits, in the line's place ("5 x 3 = 15" reads as 5, 3 and 15).
        lines = tuple(
            (boxes[index] if len(numbers[index]) == 1 else enclosing([d.box for d in number]),
             tuple(number))
            for index in order
            for number in numbers[index]
        )  # fmt: skip
        read_ms = (time.perf_counter() - started) * 1000 - find_ms
        return _Look(found, find_ms, read_ms, lines)

    def _rows_of(self, image: np.ndarray, box: Box, find: FindSettings) -> list[_Look]:
        """The rows of a block in `image` (its `box`, px), each cut out and looked at as a frame
        of its own (`edge.blocks.rows_of_a_block`), in its lines' boxes and digits' boxes in
        `image`: a look for each row that read a digit surely."""
        x, y, width, height = box
        block = image[y : y + height, x : x + width]
        try:
            rows = rows_of_a_block(to_grey(block, find.ink))
        except FrameError:  # a block too small to be a frame: no rows in it
            return []
        looks = []
        for top, bottom in rows:
            try:
                look = self._look(block[top:bottom], find, blocks=False)
            except FrameError:  # a row too small to be a frame
                continue
            if _sure(look.digits):
                looks.append(_moved(look, x, y + top))
        return looks

    def _read_lines(self, lines: Sequence[Line]) -> list[list[list[DigitPrediction]]]:
        """Each line's numbers (`LineReader.read`), in the order of `lines` ([] for a line left
        out), read tallest first.

        The writing in one view is about one size: a line far smaller (`_SMALLEST_LINE`) than
        the tallest line that reads is a speck or a fleck of texture, and is not read at all.
        The tallest that reads, not the tallest found: a table, a shadow or a smudge can be the
        biggest dark thing in view. Beside lines read with confidence, a line of nothing but
        unsure digits is a stray mark (a rule's end, a smudge) more often than writing, and so
        is one read only a little surely beside writing read surely (`_without_stray_lines`);
        with none read with confidence, lines far smaller than the tallest found are left out.
        """
        numbers: list[list[list[DigitPrediction]]] = [[] for _ in lines]
        per_line: list[list[DigitPrediction]] = [[] for _ in lines]
        heights = [line.geometry.height for line in lines]
        tallest_sure = 0.0
        for index in sorted(range(len(lines)), key=lambda i: -heights[i]):
            if heights[index] < _SMALLEST_LINE * tallest_sure:
                break  # and so is every line after it
            numbers[index] = self.lines.read(lines[index])
            per_line[index] = _digits_of(numbers[index])
            if not tallest_sure and _sure(per_line[index]):
                tallest_sure = heights[index]
        if tallest_sure:
            kept = [digits if _sure(digits) else [] for digits in per_line]
            kept = _without_stray_lines(kept, [line.box for line in lines])
            kept = _without_faint_strokes(kept, lines)
        else:
            tallest = max(heights, default=0.0)
            kept = [
                digits if h >= _SMALLEST_LINE * tallest else []
                for digits, h in zip(per_line, heights, strict=True)
            ]
        if log.isEnabledFor(logging.DEBUG):
            _account_for(lines, per_line, kept, tallest_sure)
        return [line if digits else [] for line, digits in zip(numbers, kept, strict=True)]


def _without_faint_strokes(
    kept: list[list[DigitPrediction]], lines: Sequence[Line]
) -> list[list[DigitPrediction]]:
    """`kept` (each line's digits) less the lines fainter and smaller than the writing
    (`Line.faint`) that read only 1s: a straight faint stroke beside writing read surely is a
    note's edge, a shadow's rim or what is left of a grid's line ("08" read "108", "1731"
    read "17311")."""
    return [
        [] if line.faint and all(d.digit == 1 for d in digits) else digits
        for digits, line in zip(kept, lines, strict=True)
    ]


def _digits_of(numbers: Sequence[Sequence[DigitPrediction]]) -> list[DigitPrediction]:
    """A line's digits, its numbers one after the other."""
    return [digit for number in numbers for digit in number]


def _account_for(
    lines: Sequence[Line],
    per_line: list[list[DigitPrediction]],
    kept: list[list[DigitPrediction]],
    tallest_sure: float,
) -> None:
    """Logs (at DEBUG, -vv) what became of each line found: read, read as nothing, not read
    for its size (under `_SMALLEST_LINE` of `tallest_sure`, the tallest line read surely, as
    `DigitReader._read_lines` skips them), or read and left out, and why."""
    for index, line in enumerate(lines):
        height = line.geometry.height
        if kept[index]:
            fate = f"read {text_of(kept[index])!r}"
        elif height < _SMALLEST_LINE * tallest_sure:
            fate = (
                f"not read: {height:.0f} px tall, under {_SMALLEST_LINE} of the tallest line "
                f"read ({tallest_sure:.0f} px): a speck or texture beside the writing"
            )
        elif not per_line[index]:
            fate = "no digits read in it"
        elif not tallest_sure:
            fate = f"left out: {height:.0f} px tall, under {_SMALLEST_LINE} of the tallest found"
        elif not _sure(per_line[index]):
            fate = "left out: no digit in it read surely, beside lines that were"
        elif line.faint and all(d.digit == 1 for d in per_line[index]):
            fate = "left out: a faint stroke read as 1s, fainter and smaller than the writing"
        else:
            best = max(d.confidence for d in per_line[index])
            fate = (
                f"left out: a stray mark, read at most {best:.2f} beside writing read surely, "
                "in no row with it"
            )
        log.debug(
            "line %d of %d at %s, %.0f px tall: %s", index + 1, len(lines), line.box, height, fate
        )


def _without_stray_lines(
    per_line: list[list[DigitPrediction]], boxes: Sequence[Box]
) -> list[list[DigitPrediction]]:
    """`per_line` (each line's digits, [] for a line left out; the lines' frame `boxes`) less
    the stray lines: beside a line read surely (a digit at `_SURELY_READ`), a line whose every
    digit is read under `_STRAY` and that shares no row (`_SAME_ROW`) with a line read at
    `_STRAY` or more.

    What the finder passes on that is not writing (a stretch of a sheet's edge, a shadow's rim,
    a table's grain at the frame's border) reads as a 1, a 7 or an 8 at 0.6-0.9, beside writing
    read at 0.99 or more. A form's boxed digits are lines of their own, an unsure one in a row
    with the others: kept. Measured with run L on 2,550 held-out scenes (MNIST training
    digits: the three sets of "Figures on the device path" in README.md, and seed 43's 300
    scenes each of sheet on a table, sticky note and dim): 10 read right that were not (a 1, 2,
    6 or 7 added), none lost; without the row test 12 and 1 (a boxed 3 read at 0.85 left out);
    `_STRAY` 0.8 without it 9 and 0, 0.95 12 and 2.
    """
    best = [max((d.confidence for d in digits), default=0.0) for digits in per_line]
    if max(best, default=0.0) < _SURELY_READ:
        return per_line
    rows = [box for box, level in zip(boxes, best, strict=True) if level >= _STRAY]
    return [
        digits if level >= _STRAY or any(_same_row(box, other) for other in rows) else []
        for digits, level, box in zip(per_line, best, boxes, strict=True)
    ]


def _same_row(a: Box, b: Box) -> bool:
    """Whether two frame boxes overlap upright by `_SAME_ROW` of the shorter one's height."""
    overlap = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return overlap >= _SAME_ROW * min(a[3], b[3])


def _sure(digits: Sequence[DigitPrediction]) -> bool:
    return any(d.digit is not None for d in digits)


def _blocks(
    lines: Sequence[Line], per_line: list[list[DigitPrediction]], unsure: bool = True
) -> list[int]:
    """Indices of the `lines` read with no sure digit (left out, or, with `unsure`, only `?`
    in `per_line`) that may be a list's rows found as one block: `_A_BLOCK` times as tall as
    the tallest line read surely, or any, when none read surely (a column sum on squared
    paper, alone in view, read `?`); and, with `unsure`, of the lines read at a mean confidence
    under `_STRAY`, those `_A_BLOCK` times as tall as the tallest whose every digit is read at
    `_SURELY_READ` (two of a list's rows found as one block beside the third found alone read
    "?2": real-dev's writers' pages of three lines 1.3 heights apart; a form's date read with
    its label above it, most of its digits surely, is no such block). Read row by row, a block
    that is not a list reads nothing surely."""
    heights = [line.geometry.height for line in lines]
    sure = [h for h, digits in zip(heights, per_line, strict=True) if _sure(digits)]
    least = _A_BLOCK * max(sure, default=0.0)
    surely_read = [
        h
        for h, digits in zip(heights, per_line, strict=True)
        if digits and all(d.confidence >= _SURELY_READ for d in digits)
    ]
    unsurely = _A_BLOCK * max(surely_read, default=math.inf)
    blocks = []
    for index, (height, digits) in enumerate(zip(heights, per_line, strict=True)):
        left_out = not digits or (unsure and not _sure(digits))
        unsurely_read = unsure and bool(digits) and _mean_confidence(digits) < _STRAY
        if (left_out and height >= least) or (unsurely_read and height >= unsurely):
            blocks.append(index)
    return blocks


def _moved(look: _Look, dx: int, dy: int) -> _Look:
    """`look` (at a part of a frame whose top left corner is at `dx`, `dy`) in the frame's
    pixels."""

    def moved(box: Box) -> Box:
        x, y, w, h = box
        return (x + dx, y + dy, w, h)

    def digits_moved(digits: Sequence[DigitPrediction]) -> tuple[DigitPrediction, ...]:
        return tuple(replace(d, box=moved(d.box)) for d in digits)

    return look._replace(read=tuple((moved(box), digits_moved(d)) for box, d in look.read))


def _surer(digits: Sequence[DigitPrediction], than: Sequence[DigitPrediction]) -> bool:
    """Whether one reading of a frame is surer than another: it reads a digit surely where
    the other reads none, or it reads no fewer digits at a higher mean confidence. (Fewer
    digits read more surely is what a wrong polarity gives: an edge of a stroke read alone.)"""
    if not _sure(digits):
        return False
    if not _sure(than):
        return True
    return len(digits) >= len(than) and _mean_confidence(digits) > _mean_confidence(than)


def _mean_confidence(digits: Sequence[DigitPrediction]) -> float:
    """The digits' mean confidence; 0 for none."""
    return sum(d.confidence for d in digits) / len(digits) if digits else 0.0


def is_single_colour(image: np.ndarray) -> bool:
    """Whether every pixel equals the first (checked only when nothing was found, so cheap)."""
    return bool((image == image.reshape(-1, *image.shape[2:])[0]).all())


class Pacer:
    """Keeps a replay at `fps` like a camera would: waits when early, drops frames when late."""

    def __init__(self, fps: float):
        self.period = 1.0 / fps
        self._due: float | None = None

    def wait(self) -> int:
        """Sleep until the next frame is due; returns how many frames were missed by being late."""
        now = time.monotonic()
        if self._due is None:
            self._due = now
        missed = max(0, int((now - self._due) / self.period))
        self._due += missed * self.period
        if self._due > now:
            time.sleep(self._due - now)
        self._due += self.period
        return missed


class _Window:
    """The last WINDOW frames' arrival times, camera frame counts and stage times, preallocated."""

    def __init__(self) -> None:
        self.arrived = np.zeros(WINDOW)  # monotonic seconds
        self.delivered = np.zeros(WINDOW)  # 1 + frames the camera made that we skipped
        self.stage_ms = np.zeros((WINDOW, len(STAGES)))
        self.frames = 0  # arrivals recorded
        self.timed = 0  # frames with stage times recorded

    def arrival(self, at: float, delivered: int) -> None:
        slot = self.frames % WINDOW
        self.arrived[slot], self.delivered[slot] = at, delivered
        self.frames += 1

    def timings(self, values: Sequence[float]) -> None:
        self.stage_ms[self.timed % WINDOW] = values
        self.timed += 1

    def update(self, stats: Stats) -> None:
        count = min(self.frames, WINDOW)
        if count >= 2:
            order = np.argsort(self.arrived[:count])
            span = self.arrived[order[-1]] - self.arrived[order[0]]
            if span > 0:
                stats.processed_fps = (count - 1) / span
                stats.camera_fps = float(self.delivered[order[1:]].sum()) / span
        timed = min(self.timed, WINDOW)
        if timed:
            medians = np.median(self.stage_ms[:timed], axis=0)
            stats.stage_ms = {
                stage: round(float(ms), 3) for stage, ms in zip(STAGES, medians, strict=True)
            }


class Pipeline:
    """Runs frames from `source` through `reader` and `stabilizer` to the sinks until stopped
    (a still-image source's files are each a reading the first time they are read, unstabilized;
    read again, as a looped replay reads them, each is a view of its own: `_seen_again`)."""

    def __init__(
        self,
        source: FrameSource,
        reader: DigitReader,
        stabilizer: Stabilizer,
        sinks: Sequence[Sink],
        stats: Stats,
        max_frames: int | None = None,
        hold_at_end: Callable[[], None] | None = None,
    ):
        """`hold_at_end`, when given, is called when a replay ends (a video, photos), and the
        loop then waits for `stop()` before the sinks are stopped: the live page stays up."""
        self.source = source
        self.reader = reader
        self.stabilizer = stabilizer
        self.sinks = list(sinks)
        self.stats = stats
        self.max_frames = max_frames
        self.hold_at_end = hold_at_end
        self._stopping = False
        self._started = False
        self._source_ended = False
        self._window = _Window()
        self._last_warning: dict[str, float] = {}
        self._failed_outputs: dict[str, str] = {}  # output (its label) -> its last error
        self._failing: set[str] = set()  # outputs whose last call failed
        self._names = [sink.label or type(sink).__name__ for sink in self.sinks]
        self._shown_by = {sink.label for sink in self.sinks if sink.label}  # readings' outputs
        self._empty_reason: str | None = None
        # Image files whose reading was said, each read again a view of its own; and those
        # whose failure was said instead (read again, a file moves back to the first).
        self._file_views: dict[str, Stabilizer] = {}
        self._failure_told: set[str] = set()
        self._looping = False  # whether an image file has been read again (--loop)

    def stop(self) -> None:
        """Ask the loop to end after the current frame (safe to call from a signal handler)."""
        self._stopping = True

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def started(self) -> bool:
        """Whether every sink has started and the loop has begun (taking frames)."""
        return self._started

    @property
    def source_ended(self) -> bool:
        """Whether the source ran out of frames (a replay's end), so the run was whole."""
        return self._source_ended

    def run(self) -> None:
        """Process frames until the source ends (then, with `hold_at_end`, until `stop()`),
        `stop()` or `max_frames`.

        A SourceError from the source (a camera or stream that stopped delivering frames)
        reaches the caller. Sinks get on_start before the first frame, on_frame_taken after
        each frame whatever it held, on_stats each time the figures are recomputed (every
        STATS_INTERVAL_S while frames flow) and on_stop however the loop ends.
        """
        pacer = Pacer(self.source.pace_fps) if self.source.pace_fps else None
        index = 0
        next_update = time.monotonic() + STATS_INTERVAL_S
        self._notify(lambda sink: sink.on_start(self.stats))
        self._started = True
        try:
            while not self._stopping and (self.max_frames is None or index < self.max_frames):
                missed = self.source.skip(pacer.wait()) if pacer else 0
                self.stats.skipped_frames += missed
                started = time.perf_counter()
                try:
                    frame = self.source.read()
                except NoFrameYet:
                    pass  # a looped folder emptied: no frame taken, none counted
                except UnreadableFrame as exc:
                    self._window.arrival(time.monotonic(), 1 + missed)
                    self._failed(index, str(exc), exc.path)
                    index += 1
                else:
                    if frame is None:  # a replay ended (a live source raises SourceError instead)
                        self._source_ended = True
                        if not self.source.stills:  # a clip too short for a reading to hold
                            self._say(self.stabilizer.at_end(time.time()))
                        if self.hold_at_end is not None:
                            self._window.update(self.stats)  # the figures held are the final ones
                            self._notify(lambda sink: sink.on_stats(self.stats))
                            self.hold_at_end()
                            self._wait_for_stop()
                        break
                    capture_ms = (time.perf_counter() - started) * 1000
                    self.stats.skipped_frames += frame.skipped
                    self._window.arrival(time.monotonic(), 1 + missed + frame.skipped)
                    self._process(index, frame, started, capture_ms)
                    index += 1
                self.stats.source = self.source.description  # (a looped folder's count)
                # Whatever the frame held: the loop is alive (the systemd watchdog's keep-alive).
                self._notify(lambda sink: sink.on_frame_taken(self.stats))
                if time.monotonic() >= next_update:
                    self._window.update(self.stats)
                    self._notify(lambda sink: sink.on_stats(self.stats))
                    next_update = time.monotonic() + STATS_INTERVAL_S
        finally:
            self._window.update(self.stats)
            self._notify(lambda sink: sink.on_stop(self.stats))

    def _wait_for_stop(self) -> None:
        """Sleep until `stop()`. Polled: a signal handler calls stop(), and setting an Event
        from one can deadlock on the lock the interrupted wait holds."""
        while not self._stopping:
            time.sleep(HOLD_POLL_S)

    def _process(self, index: int, frame: Frame, started: float, capture_ms: float) -> None:
        try:
            read = self.reader.read(frame.image)
        except FrameError as exc:
            self._failed(index, f"{frame.path}: {exc}" if frame.path else str(exc), frame.path)
            return
        empty_reason = read.empty_reason
        if empty_reason == FLAT and not frame.path:  # a blank file is a blank sheet
            empty_reason = CAMERA_BLANK
        text = text_of(read.digits)
        stage_ms = (capture_ms, read.find_ms, read.read_ms, (time.perf_counter() - started) * 1000)
        self._window.timings(stage_ms)
        self.stats.frames += 1
        if empty_reason != self._empty_reason:  # said once per change, not every frame
            if empty_reason:
                # A camera that sees one flat colour may need a person (a lens cap, a light).
                level = logging.WARNING if empty_reason == CAMERA_BLANK else logging.INFO
                log.log(level, "frame %d reads nothing: %s", index, empty_reason)
            self._empty_reason = empty_reason
        timings = dict(zip(STAGES, stage_ms, strict=True))
        result = FrameResult(
            index, frame.timestamp, frame.image, read.digits, text, timings, empty_reason,
            path=frame.path, truth=frame.truth, lines=read.lines, scale=frame.scale,
        )  # fmt: skip
        self._notify(lambda sink: sink.on_frame(result, self.stats))
        if frame.listed_anew:  # dropped into a looped folder, or back: a picture of its own
            self._file_views.pop(frame.path, None)
            self._failure_told.discard(frame.path)
        if not self.source.stills:
            reading = self.stabilizer.update(result, time.time())
        elif frame.path in self._file_views or frame.path in self._failure_told:
            reading = self._seen_again(result)
        else:  # another image is another picture, read as it is, even two alike
            reading = reading_of(result, time.time())
            self._file_views[frame.path] = Stabilizer(self.stabilizer.stable_frames, result.text)
        self._say(reading)

    def _say(self, reading: Reading | None) -> None:
        """Count a reading and hand it to every output (nothing for None)."""
        if reading is not None:
            self.stats.readings += 1
            self.stats.last_reading = reading.text
            self._notify(lambda sink: sink.on_reading(reading, self.stats), answer=True)

    def _seen_again(self, result: FrameResult) -> Reading | None:
        """The reading to say, if any, of an image file read before (a looped replay's later
        passes): each file has said its reading, and is a view of its own that changes only
        as the file does, so it says a new one once that has held for as many passes as a
        camera's reading holds frames. A file written over says its new reading; the others,
        nothing (one view of all the files, 0 7 0 7, held nothing, and a file written over
        beside another was never said). A file that failed and reads again says its reading
        again, and a later failure is told again."""
        if not self._looping:
            self._looping = True
            log.info("the image files are read again: a reading is said once a new one holds")
        self._failure_told.discard(result.path)
        view = self._file_views.setdefault(result.path, Stabilizer(self.stabilizer.stable_frames))
        return view.update(result, time.time())

    def _failed(self, index: int, reason: str, path: str = "") -> None:
        """Count a frame that could not be used; `reason` starts with what it is (until ':').

        An image file's failure goes to the outputs, as its reading would have: it is an answer
        about that file, given once (a looped replay reads it again), and given too when a file
        read before fails on a later pass (removed, or overwritten with what is no picture),
        which would otherwise go unsaid for good. A camera's bad frame is only logged, once in
        a while.
        """
        self.stats.failed_frames += 1
        if not path:
            self._warn(reason.split(":")[0], "frame %d rejected: %s", index, reason)
            return
        log.debug("frame %d rejected: %s", index, reason)  # the outputs show it, at -v too
        if path not in self._failure_told:
            self._failure_told.add(path)
            self._file_views.pop(path, None)  # read again, its reading is news
            self._notify(lambda sink: sink.on_file_error(path, reason, self.stats), answer=True)

    @property
    def failed_outputs(self) -> dict[str, str]:
        """The outputs that failed during the run, each with its last error (and, for an
        OSError, what to do): what they did not write or send is lost."""
        return dict(self._failed_outputs)

    def _notify(self, call: Callable[[Sink], None], answer: bool = False) -> None:
        """Call every sink; one failing output must not stop the others or the loop (the live
        page and MQTT go on when stdout's disk is full), but its failure is remembered. When
        every output that shows readings failed to show the last `answer` (a reading, or why
        an image file has none), the run stops: the readings would be shown nowhere.

        An OSError (a full disk, a device gone) is said in one line with what to do: it is no
        bug, and a traceback per failure would bury it. Anything else is a bug: its traceback
        says where."""
        failures = []
        for sink, name in zip(self.sinks, self._names, strict=True):
            try:
                call(sink)
            except Exception as exc:
                failures.append((name, exc))
                if answer:
                    self._failing.add(name)
            else:
                if answer:
                    self._failing.discard(name)
        # Readings that would go nowhere: a run that went on would read for nothing (as one
        # started with every output off would, which the start refuses).
        nowhere = answer and bool(self._shown_by) and self._shown_by <= self._failing
        for name, exc in failures:
            self._output_failed(name, exc, "" if nowhere else "; the run goes on")
        if nowhere and not self._stopping:
            log.error(
                "every output failed (%s): the readings would be shown nowhere; stopping",
                ", ".join(sorted(self._shown_by)),
            )
            self.stop()

    def _output_failed(self, name: str, exc: Exception, then: str) -> None:
        """Remember and say (rate-limited) that output `name` failed with `exc`, and `then`
        what the run does."""
        if isinstance(exc, OSError):
            said = self._failed_outputs[name] = unwritable(exc)
            self._warn(name, "output %s failed: %s%s", name, said, then)
        else:
            self._failed_outputs[name] = repr(exc)
            self._warn(name, "output %s failed%s", name, then, exc_info=True)

    def _warn(self, key: str, message: str, *args: object, exc_info: bool = False) -> None:
        """Log a warning, but a repeating one (same key) only once per WARN_INTERVAL_S."""
        now = time.monotonic()
        if now - self._last_warning.get(key, -WARN_INTERVAL_S) >= WARN_INTERVAL_S:
            self._last_warning[key] = now
            log.warning(message, *args, exc_info=exc_info)
        else:
            log.debug(message, *args)
