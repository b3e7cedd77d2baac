"""What flows out of the pipeline, and the interface every output (sink) implements.

Frame -> [Line] -> [DigitPrediction] -> FrameResult -> Reading -> sinks.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

Box = tuple[int, int, int, int]  # x, y, width, height in the frame's pixel coordinates


@dataclass(frozen=True)
class DigitPrediction:
    """One recognized digit; `digit` is None when the model was not confident enough."""

    digit: int | None
    confidence: float
    box: Box

    def scaled(self, scale: int) -> "DigitPrediction":
        """This digit with its box `scale` times larger: in a large photo's own pixels, from
        the pixels of the frame it was decoded into at 1/`scale` of its size."""
        if scale == 1:
            return self
        return DigitPrediction(self.digit, self.confidence, tuple(v * scale for v in self.box))


# Why a reading is empty when its frame holds no writing (a camera's view emptied).
NO_INK = "no ink found"
FLAT = "nothing written: the image is one flat colour"  # a blank sheet: read, as nothing
# A camera's or a video's flat frame: read, as nothing, but more often a blind camera than a
# blank page in view, so it says so.
CAMERA_BLANK = (
    "the image is one flat colour: nothing is written on it, the lens is covered, or the camera "
    "is not exposing"
)


@dataclass(frozen=True)
class FrameResult:
    """Everything known about one processed frame. `frame` is shared: sinks must not modify it."""

    index: int
    timestamp: float  # time.time() at capture
    frame: np.ndarray
    digits: tuple[DigitPrediction, ...]  # reading order: rows top to bottom, left to right
    text: str  # digits in reading order, "?" for an uncertain one
    timings_ms: Mapping[str, float]  # "capture", "find", "read", "total"
    # Why no digit was read: "too dark", "no ink found", "writing too small to read: ...",
    # "ink found, no digits read"; else None.
    empty_reason: str | None = None
    path: str = ""  # the image file the frame is, for a still-image source; else ""
    truth: str | None = None  # what is really written, when the source knows (the demo)
    # Each line of writing's read-out, in reading order, the lines that read nothing left out:
    # "123" above "456" is text "123456", lines ("123", "456"); a sum's signs part its numbers,
    # "5 x 3 = 15" is lines ("5", "3", "15").
    lines: tuple[str, ...] = ()
    # The source's pixels per frame pixel: 2, 4 or 8 for a large photo decoded reduced, else 1.
    scale: int = 1

    def source_digits(self) -> tuple[DigitPrediction, ...]:
        """`digits` with their boxes in the source's own pixels (a large photo's, not the
        reduced frame's): what a reading reports, as `recognize` does."""
        return tuple(digit.scaled(self.scale) for digit in self.digits)


@dataclass(frozen=True)
class Reading:
    """A stable read-out, emitted once when it changes (see edge.reading.Stabilizer)."""

    text: str
    confidence: float  # lowest digit confidence
    timestamp: float
    frame_index: int
    digits: tuple[DigitPrediction, ...]  # boxes in the source's pixels (FrameResult.scale)
    latency_ms: float  # capture of the frame that confirmed it -> emitted
    empty_reason: str | None = None  # for an empty reading: why nothing is read
    path: str = ""  # the image file read, for a still-image source; else ""
    truth: str | None = None  # what is really written, when the source knows (the demo)
    lines: tuple[str, ...] = ()  # each line's read-out (see FrameResult.lines)


@dataclass
class Stats:
    """Operator figures, updated by the pipeline as it runs."""

    model: str = ""  # the model file: its name when bundled, else its path as given
    model_bundled: bool = True  # the model shipped with the package, not one of the user's
    quantized: bool = True
    source: str = ""
    frames: int = 0  # processed (read, with digits or without); a frame taken is one of these
    skipped_frames: int = 0  # delivered by the camera but dropped because we were busy
    failed_frames: int = 0  # ...or one of these: rejected as unusable (corrupt, wrong shape)
    readings: int = 0
    camera_fps: float = 0.0
    processed_fps: float = 0.0  # frames taken per second, failed ones too
    stage_ms: dict[str, float] = field(default_factory=dict)  # recent medians per stage
    last_reading: str = ""


class Sink:
    """An output. Called from the pipeline thread, so every method must return quickly.

    Every event is ignored here: an output subclasses this and overrides the ones it uses.
    `label` names an output that shows readings to someone (the console, JSON lines, the live
    page, MQTT), as its messages name it; "" for a sink that shows none (systemd's notices).
    """

    label = ""

    def on_start(self, stats: Stats) -> None:
        """Camera and model are up; the first frame is about to be read."""

    def on_frame(self, result: FrameResult, stats: Stats) -> None:
        """A frame was processed."""

    def on_frame_taken(self, stats: Stats) -> None:
        """The loop took a frame from the source and is done with it, whatever it held (read,
        read nothing, or could not be used): the loop is alive. Called after the frame's other
        events, if any."""

    def on_reading(self, reading: Reading, stats: Stats) -> None:
        """A new stable reading (from a still-image source: each image's reading on the first
        pass; looped again, `--loop`, the images are a camera's view)."""

    def on_file_error(self, path: str, error: str, stats: Stats) -> None:
        """An image file of a still-image source could not be read: `error` says why (it
        starts with the path, as `recognize` says it). A camera's bad frame is only logged."""

    def on_stats(self, stats: Stats) -> None:
        """Rates and stage medians were recomputed (every second while frames flow)."""

    def on_stop(self, stats: Stats) -> None:
        """The loop ended (source exhausted, SIGTERM, or error); release resources."""

    def lost(self) -> str | None:
        """What this output could not deliver in the run, and why, for the run's end (after
        on_stop): an MQTT broker's outage drops readings without any call failing. None when
        nothing was lost."""
        return None
