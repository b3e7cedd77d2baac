"""Frame sources: the Pi camera, OpenCV captures (webcam, video file, stream), image files, demo.

Every source hands out `Frame`s whose image is what the segmenter takes: the Pi camera's
low-resolution Y plane (grey), or the BGR picture OpenCV decoded. `open_source` turns the
`--source` text into one. A source that cannot start, or a camera or stream that stops
delivering, raises `SourceError`; one unreadable image raises `UnreadableFrame` and the source
carries on with the next.
"""

import glob
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from edge.config import SourceSettings
from edge.scenes import SceneSettings, random_scene, sample_digits

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm"}
)
GLOB_CHARS = frozenset("*?[")
CAMERA_TIMEOUT_S = 5.0  # no frame for this long: the camera is gone
CHOOSE_SOURCE = (
    "Choose one with --source: demo, picamera2, webcam:N, a video file, a stream URL, "
    "or image files (a file, a directory or a glob)."
)


class SourceError(Exception):
    """The source cannot deliver frames (missing, unopenable, stopped); the message says why."""


class UnreadableFrame(Exception):
    """One frame (an image file) could not be read; the source goes on with the next."""


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # uint8 grey [H, W] or BGR [H, W, 3]
    timestamp: float  # time.time() at capture
    skipped: int = 0  # frames the camera made since the previous one that nobody will see
    name: str = ""  # where a replayed frame came from (a file name), for messages


class FrameSource(Protocol):
    description: str
    pace_fps: float | None  # replay at this rate like a camera; None: as fast as possible

    def read(self) -> Frame | None:
        """The next frame; None when a replay has no more.

        A camera or stream that stops delivering is a failure, not the end: it raises
        SourceError, whose message says what to check.
        """

    def skip(self, count: int) -> int:
        """Drop up to `count` frames unseen (a paced replay fell behind); how many there were."""

    def close(self) -> None:
        """Release the camera or file."""


# --- image files ------------------------------------------------------------------------------


