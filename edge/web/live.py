"""What the pipeline thread shares with the web server: the newest of everything, never a queue.

The pipeline only stores references and sets an event. Annotating and JPEG-encoding happen in
a thread of their own, only while someone watches, at most `max_stream_fps` times a second, and
once per frame however many viewers there are (they all get the same bytes).
"""

import logging
import threading
import time
from typing import Any

import cv2

from edge.events import FrameResult
from edge.web.annotate import annotate_frame, encode_jpeg
from edge.web.latest import Latest

log = logging.getLogger(__name__)

Payload = dict[str, Any]


class LiveView:
    """Latest frame, JPEG, stats and recent readings, handed from the pipeline to web clients."""

    def __init__(self, history: int = 20, max_stream_fps: float = 10.0, jpeg_quality: int = 80):
        if max_stream_fps <= 0:
            raise ValueError(f"max_stream_fps must be positive, got {max_stream_fps}")
        self.history = history
        self.jpeg_quality = jpeg_quality
        self._min_interval = 1.0 / max_stream_fps
        self.stats: Payload = {}  # replaced whole by the pipeline thread, never mutated
        # Version n = n readings so far; the value is the most recent `history` of them.
        self.readings: Latest[tuple[Payload, ...]] = Latest()
        self.jpeg: Latest[bytes] = Latest()
        self.viewers = 0  # changed only by the web server's event loop
        self.encoded_frames = 0  # JPEGs made for viewers (one per frame shown, not per viewer)
        self._result: FrameResult | None = None
        self._frame_ready = threading.Event()
        self._stopping = threading.Event()
        self._encoder: threading.Thread | None = None

    # -- called from the pipeline thread: each returns in microseconds --
    def show_frame(self, result: FrameResult) -> None:
        self._result = result
        self._frame_ready.set()

    def add_reading(self, payload: Payload) -> None:
        _, recent = self.readings.current()
        self.readings.publish((*(recent or ()), payload)[-self.history :])

    # -- called from the web server's event loop --
    def viewer_joined(self) -> None:
        """A viewer opened the stream: the newest frame is encoded again for it, as frames
        are not encoded while nobody watches and a replay that ended sends no more."""
        self.viewers += 1
        self._frame_ready.set()

    def viewer_left(self) -> None:
        self.viewers -= 1

    # -- lifecycle --
    def start(self) -> None:
        self._encoder = threading.Thread(target=self._encode_loop, name="web-jpeg", daemon=True)
        self._encoder.start()

    def stop(self) -> None:
        self._stopping.set()
        self._frame_ready.set()
        self.readings.close()
        self.jpeg.close()
        if self._encoder is not None:
            self._encoder.join(timeout=5)

    def _encode_loop(self) -> None:
        while not self._stopping.is_set():
            self._frame_ready.wait()
            self._frame_ready.clear()
            result = self._result
            if self._stopping.is_set() or result is None or self.viewers == 0:
                continue
            started = time.monotonic()
            try:
                jpeg = encode_jpeg(annotate_frame(result), self.jpeg_quality)
                # Counted before a viewer can have it: one that has read it sees the count.
                self.encoded_frames += 1
                self.jpeg.publish(jpeg)
            except (cv2.error, ValueError) as exc:  # a bad frame must not end the stream
                log.warning("Live view: frame %d not shown (%s)", result.index, exc)
            # The cap: newer frames that arrive meanwhile simply replace `_result`.
            self._stopping.wait(self._min_interval - (time.monotonic() - started))
