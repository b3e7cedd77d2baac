"""The loop: source -> segment -> classify (one batch) -> reading -> stabilizer -> sinks.

Every stage is timed, and the operator figures (`Stats`) are kept up to date. A frame that
cannot be used is counted and logged, never fatal; a live source that stops delivering is.
"""

import logging
import time
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from edge.events import Box, DigitPrediction, FrameResult, Sink, Stats
from edge.model import DigitClassifier
from edge.reading import Stabilizer, predictions, text_of
from edge.segment import Candidate, FrameError, segment_digits
from edge.sources import Frame, FrameSource, UnreadableFrame

log = logging.getLogger(__name__)

STAGES = ("capture", "segment", "classify", "total")
WINDOW = 120  # recent frames that stage medians and rates are taken over
STATS_INTERVAL_S = 1.0  # how often medians and rates are recomputed (and sinks get on_stats)
WARN_INTERVAL_S = 10.0  # a problem that repeats every frame is logged once in this long


class DigitReader:
    """A frame -> its digits in reading order: segment, classify all candidates in one batch."""

    def __init__(self, classifier: DigitClassifier, confidence: float):
        self.classifier = classifier
        self.confidence = confidence
        # A frame is one thread's work, as the interpreter's is (--threads): the segmenter's
        # images are small, and OpenCV's worker threads, which spin between calls, cost more
        # than they save (bench, 2 cores: segment 3.1 -> 2.5 ms median, decode 1.6 -> 1.3 ms).
        cv2.setNumThreads(1)

    def read(self, image: np.ndarray) -> tuple[tuple[DigitPrediction, ...], float, float]:
        """The digits, with segment and classify times in ms; FrameError for an unusable frame."""
        started = time.perf_counter()
        candidates = segment_digits(image)
        segmented = time.perf_counter()
        if not candidates and is_single_colour(image):
            raise FrameError(
                "the frame is one flat colour: the lens is covered, the camera is not exposing, "
                "or the source sends blank frames"
            )
        if candidates:
            scores = self.classifier.classify(np.stack([c.crop for c in candidates]))
        else:
            scores = np.empty((0, 10), np.float32)
        boxes, scores = whole_or_halves(
            candidates, scores, self.confidence, self.classifier.classify
        )
        classified = time.perf_counter()
        digits = predictions(boxes, scores, self.confidence)
        return digits, (segmented - started) * 1000, (classified - segmented) * 1000