def image_paths(spec: str) -> list[Path]:
    """The images a file, directory or glob names, sorted; SourceError if there are none."""
    path = Path(spec)
    if GLOB_CHARS & set(spec):
        found = sorted(Path(p) for p in glob.glob(spec, recursive=True))
        images = [p for p in found if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        what = f"the pattern {spec!r}"
    elif path.is_dir():
        images = sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        what = f"the directory {spec}"
    elif path.is_file():
        return [path]
    else:
        raise SourceError(f"{spec} does not exist.")
    if not images:
        raise SourceError(f"No images in {what} (looked for {', '.join(sorted(IMAGE_SUFFIXES))}).")
    return images


def read_image(path: Path) -> np.ndarray:
    """An image file as BGR, turned upright by its EXIF orientation (as a phone shows it)."""
    try:
        data = np.fromfile(path, np.uint8)
    except OSError as exc:
        raise UnreadableFrame(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    if data.size == 0:
        raise UnreadableFrame(f"{path}: the file is empty; copy it again.")
    if data[:2].tobytes() == b"\xff\xd8" and not jpeg_is_complete(data):
        raise UnreadableFrame(f"{path}: the JPEG is truncated (no end marker); copy it again.")
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)  # applies the EXIF orientation
    if image is None:
        raise UnreadableFrame(
            f"{path}: not a readable image (corrupt, truncated, or a format OpenCV cannot "
            "decode); use a JPEG or PNG."
        )
    return image


def jpeg_is_complete(data: np.ndarray) -> bool:
    """Whether the JPEG in `data` runs to its end-of-image marker.

    OpenCV decodes a JPEG cut a few bytes short without complaint and greys out what is
    missing, so the marker structure is walked: segments by their lengths, entropy-coded scans
    to the next real marker (an FF not followed by 00, a restart marker or FF padding).
    """
    size = len(data)
    ff = np.flatnonzero(data[:-1] == 0xFF)
    following = data[ff + 1]
    is_marker = (
        (following != 0x00) & (following != 0xFF) & ((following < 0xD0) | (following > 0xD7))
    )
    markers = ff[is_marker]
    position = 2  # after SOI
    while position + 4 <= size:
        if data[position] != 0xFF:
            return False
        code = int(data[position + 1])
        if code == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if code == 0xD9:  # EOI
            return True
        length = (int(data[position + 2]) << 8) | int(data[position + 3])
        position += 2 + length
        if code == 0xDA:  # SOS: entropy-coded data runs to the next real marker
            later = markers[np.searchsorted(markers, position) :]
            if len(later) == 0:
                return False
            position = int(later[0])
    return position + 2 <= size and data[position] == 0xFF and data[position + 1] == 0xD9


class ImageFiles:
    """Image files replayed as frames, optionally at camera pace and forever."""

    def __init__(self, paths: list[Path], pace_fps: float | None, loop: bool):
        self.description = f"{len(paths)} image file{'s' * (len(paths) != 1)}"
        self.pace_fps = pace_fps
        self._paths = paths
        self._loop = loop
        self._next = 0

    def read(self) -> Frame | None:
        if self._next >= len(self._paths):
            if not self._loop:
                return None
            self._next %= len(self._paths)
        path = self._paths[self._next]
        self._next += 1
        return Frame(read_image(path), time.time(), name=str(path))

    def skip(self, count: int) -> int:
        dropped = count if self._loop else min(count, len(self._paths) - self._next)
        self._next += dropped
        return dropped

    def close(self) -> None:
        """Nothing is held open between frames."""


# --- OpenCV capture: webcam, video file, stream -----------------------------------------------


class Capture:
    """An OpenCV VideoCapture: a webcam index, a video file or a stream URL."""

    def __init__(self, target: int | str, settings: SourceSettings, live: bool):
        self._live = live  # a webcam or stream: running out of frames is a failure
        self.description = f"webcam {target}" if isinstance(target, int) else str(target)
        params = []
        if isinstance(target, str) and live:  # a stream: never wait forever for a dead server
            timeout_ms = int(CAMERA_TIMEOUT_S * 1000)
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                timeout_ms,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                timeout_ms,
            ]
        self._capture = cv2.VideoCapture(target, cv2.CAP_ANY, params)
        if not self._capture.isOpened():
            self._capture.release()
            raise SourceError(f"Cannot open {self.description}: {self._why_not(target)}")
        if isinstance(target, int):
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, settings.width)
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, settings.height)
            self._capture.set(cv2.CAP_PROP_FPS, settings.fps)
        log.info(
            "opened %s: %dx%d at %.1f fps",
            self.description,
            self._capture.get(cv2.CAP_PROP_FRAME_WIDTH),
            self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT),
            self._capture.get(cv2.CAP_PROP_FPS),
        )
        self.pace_fps = settings.fps if settings.realtime and not live else None
        self._loop = settings.loop and not live
        self._frames = 0

    @staticmethod
    def _why_not(target: int | str) -> str:
        if isinstance(target, int):
            return f"no such camera (is it plugged in? try another N in webcam:N). {CHOOSE_SOURCE}"
        if "://" in target:
            return "the stream does not answer; check the URL and that the server is running."
        return "OpenCV cannot decode it as a video; convert it to MP4 (H.264) or MJPEG AVI."

    def read(self) -> Frame | None:
        ok, image = self._capture.read()
        if not ok and self._loop and self._frames:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._capture.read()
        if not ok:
            if self._live:
                raise SourceError(
                    f"{self.description} stopped delivering frames (unplugged, or the stream "
                    "ended). Check the connection and start again."
                )
            return None
        self._frames += 1
        return Frame(image, time.time())

    def skip(self, count: int) -> int:
        return sum(bool(self._capture.grab()) for _ in range(count))

    def close(self) -> None:
        self._capture.release()


# --- the Pi camera ----------------------------------------------------------------------------


