"""From classified candidates to a read-out ("4071"), and from noisy frames to stable readings.

Pure functions on boxes and scores, plus a `Stabilizer` that only lets a read-out through once it
has held for a few consecutive frames, so one blurred frame does not flash a wrong number (a still
image is read once, as it is: `reading_of`).
"""

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal

import numpy as np

from edge.events import Box, DigitPrediction, FrameResult, Reading

UNCERTAIN = "?"
_HUNDREDTH = Decimal("0.01")
# Neighbours on a line overlap vertically even on tilted paper; the next line down does not.
SAME_ROW_OFFSET = 0.5  # max vertical centre offset between neighbours, in box heights


def reading_order(boxes: Sequence[Box]) -> list[int]:
    """Indices of `boxes` in reading order: rows top to bottom, each row left to right.

    A row is chained from neighbour to neighbour (so a line written at a slant stays one row),
    then rows are ordered by where they cross the left edge along the common slant.
    """
    centres = [(x + w / 2, y + h / 2, h) for x, y, w, h in boxes]
    rows: list[list[int]] = []
    for index in sorted(range(len(boxes)), key=lambda i: centres[i][0]):
        cx, cy, h = centres[index]
        best, best_distance = None, 0.0
        for row in rows:
            last_cx, last_cy, last_h = centres[row[-1]]
            if abs(cy - last_cy) > SAME_ROW_OFFSET * max(h, last_h):
                continue
            distance = math.hypot(cx - last_cx, cy - last_cy)  # the nearest line end wins
            if best is None or distance < best_distance:
                best, best_distance = row, distance
        if best is None:
            rows.append([index])
        else:
            best.append(index)
    slope = _common_slope(rows, centres)
    rows.sort(key=lambda row: float(np.mean([centres[i][1] - slope * centres[i][0] for i in row])))
    return [index for row in rows for index in row]


def overlap(a: Box, b: Box) -> float:
    """The area two (x, y, w, h) boxes share, as a fraction of the smaller one."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    return width * height / min(a[2] * a[3], b[2] * b[3])


def enclosing(boxes: Sequence[Box]) -> Box | None:
    """The smallest box holding all of `boxes`; None for none."""
    if not boxes:
        return None
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def _common_slope(rows: list[list[int]], centres: list[tuple[float, float, float]]) -> float:
    """Median dy/dx between neighbours on a row: how much the writing slants in the frame."""
    slopes = [
        (centres[b][1] - centres[a][1]) / (centres[b][0] - centres[a][0])
        for row in rows
        for a, b in itertools.pairwise(row)
        if centres[b][0] > centres[a][0]
    ]
    return float(np.median(slopes)) if slopes else 0.0


def predictions(
    boxes: Sequence[Box], scores: np.ndarray, confidence: float
) -> tuple[DigitPrediction, ...]:
    """One prediction per box, in reading order; a best score below `confidence` reads as None."""
    if len(boxes) != len(scores):
        raise ValueError(f"{len(boxes)} boxes but {len(scores)} rows of scores")
    best = scores.argmax(axis=1) if len(scores) else np.empty(0, int)
    result = []
    for index in reading_order(boxes):
        score = float(scores[index, best[index]])
        digit = int(best[index]) if score >= confidence else None
        result.append(DigitPrediction(digit, score, tuple(int(v) for v in boxes[index])))
    return tuple(result)


def text_of(digits: Sequence[DigitPrediction]) -> str:
    """The read-out: digits in order, "?" where the model was unsure."""
    return "".join(UNCERTAIN if d.digit is None else str(d.digit) for d in digits)


def confidence_text(confidence: float) -> str:
    """A confidence for people, to two decimals rounded down: 0.9961 is "0.99", as "1.00"
    would read as certainty, and no confidence shows above a threshold it is under."""
    # From its shortest decimal form: 0.29 is 0.28999999999999998 as a binary float.
    return str(Decimal(repr(float(confidence))).quantize(_HUNDREDTH, rounding=ROUND_DOWN))


class Stabilizer:
    """Emits a Reading when a read-out has held for `stable_frames` frames and is new.

    Nothing is emitted for an empty view at start-up; after a number was read, an empty view
    that holds is emitted as "" (the number went away), with the commonest reason the frames
    that held it gave (a hand over the lens, read "no ink found" in 14 frames, was said to be
    "ink found, no digits read" by the one it held on). `said`: the read-out said already, as
    an image file's first reading is (not emitted again until another one held).
    """

    def __init__(self, stable_frames: int, said: str = ""):
        if stable_frames < 1:
            raise ValueError(f"stable_frames must be at least 1, got {stable_frames}")
        self.stable_frames = stable_frames
        self._candidate = ""
        self._count = 0
        self._reasons: Counter[str | None] = Counter()  # the candidate's frames' empty reasons
        self._emitted = said
        self._frames = 0  # fed in all
        self._last: FrameResult | None = None

    def update(self, result: FrameResult, now: float) -> Reading | None:
        """Feed one processed frame; `now` (time.time()) dates the reading if one is emitted."""
        self._frames += 1
        self._last = result
        if result.text == self._candidate:
            self._count += 1
        else:
            self._candidate, self._count = result.text, 1
            self._reasons.clear()
        self._reasons[result.empty_reason] += 1
        if self._count != self.stable_frames or self._candidate == self._emitted:
            return None
        self._emitted = self._candidate
        if not result.text:
            [(reason, _)] = self._reasons.most_common(1)
            result = replace(result, empty_reason=reason)
        return reading_of(result, now)

    def at_end(self, now: float) -> Reading | None:
        """The reading of a replay that ended too soon for any to hold (a clip of fewer frames
        than `stable_frames`, one photo saved as a video): the read-out every frame of it
        gave, if they all gave one; else None."""
        if self._last is None or self._count != self._frames:  # none, or frames that disagreed
            return None
        if not self._candidate or self._emitted:  # nothing read, or it held and was said
            return None
        self._emitted = self._candidate
        return reading_of(self._last, now)


def reading_of(result: FrameResult, now: float) -> Reading:
    """The reading one frame makes: what a still image gives as it is, and what a `Stabilizer`
    gives once a read-out has held. `now` (time.time()) dates it."""
    return Reading(
        text=result.text,
        confidence=min((d.confidence for d in result.digits), default=0.0),
        timestamp=now,
        frame_index=result.index,
        digits=result.source_digits(),
        latency_ms=(now - result.timestamp) * 1000.0,
        empty_reason=result.empty_reason,
        path=result.path,
        truth=result.truth,
        lines=result.lines,
    )