def whole_or_halves(
    candidates: Sequence[Candidate],
    scores: np.ndarray,
    confidence: float,
    classify: Callable[[np.ndarray], np.ndarray],
) -> tuple[list[Box], np.ndarray]:
    """Boxes and scores of what was read: a wide candidate the model cannot read as one digit
    counts as two when it reads both halves of one of its cuts (two digits written touching
    read as neither). Only then: the model reads a piece of almost any digit as a sure 1 or 7.
    The cuts are classified in a batch of their own, which few frames need.
    """
    boxes, rows = [], []
    for candidate, whole in zip(candidates, scores, strict=True):
        cuts = candidate.cuts() if candidate.cuts and whole.max() < confidence else ()
        if cuts:
            crops = np.stack([half.crop for cut in cuts for half in cut])
            halves = classify(crops).reshape(len(cuts), 2, -1)
            surest = halves.max(axis=2).min(axis=1)  # a cut is as sure as its weaker half
            best = int(surest.argmax())
            if surest[best] >= confidence:
                boxes += [half.box for half in cuts[best]]
                rows += list(halves[best])
                continue
        boxes.append(candidate.box)
        rows.append(whole)
    return boxes, np.array(rows, np.float32).reshape(-1, scores.shape[1])


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
    """Runs frames from `source` through `reader` and `stabilizer` to the sinks until stopped."""

    def __init__(
        self,
        source: FrameSource,
        reader: DigitReader,
        stabilizer: Stabilizer,
        sinks: Sequence[Sink],
        stats: Stats,
        max_frames: int | None = None,
    ):
        self.source = source
        self.reader = reader
        self.stabilizer = stabilizer
        self.sinks = list(sinks)
        self.stats = stats
        self.max_frames = max_frames
        self._stopping = False
        self._window = _Window()
        self._last_warning: dict[str, float] = {}

    def stop(self) -> None:
        """Ask the loop to end after the current frame (safe to call from a signal handler)."""
        self._stopping = True

    @property
    def stopping(self) -> bool:
        return self._stopping

    def run(self) -> None:
        """Process frames until the source ends, `stop()` or `max_frames`.

        A SourceError from the source (a camera or stream that stopped delivering frames)
        reaches the caller. Sinks get on_start before the first frame, on_stats each time the
        figures are recomputed (every STATS_INTERVAL_S while frames flow) and on_stop however
        the loop ends.
        """
        pacer = Pacer(self.source.pace_fps) if self.source.pace_fps else None
        index = 0
        next_update = time.monotonic() + STATS_INTERVAL_S
        self._notify(lambda sink: sink.on_start(self.stats))
        try:
            while not self._stopping and (self.max_frames is None or index < self.max_frames):
                missed = self.source.skip(pacer.wait()) if pacer else 0
                self.stats.skipped_frames += missed
                started = time.perf_counter()
                try:
                    frame = self.source.read()
                except UnreadableFrame as exc:
                    self._failed(index, str(exc))
                    index += 1
                    continue
                if frame is None:  # a replay ended (a live source raises SourceError instead)
                    break
                capture_ms = (time.perf_counter() - started) * 1000
                self.stats.skipped_frames += frame.skipped
                self._window.arrival(time.monotonic(), 1 + missed + frame.skipped)
                self._process(index, frame, started, capture_ms)
                index += 1
                if time.monotonic() >= next_update:
                    self._window.update(self.stats)
                    self._notify(lambda sink: sink.on_stats(self.stats))
                    next_update = time.monotonic() + STATS_INTERVAL_S
        finally:
            self._window.update(self.stats)
            self._notify(lambda sink: sink.on_stop(self.stats))

    def _process(self, index: int, frame: Frame, started: float, capture_ms: float) -> None:
        try:
            digits, segment_ms, classify_ms = self.reader.read(frame.image)
        except FrameError as exc:
            self._failed(index, f"{frame.name}: {exc}" if frame.name else str(exc))
            return
        text = text_of(digits)
        stage_ms = (capture_ms, segment_ms, classify_ms, (time.perf_counter() - started) * 1000)
        self._window.timings(stage_ms)
        self.stats.frames += 1
        timings = dict(zip(STAGES, stage_ms, strict=True))
        result = FrameResult(index, frame.timestamp, frame.image, digits, text, timings)
        self._notify(lambda sink: sink.on_frame(result, self.stats))
        reading = self.stabilizer.update(result, time.time())
        if reading is not None:
            self.stats.readings += 1
            self.stats.last_reading = reading.text
            self._notify(lambda sink: sink.on_reading(reading, self.stats))

    def _failed(self, index: int, reason: str) -> None:
        """Count a frame that could not be used; `reason` starts with what it is (until ':')."""
        self.stats.failed_frames += 1
        self._warn(reason.split(":")[0], "frame %d rejected: %s", index, reason)

    def _notify(self, call: Callable[[Sink], None]) -> None:
        """Call every sink; one failing output must not stop the others or the loop."""
        for sink in self.sinks:
            try:
                call(sink)
            except Exception:
                self._warn(
                    type(sink).__name__, "output %s failed", type(sink).__name__, exc_info=True
                )

    def _warn(self, key: str, message: str, *args: object, exc_info: bool = False) -> None:
        """Log a warning, but a repeating one (same key) only once per WARN_INTERVAL_S."""
        now = time.monotonic()
        if now - self._last_warning.get(key, -WARN_INTERVAL_S) >= WARN_INTERVAL_S:
            self._last_warning[key] = now
            log.warning(message, *args, exc_info=exc_info)
        else:
            log.debug(message, *args)