class PiCamera:
    """A Pi camera through picamera2: the lores YUV420 stream's Y plane is the grey frame.

    The main stream (up to twice the lores size, RGB) stays configured for a live view.
    """

    pace_fps = None  # the sensor keeps time

    def __init__(self, settings: SourceSettings):
        problem = pi_camera_problem()
        if problem:
            raise SourceError(f"{problem}. {CHOOSE_SOURCE}")
        from picamera2 import Picamera2  # only on a Pi, only for this source

        self._camera = Picamera2()
        try:
            lores = (settings.width, settings.height)
            sensor = self._camera.sensor_resolution
            main = tuple(
                max(low, min(2 * low, high)) for low, high in zip(lores, sensor, strict=True)
            )
            config = self._camera.create_video_configuration(
                main={"size": main, "format": "RGB888"},
                lores={"size": lores, "format": "YUV420"},
                controls={"FrameRate": settings.fps},
            )
            self._camera.align_configuration(config)
            self._camera.configure(config)
            self._width, self._height = self._camera.camera_config["lores"]["size"]
            self._camera.start()
        except Exception as exc:  # libcamera raises plain RuntimeErrors and OSErrors
            self._camera.close()
            raise SourceError(
                f"The Pi camera cannot start ({exc}); is another program using it?"
            ) from exc
        self.description = f"picamera2 {self._width}x{self._height}"
        log.info("opened the Pi camera: %s", self._camera.camera_config)
        self._last_sensor_ns: int | None = None

    def read(self) -> Frame | None:
        try:
            (yuv,), metadata = self._camera.capture_arrays(["lores"], wait=CAMERA_TIMEOUT_S)
        except TimeoutError as exc:
            raise SourceError(
                f"The Pi camera delivered no frame for {CAMERA_TIMEOUT_S:.0f} s; check the "
                "ribbon cable and start again."
            ) from exc
        return Frame(yuv[: self._height, : self._width], time.time(), self._skipped(metadata))

    def _skipped(self, metadata: dict) -> int:
        """Frames the sensor made between this one and the last: the gap over the frame time."""
        sensor_ns, duration_us = metadata.get("SensorTimestamp"), metadata.get("FrameDuration")
        previous, self._last_sensor_ns = self._last_sensor_ns, sensor_ns
        if previous is None or sensor_ns is None or not duration_us:
            return 0
        return max(0, round((sensor_ns - previous) / (duration_us * 1000)) - 1)

    def skip(self, count: int) -> int:
        """A camera is never paced by us; it reports its own dropped frames."""
        return 0

    def close(self) -> None:
        self._camera.stop()
        self._camera.close()


# --- the demo: generated scenes ---------------------------------------------------------------


class DemoScenes:
    """Camera-like scenes from the scene generator, each held in view like a page held up.

    Always paced at the camera rate and endless, so it behaves like a camera on any machine.
    """

    HOLD_S = 1.5  # how long each page stays in view

    def __init__(self, settings: SourceSettings, seed: int = 0):
        self.description = f"demo scenes {settings.width}x{settings.height}"
        self._images, self._labels = sample_digits()
        self._rng = np.random.default_rng(seed)
        self._scene_settings = SceneSettings(width=settings.width, height=settings.height)
        self.pace_fps = settings.fps
        self._hold = max(1, round(self.HOLD_S * settings.fps))
        self._shown = self._hold
        self._scene = np.empty(0, np.uint8)

    def read(self) -> Frame:
        self._shown += 1
        if self._shown >= self._hold:
            scene = random_scene(self._images, self._labels, self._rng, self._scene_settings)
            self._scene, self._shown = scene.frame, 0
        return Frame(self._scene, time.time())

    def skip(self, count: int) -> int:
        self._shown += count
        return count

    def close(self) -> None:
        """Nothing to release."""


# --- choosing a source ------------------------------------------------------------------------


def open_source(settings: SourceSettings) -> FrameSource:
    """The source `settings.name` names; SourceError says what is wrong and how to choose."""
    name = settings.name.strip()
    if name == "auto":
        return _first_camera(settings)
    if name == "picamera2":
        return PiCamera(settings)
    if name == "demo":
        return DemoScenes(settings)
    if name.startswith("webcam:"):
        index = name.removeprefix("webcam:")
        if not index.isdigit():
            raise SourceError(f"--source {name}: the webcam number must be 0, 1, ... (webcam:0)")
        return Capture(int(index), settings, live=True)
    if "://" in name:
        return Capture(name, settings, live=True)
    path = Path(name)
    if path.is_file() and path.suffix.lower() not in IMAGE_SUFFIXES:
        return Capture(name, settings, live=False)
    try:
        paths = image_paths(name)
    except SourceError as exc:
        raise SourceError(f"--source {name}: {exc} {CHOOSE_SOURCE}") from None
    return ImageFiles(paths, settings.fps if settings.realtime else None, settings.loop)


def pi_camera_problem() -> str | None:
    """Why the Pi camera cannot be used here, or None when picamera2 sees a camera."""
    try:
        from picamera2 import Picamera2
    except ImportError:
        return "picamera2 is not installed (on Raspberry Pi OS: sudo apt install python3-picamera2)"
    if not Picamera2.global_camera_info():
        return "picamera2 sees no camera (check the ribbon cable)"
    return None


def _first_camera(settings: SourceSettings) -> FrameSource:
    """The Pi camera if there is one, else webcam 0, else a message that says how to choose."""
    pi_problem = pi_camera_problem()
    if pi_problem is None:
        return PiCamera(settings)
    try:
        return Capture(0, settings, live=True)
    except SourceError:
        raise SourceError(
            f"No camera found: {pi_problem}, and there is no webcam 0. {CHOOSE_SOURCE}"
        ) from None
