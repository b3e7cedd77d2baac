"""Frame sources: the Pi camera, OpenCV captures (webcam, video file, stream), image files, demo.

Every source hands out `Frame`s whose image is what the line finder takes: the Pi camera's
low-resolution Y plane (grey), or the BGR picture OpenCV decoded. `open_source` turns the
`--source` text into one, its frames mirrored and turned as the camera is mounted (`orient`:
[source] rotation, hflip, vflip). A source that cannot start, or a camera or stream that stops
delivering, raises `SourceError`; one unreadable image raises `UnreadableFrame` and the source
carries on with the next.
"""

import dataclasses
import errno
import glob
import io
import itertools
import logging
import os
import re
import shlex
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import BinaryIO, NamedTuple, NoReturn, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

import cv2
import numpy as np
from PIL import Image, ImageOps

from edge.config import (
    DEFAULT_FPS,
    GLOB_CHARS,
    MOST_FPS,
    MOST_PIXELS,
    SourceSettings,
    redact_url,
)
from edge.interrupts import reraise_interrupt
from edge.native_output import native_output_into
from edge.scenes import SceneSettings, random_scene, sample_digits

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm", ".gif",
     ".avif", ".heic", ".heif"}
)  # fmt: skip
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".ts", ".mts", ".m2ts",
     ".wmv", ".flv", ".3gp", ".ogv", ".mjpeg", ".mjpg", ".h264", ".264", ".y4m"}
)  # fmt: skip
# HEIF photos' brands (ISO/IEC 23008-12): HEVC images and image sequences, and the general
# image brands a phone or a converter may give first.
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
# How a refusal names a photo in an ISO media file that Pillow cannot read here.
_HEIF_SAID = {"HEIF": "a HEIF photo (a phone's .heic)", "AVIF": "an AVIF photo"}
# What a file's first bytes say it is when its name does not: (offset, bytes, kind, format).
_SIGNATURES = (
    (0, b"\xff\xd8\xff", "image", "JPEG"),
    (0, b"\x89PNG", "image", "PNG"),
    (0, b"GIF8", "image", "GIF"),
    (0, b"BM", "image", "BMP"),
    (0, b"II*\x00", "image", "TIFF"),  # little-endian
    (0, b"MM\x00*", "image", "TIFF"),  # big-endian
    (8, b"WEBP", "image", "WebP"),
    # A photo in an ISO media file (HEIF), told from a video by its brand: a phone's .heic
    # (HEVC), an .avif (AV1). Before the MP4 video's signature, which is the same box.
    (4, b"ftypavif", "image", "AVIF"),
    (4, b"ftypavis", "image", "AVIF"),
    *((4, b"ftyp" + brand, "image", "HEIF") for brand in _HEIF_BRANDS),
    (4, b"ftyp", "video", "MP4"),  # MP4, MOV, 3GP
    (0, b"\x1a\x45\xdf\xa3", "video", "Matroska"),  # Matroska, WebM
    (8, b"AVI ", "video", "AVI"),
    (0, b"\x00\x00\x01\xba", "video", "MPEG"),  # MPEG program stream
    (0, b"OggS", "video", "Ogg"),
    (0, b"FLV", "video", "FLV"),
    (0, b"\x30\x26\xb2\x75", "video", "ASF"),  # ASF, WMV
)
# The formats read, by Pillow's names: Pillow reads the header of these alone, and each is told
# by its first bytes exactly as OpenCV tells it, so the size checked is the size decoded. GIF,
# and AVIF where Pillow is built with libavif (its wheels, 11.2 on), are decoded by Pillow
# (OpenCV's builds mostly lack them; an AVIF elsewhere is refused as a photo this installation
# does not decode); anything else is refused unread.
HEADER_FORMATS = ("JPEG", "PNG", "BMP", "TIFF", "WEBP", "PPM", "GIF", "AVIF")
DECODED_FORMATS = frozenset({*HEADER_FORMATS, "MPO"})  # MPO: a phone's JPEG with a 2nd picture
DEFAULT_MAX_PIXELS = SourceSettings().max_pixels
BYTES_PER_PIXEL = 8  # the most a file needs per declared pixel (16-bit RGBA, uncompressed) ...
METADATA_BYTES = 16 << 20  # ... plus EXIF, colour profiles, thumbnails and a phone's extras
MAX_ASPECT = 50  # a longer strip is no photo of writing (a row of 40 digits cropped close is ~45:1)
# A bilevel picture (a fax, a scan in line-art mode, a dithered print: black and white pixels
# only) is smoothed back into the greys its dots stand for, with this Gaussian (px of the
# decoded picture): a dithered page's paper is a field of dots, each a speck to the line finder.
# real-dev's 140 photos dithered to 1 bit read 19; smoothed, 139 (139 at 0.8 px and 1.6 too);
# thresholded to 1 bit, 136 and 139.
BILEVEL_SIGMA = 1.2
REDUCED_MIN_SIDE = 1000  # a large photo is decoded reduced, its short side kept at least this
REDUCED_MAX_PIXELS = 16_000_000  # and a panorama's reduced to no more pixels than this
_REDUCED_FLAGS = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                  8: cv2.IMREAD_REDUCED_COLOR_8}  # fmt: skip
DEEPER_LOOKS = 10_000  # entries of a folder's subfolders looked at for images it lacks itself
CAMERA_TIMEOUT_S = 5.0  # no frame for this long: the camera is gone
RELIST_S = 1.0  # s between looks at a looped folder emptied, for images dropped in again
STREAM_PROBE_S = 3.0  # s a stream's server is given to answer, to say why it could not be opened
# A webcam or stream not there when a service starts (`open_when_there`) is tried again after
# FIRST_RETRY_S, then twice as long each time up to LONGEST_RETRY_S; a try (a stream's open and
# the probe saying why it failed) takes up to about 11 s: OPEN_ALLOWANCE_S allows for it.
FIRST_RETRY_S, LONGEST_RETRY_S, OPEN_ALLOWANCE_S = 5.0, 60.0, 60.0
RTSP_PORT = 554  # an rtsp:// URL's port when it names none
AV_LOG_QUIET = -8  # FFmpeg's log level that prints nothing
CHOOSE_SOURCE = (
    "Choose one with --source ([source] name): demo, picamera2, webcam:N, a video file, a "
    "stream URL, or image files (a file, a directory or a glob)."
)


class SourceError(Exception):
    """The source cannot deliver frames (missing, unopenable, stopped); the message says why."""


class CameraBusy(SourceError):
    """A camera that is there but cannot start now (another program holds it): worth trying
    again, so `python -m edge` exits 1 for it, which systemd restarts, not 2 (a setup error)."""


class SourceUnavailable(SourceError):
    """A webcam or stream that is not there now: unplugged, its server down, hung or not
    answering, or its host name not resolving (the network not up yet after a power cut).
    Worth trying again, unlike a wrong setting: `python -m edge` exits 1 for it, and run as a
    service waits for it (`open_when_there`)."""


class OpenProblem(NamedTuple):
    """Why a source could not be opened, and whether that may pass by itself (`passing`: its
    camera or server is not there now) rather than being a wrong setting."""

    why: str
    passing: bool = False


class UnreadableFrame(Exception):
    """One frame (an image file) could not be read; the source goes on with the next. `path`
    names the file when the source read one (the message says what is wrong with it)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.path = path


class NoFrameYet(Exception):
    """The source has no frame now and may have one later (a looped folder emptied, waiting
    for a photo to be dropped in): the loop is alive, nothing was read, nothing failed."""


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # uint8 grey [H, W] or BGR [H, W, 3]
    timestamp: float  # time.time() at capture
    skipped: int = 0  # frames the camera made since the previous one that nobody will see
    path: str = ""  # the image file this frame is (a still-image source); else ""
    truth: str | None = None  # what is really written in it, when the source knows (the demo)
    scale: int = 1  # the file's pixels per frame pixel: 2, 4 or 8 for a large photo (reduction)
    # A looped folder's file that joined its listing since the last pass (dropped in, or back
    # after it was gone): its reading is said as on the first pass.
    listed_anew: bool = False


_CV_ROTATIONS = {
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}


def orient(
    image: np.ndarray, rotation: int = 0, hflip: bool = False, vflip: bool = False
) -> np.ndarray:
    """`image` as the camera's mounting asks: mirrored first (hflip left-right, vflip
    top-bottom), then turned `rotation` degrees clockwise. Unchanged (no copy) by default."""
    if hflip or vflip:
        image = cv2.flip(image, -1 if hflip and vflip else 1 if hflip else 0)
    if rotation:
        image = cv2.rotate(image, _CV_ROTATIONS[rotation])
    return image


def orientation_of(settings: SourceSettings) -> Callable[[np.ndarray], np.ndarray]:
    """`orient` with the mounting `settings` name (rotation, hflip, vflip)."""
    return partial(orient, rotation=settings.rotation, hflip=settings.hflip, vflip=settings.vflip)


def _mounting(rotation: int, hflip: bool, vflip: bool) -> str:
    """How frames are turned, for descriptions: "" when they are not."""
    parts = [f"turned {rotation}°"] * bool(rotation)
    parts += ["mirrored left-right"] * hflip + ["mirrored top-bottom"] * vflip
    return f" ({', '.join(parts)})" if parts else ""


class FrameSource(Protocol):
    description: str
    pace_fps: float | None  # replay at this rate like a camera; None: as fast as possible
    # Each frame is a picture of its own (image files): it is read once, as it is. A camera's
    # or a video's frames show one view for a while, so a reading must hold for a few of them.
    # (Files read again, as --loop does, are such a view: edge.pipeline.Pipeline._seen_again.)
    stills: bool
    replay: bool  # frames from files (a video, photos), not a camera's or a stream's

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
    """The images a file, directory or glob names, in natural order ("h2" before "h10", as file
    managers list them); SourceError if there are none. A name that exists is read as that
    file or directory even when it holds glob characters (`scan [1].png`, `Photos [2024]/`, as
    phones and file managers name copies)."""
    path = Path(spec)
    if spec == "-":  # standard input to many tools: read no more than /dev/stdin is (below)
        raise SourceError(
            "- (standard input) is not read, only image files are; save the image to a file."
        )
    if GLOB_CHARS & set(spec) and not path.exists():
        images = sorted((p for p in _globbed(spec) if _named_image(p)), key=natural_order)
        what = f"the pattern {spec!r}"
    elif path.is_dir():
        # Hidden files are left out, as `ls` and a pattern leave them: a Mac's "._IMG_1.jpg"
        # beside each photo copied to a USB stick is no picture.
        entries = [p for p in path.iterdir() if not p.name.startswith(".")]
        images = sorted((p for p in entries if _named_image(p)), key=natural_order)
        what = f"the directory {spec}"
        if images:  # (with none, the error says what was looked for)
            read = set(images)
            # (Not a folder: a symlink loop or a dead link is a file left out too.)
            _say_what_is_left_out(path, [p for p in entries if not p.is_dir() and p not in read])
            if deeper := _deeper_images(spec, entries):
                log.warning("%s: read one level deep%s", spec, deeper)
    elif path.is_file():
        return [path]
    elif path.exists():
        raise SourceError(
            f"{spec} is not a regular file (a pipe, socket or device); save the image to a file."
        )
    elif dead_link := _dead_link(path):
        what, why = dead_link
        raise SourceError(f"{spec} is {what}: {why}.")
    else:
        raise SourceError(f"{spec} does not exist.")
    if not images:
        deeper = _deeper_images(spec, entries) if path.is_dir() else _brackets_in(spec)
        raise SourceError(
            f"No images in {what} (looked for {', '.join(sorted(IMAGE_SUFFIXES))}){deeper}."
        )
    return images


def natural_order(path: Path) -> list[str | int]:
    """A sort key that orders numbers in names by value: scan-2.jpg before scan-10.jpg."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def _brackets_in(pattern: str) -> str:
    """How to write a [ that a pattern matching nothing holds, when it holds one: in a
    pattern, [1] matches the character 1, so "Photos [1]/*.jpg" names no photo of Photos [1]/."""
    if "[" not in pattern:
        return ""
    return f"; in a pattern, [...] matches one of the characters inside: {glob.escape('[')} is a ["


def _say_what_is_left_out(folder: Path, others: list[Path]) -> None:
    """Warn of a folder's other files (`others`), not read, being no image by their names (an
    iPhone's .heic, a file without a suffix), when images beside them are: a folder read in
    part is read in part knowingly."""
    left_out = sorted(p.name for p in others)
    if left_out:
        shown = ", ".join(left_out[:3]) + (", ..." if len(left_out) > 3 else "")
        log.warning(
            "%s: %d file%s not read, not an image by its name (%s); to read such a file "
            "anyway, name it on the command line (read: %s)",
            folder,
            len(left_out),
            "s" * (len(left_out) != 1),
            shown,
            ", ".join(sorted(IMAGE_SUFFIXES)),
        )


def _deeper_images(folder: str, entries: list[Path]) -> str:
    """How to read the images in `folder`'s subfolders (among its `entries`), which a folder's
    listing leaves out, when they hold some: "; its subfolders ... 'folder/**/*.png' reads
    every level"; else ""."""
    subfolders = (path for path in entries if path.is_dir() and not path.is_symlink())
    below = itertools.islice(  # no symlinked folders: a link loop is no endless search
        (path for subfolder in subfolders for path in subfolder.rglob("*")), DEEPER_LOOKS
    )
    found = next((path for path in below if _named_image(path)), None)
    if found is None:
        return ""
    pattern = shlex.quote(os.path.join(glob.escape(folder), "**", f"*{found.suffix}"))
    return f"; its subfolders hold images but are not searched: {pattern} reads every level"


def _named_image(path: Path) -> bool:
    """Whether a folder's entry is an image file by its name: a regular file, or a symlink that
    leads to no file (broken, or a loop), kept so that reading it says what is wrong rather
    than leaving it out unsaid. (A pipe is left out: opening one waits for a writer, and would
    stall the batch.)"""
    return path.suffix.lower() in IMAGE_SUFFIXES and (
        path.is_file() or _dead_link(path) is not None
    )


def _dead_link(path: Path) -> tuple[str, str] | None:
    """What `path` is, and why it leads to no file, when it is a symlink that leads nowhere:
    ("a broken symlink", "its target does not exist") or ("a symlink loop", "its links lead
    back to themselves"); None for anything else."""
    if not path.is_symlink() or path.exists():  # exists() is False for a loop too
        return None
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop", "its links lead back to themselves"
    return "a broken symlink", "its target does not exist"


def _globbed(spec: str) -> list[Path]:
    """What a glob names, as glob.glob does, except that `**` (folders to any depth) does not
    follow symlinked folders, so a symlink loop cannot make it endless (glob.glob's does)."""
    parts = Path(spec).parts
    if "**" not in parts:
        return [Path(p) for p in glob.glob(spec)]
    fixed = next(i for i, part in enumerate(parts) if GLOB_CHARS & set(part))
    root, pattern = Path(*parts[:fixed]), Path(*parts[fixed:])
    if parts[-1] == "**":  # glob.glob's "photos/**" names the files too
        pattern /= "*"
    hidden = any(part.startswith(".") for part in pattern.parts)  # else skipped, as glob does
    return [
        path
        for path in root.glob(str(pattern))
        if hidden or not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]


def decode_image(
    path: Path, max_pixels: int = DEFAULT_MAX_PIXELS, ink: str = "auto"
) -> tuple[np.ndarray, int]:
    """An image file as BGR, upright by its EXIF orientation, and the factor (1, 2, 4 or 8) its
    sides were reduced by; UnreadableFrame, saying what to do, for anything else. A picture
    with transparency is laid on a ground that stands apart from the `ink` ([reading] ink:
    "dark", "light", or "auto", told by the picture; `_laid_on_a_ground`); a bilevel one is
    smoothed back into greys (BILEVEL_SIGMA).

    No pixel is decoded before the header is read (by Pillow, which reads only the header): a
    file that is not one of HEADER_FORMATS, that declares more than `max_pixels` or a strip's
    shape, or that is far bigger than its pixels need is refused, so no file can make a decoder
    allocate gigabytes. A photo whose short side is 2000 px or more (or a panorama of over
    REDUCED_MAX_PIXELS) is decoded at 1/2, 1/4 or 1/8 of its size (`reduction`): libjpeg scales
    a JPEG while decoding it, so a large photo never exists at full size.
    """
    try:
        with path.open("rb") as file:
            if os.fstat(file.fileno()).st_size == 0:
                raise UnreadableFrame(f"{path}: the file is empty; copy it again.")
            kind, width, height, transparent, bilevel = _declared(file, path, max_pixels)
            _check_size(path, width, height, os.fstat(file.fileno()).st_size, max_pixels)
            file.seek(0)
            data = np.frombuffer(file.read(), np.uint8)
    except OSError as exc:
        if dead_link := _dead_link(path):
            what, why = dead_link
            raise UnreadableFrame(f"{path}: {what} ({why}); link it again or remove it.") from exc
        raise UnreadableFrame(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    factor = reduction(width, height)
    if transparent:
        image = _laid_on_a_ground(data, path, kind, factor, ink)
    elif kind == "GIF":
        image = _first_gif_frame(data, path, factor)
    elif kind == "AVIF":  # (OpenCV's builds may not decode it)
        image = cv2.cvtColor(
            np.asarray(_upright_by_pillow(data, path, kind, factor)), cv2.COLOR_RGB2BGR
        )
    else:
        if kind in ("JPEG", "MPO") and not jpeg_is_complete(data):
            raise UnreadableFrame(f"{path}: the JPEG is truncated (no end marker); copy it again.")
        if kind == "PNG" and not png_is_complete(data):
            raise UnreadableFrame(
                f"{path}: the PNG is truncated or corrupt (a chunk runs past the end of the "
                "file); copy it again."
            )
        if kind == "PNG":
            data = without_colour_profile(data)
        try:  # both apply the EXIF orientation
            image = cv2.imdecode(data, _REDUCED_FLAGS.get(factor, cv2.IMREAD_COLOR))
        except (cv2.error, MemoryError) as exc:  # e.g. a size OpenCV refuses, a broken TIFF
            log.debug("%s: OpenCV: %s", path, exc)
            image = None
    if image is None:
        raise UnreadableFrame(
            f"{path}: not a readable image (the {kind} decoder failed: the file is corrupt or "
            f"truncated, or a kind of {kind} it does not read, such as float samples); copy it "
            "again, or save it again as an 8-bit JPEG or PNG."
        )
    if factor > 1:
        log.debug("%s: %dx%d decoded at 1/%d", path, width, height, factor)
    if bilevel:
        image = cv2.GaussianBlur(image, (0, 0), BILEVEL_SIGMA)
    return image, factor


def reduction(width: int, height: int) -> int:
    """The factor (1, 2, 4 or 8) a picture is decoded reduced by: the largest that keeps its
    short side at least REDUCED_MIN_SIDE px, or more for a panorama that would still have more
    than REDUCED_MAX_PIXELS (what reads the frame costs memory by its pixels)."""
    short = min(width, height)
    keeps_side = max((f for f in _REDUCED_FLAGS if short >= f * REDUCED_MIN_SIDE), default=1)
    fits = (
        f for f in (1, *_REDUCED_FLAGS) if -(-width // f) * -(-height // f) <= REDUCED_MAX_PIXELS
    )
    return max(keeps_side, next(fits, 8))


def _declared(file: BinaryIO, path: Path, max_pixels: int) -> tuple[str, int, int, bool, bool]:
    """The format, width and height an image file's header declares (no pixel is decoded),
    whether it has transparency (an alpha channel, or a colour marked transparent), and whether
    it is bilevel (1 bit a pixel: black or white)."""
    try:
        with warnings.catch_warnings():
            # Pillow's DecompressionBombWarning (over 89.5 MP): max_pixels decides instead.
            warnings.simplefilter("ignore")
            image = Image.open(file, formats=HEADER_FORMATS)  # not closed: the file is ours
            kind, (width, height) = image.format, image.size
            transparent = "A" in image.getbands() or "transparency" in image.info
            bilevel = image.mode == "1"
            if kind in ("TIFF", "GIF") and (pages := _pages(image)) > 1:
                _only_the_first_page(path, kind, pages)
    except Image.DecompressionBombError as exc:  # over 2 x 89.5 MP: beyond any max_pixels
        # Pillow's message gives the size: "Image size (400000000 pixels) exceeds limit ..."
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        declared = (
            f"{int(pixels[1]) / 1e6:.1f} MP"
            if pixels
            else f"over {2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.1f} MP"
        )
        raise UnreadableFrame(_too_big(path, declared, max_pixels, beyond_any=True)) from exc
    except Exception as exc:  # Pillow's plugins raise many kinds for a corrupt header
        log.debug("%s: Pillow: %r", path, exc)
        file.seek(0)
        announced = _signature(file.read(16))
        if announced and announced[1] in ("HEIF", "AVIF"):
            raise UnreadableFrame(
                f"{path}: {_HEIF_SAID[announced[1]]}, which this installation does not decode; "
                "save it as a JPEG (on an iPhone: Settings > Camera > Formats > Most "
                "Compatible), or convert it (heif-convert PHOTO.heic PHOTO.jpg)."
            ) from exc
        if announced and announced[0] == "image":
            raise UnreadableFrame(
                f"{path}: not a readable image (a {announced[1]} file whose header is corrupt "
                "or cut short); copy it again."
            ) from exc
        if announced:  # a video named as a picture
            raise UnreadableFrame(
                f"{path}: not an image but {announced_as(path)}, named as a picture; name it "
                "for what it is (.mp4, .avi) and read it with --source."
            ) from exc
        raise UnreadableFrame(
            f"{path}: not a readable image (not a {', '.join(HEADER_FORMATS)} file); use a "
            "JPEG or PNG."
        ) from exc
    if kind not in DECODED_FORMATS or width < 1 or height < 1:
        raise UnreadableFrame(f"{path}: not a readable image ({kind}); use a JPEG or PNG.")
    return kind, width, height, transparent, bilevel


def _pages(image: Image.Image) -> int:
    """How many pages a TIFF holds, or frames an animated GIF, from their headers; 1 when a
    later one is broken (the first is read all the same)."""
    try:
        return image.n_frames
    except Exception as exc:  # Pillow's plugins raise many kinds for a corrupt header
        log.debug("%s pages: %r", image.format, exc)
        return 1


@cache  # once a file: a looped replay reads it again and again
def _only_the_first_page(path: Path, kind: str, pages: int) -> None:
    """Warn that a multi-page TIFF (a scanner's), or an animated GIF, is read by its first page
    (frame) alone."""
    quoted = shlex.quote(str(path))
    if kind == "GIF":
        log.warning(
            "%s: an animated GIF of %d frames; only its first is read. To read it as a video, "
            "convert it (ffmpeg -i %s %s) and read that with --source.",
            path,
            pages,
            quoted,
            shlex.quote(str(path.with_suffix(".mp4"))),
        )
        return
    log.warning(
        "%s: a TIFF of %d pages; only its first is read. Save each page as a file of its own to "
        "read them all (tiffsplit %s page-; tiffsplit is in libtiff-tools).",
        path,
        pages,
        quoted,
    )


def _signature(head: bytes) -> tuple[str, str] | None:
    """(kind, format) that a file's first 16 bytes announce, or None."""
    return next(
        ((kind, name) for at, start, kind, name in _SIGNATURES if head[at:].startswith(start)),
        None,
    )


def _check_size(path: Path, width: int, height: int, file_bytes: int, max_pixels: int) -> None:
    """UnreadableFrame for a declared size over `max_pixels` or of a strip's shape, or a file
    far bigger than its pixels need."""
    pixels = width * height
    if pixels > max_pixels:
        declared = f"{width}x{height} pixels ({pixels / 1e6:.1f} MP)"
        raise UnreadableFrame(_too_big(path, declared, max_pixels, pixels > MOST_PIXELS))
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise UnreadableFrame(
            f"{path}: the image is {width}x{height}, a strip over {MAX_ASPECT} times as long as "
            "it is wide; cut it into shorter pieces, or add paper above and below it."
        )
    if file_bytes > BYTES_PER_PIXEL * pixels + METADATA_BYTES:
        raise UnreadableFrame(
            f"{path}: the file is {file_bytes / 1e6:.0f} MB, far more than a {width}x{height} "
            "image needs: it is corrupt or not an image; copy it again."
        )


def _too_big(path: Path, declared: str, max_pixels: int, beyond_any: bool) -> str:
    """The refusal of a picture declaring more pixels than `max_pixels`; raising the setting is
    offered unless the picture is `beyond_any` value it may take (MOST_PIXELS)."""
    raise_it = (
        f" ([source] max_pixels goes up to {MOST_PIXELS / 1e6:.0f} MP, not that far)"
        if beyond_any
        else ", or raise max_pixels in the [source] section of the config"
    )
    return (
        f"{path}: the image declares {declared}, more than max_pixels ({max_pixels / 1e6:.1f} "
        f"MP): it is corrupt, or a photo too large to decode here. Save it smaller{raise_it}."
    )


_Read = TypeVar("_Read")


def _by_pillow(
    data: np.ndarray, path: Path, kind: str, read: Callable[[Image.Image], _Read]
) -> _Read:
    """What `read` makes of the picture in `data` (a file's bytes), opened by Pillow as a `kind`
    file (its format's name, "GIF"); UnreadableFrame if that fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data), formats=[kind]) as picture:
                return read(picture)
    except Exception as exc:  # a corrupt file fails in many ways
        log.debug("%s: Pillow: %r", path, exc)
        raise UnreadableFrame(
            f"{path}: not a readable image (corrupt or truncated {kind}); copy it again, or "
            "save it again as a PNG."
        ) from exc


_GROUNDS = {"dark": (255, 255, 255, 255), "light": (0, 0, 0, 255)}  # RGBA under each ink


def _laid_on_a_ground(data: np.ndarray, path: Path, kind: str, factor: int, ink: str) -> np.ndarray:
    """A picture with transparency (a `kind` file: "PNG") as BGR, upright by its EXIF
    orientation, its sides reduced `factor`, laid on a ground that stands apart from what is
    drawn: white under dark strokes, black under light ones.

    A drawing or a screenshot exported with a transparent background holds its writing in the
    opaque pixels; the colour stored under the transparent ones is arbitrary (most often
    black), and read as it is it would hide dark writing. Viewers show it on a ground of their
    own; this one follows the user's `ink` ("dark" or "light"), or with "auto" the opaque
    pixels' mean brightness (Rec. 601 luma), alpha weighted. Composited by Pillow, in 8 bits:
    no float copy of a large picture.
    """
    upright = _upright_by_pillow(data, path, kind, factor, "RGBA")
    ground = Image.new("RGBA", upright.size, _GROUNDS[_drawn_ink(upright, ink)])
    flat = np.asarray(Image.alpha_composite(ground, upright).convert("RGB"))
    return cv2.cvtColor(flat, cv2.COLOR_RGB2BGR)


def _drawn_ink(picture: Image.Image, ink: str) -> str:
    """The ink on the RGBA `picture`, "dark" or "light": the user's `ink`, or with "auto" what
    its opaque pixels are on the whole (their mean luma, alpha weighted, under mid-grey or not)."""
    if ink != "auto":
        return ink
    sample = np.asarray(picture.resize((64, 64), Image.Resampling.BOX), np.float32)
    opacity = sample[..., 3] / 255.0
    luma = sample[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    drawn = float((luma * opacity).sum() / opacity.sum()) if opacity.any() else 255.0
    return "dark" if drawn < 128 else "light"


def _upright_by_pillow(
    data: np.ndarray, path: Path, kind: str, factor: int, mode: str = "RGB"
) -> Image.Image:
    """A `kind` picture (one OpenCV's builds may not decode: AVIF; or with transparency) by
    Pillow, in `mode`, upright by its EXIF orientation, its sides reduced `factor`."""
    upright = _by_pillow(
        data, path, kind, lambda picture: ImageOps.exif_transpose(picture).convert(mode)
    )
    return upright.reduce(factor) if factor > 1 else upright


def _first_gif_frame(data: np.ndarray, path: Path, factor: int) -> np.ndarray:
    """A GIF's first frame as BGR, by Pillow (few OpenCV builds decode GIF), reduced `factor`."""

    def pixels_and_palette(gif: Image.Image) -> tuple[np.ndarray, list[int] | None]:
        frame = gif if gif.mode in ("P", "L") else gif.convert("RGB")
        return np.asarray(frame), frame.getpalette() if frame.mode == "P" else None

    pixels, palette = _by_pillow(data, path, "GIF", pixels_and_palette)
    if palette is not None:  # colours looked up once: no full-size RGB copy on the way
        bgr = np.zeros((256, 3), np.uint8)
        colours = np.asarray(palette[: 3 * 256], np.uint8).reshape(-1, 3)
        bgr[: len(colours)] = colours[:, ::-1]
        image = bgr[pixels]
    else:
        image = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR if pixels.ndim == 2 else cv2.COLOR_RGB2BGR)
    if factor > 1:
        image = cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    return image


def png_is_complete(data: np.ndarray) -> bool:
    """Whether every chunk of the PNG in `data` fits in it, up to the IEND chunk.

    OpenCV's PNG decoder (4.11 on, with APNG) allocates the length a chunk declares before
    reading it: a 1 KB file declaring a 3 GB image-data chunk would take 3 GB.
    """
    return any(kind == b"IEND" and end <= len(data) for kind, _, end in _png_chunks(data))


def without_colour_profile(data: np.ndarray) -> np.ndarray:
    """The PNG in `data` (complete, `png_is_complete`) less its ICC colour profile (iCCP).

    OpenCV applies no colour profile, so the pixels are the same; but libpng checks the
    profile as it decodes and prints what it finds wrong straight to stderr, between the
    readings, where no logging setting reaches it: "libpng warning: iCCP: known incorrect sRGB
    profile", or an RGB profile on a greyscale PNG, as some scanner and phone apps save them.
    """
    spans = [(start, end) for kind, start, end in _png_chunks(data) if kind == b"iCCP"]
    if not spans:
        return data
    kept = np.ones(len(data), bool)
    for start, end in spans:
        kept[start:end] = False
    return data[kept]


def _png_chunks(data: np.ndarray) -> Iterator[tuple[bytes, int, int]]:
    """Each chunk of the PNG in `data` up to IEND: its type and where it starts and ends (the
    end as its length declares it, which can be past the end of `data`)."""
    size, position = len(data), 8  # after the signature
    while position + 12 <= size:
        length = int.from_bytes(data[position : position + 4].tobytes(), "big")
        kind = data[position + 4 : position + 8].tobytes()
        yield kind, position, position + 12 + length  # length, type, data, CRC
        if kind == b"IEND":
            return
        position += 12 + length


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
    """Image files replayed as frames, optionally at camera pace and forever.

    Paced, the first pass still reads every file (each is an answer: a reader slower than the
    pace takes longer, it does not leave photos out); looped, later passes are a camera's view
    and drop what a slow reader falls behind on, as a camera would. Looped, the `spec` they
    were listed from (a file, a directory or a glob, `image_paths`) is listed again for each
    pass: a photo dropped into the folder joins, one removed leaves.
    """

    stills = True
    replay = True

    def __init__(
        self,
        paths: list[Path],
        pace_fps: float | None,
        loop: bool,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        ink: str = "auto",
        spec: str | None = None,
    ):
        self.description = _counted(paths)
        self._spec = spec
        self.pace_fps = pace_fps
        if pace_fps:
            log.info("replaying %s at %g fps (--fps, [source] fps)", self.description, pace_fps)
        self._paths = paths
        self._loop = loop
        self._max_pixels = max_pixels
        self._ink = ink  # [reading] ink: a transparent picture's ground stands apart from it
        self._next = 0
        self._first_pass = True
        self._anew: set[Path] = set()  # joined the listing since the last pass, not read yet

    def read(self) -> Frame | None:
        """The next file's frame; None after the last one, unless looped. Looped, a spec that
        names no image now (a folder emptied) is listed again at the pace, or unpaced every
        `RELIST_S` seconds, and NoFrameYet raised while it still names none. After the first
        pass, a file of a folder or glob that is gone when its turn comes has left (no
        failure); one that joins the listing (dropped in, or back) is `Frame.listed_anew`."""
        while True:
            if self._next >= len(self._paths):
                if not self._loop:
                    return None
                self._next_pass()
            path = self._paths[self._next]
            self._next += 1
            if self._first_pass or self._spec is None or os.path.lexists(path):
                break
            log.info("%s: gone since %s was listed", path, self._spec)
        anew = path in self._anew
        self._anew.discard(path)
        try:
            image, reduced = decode_image(path, self._max_pixels, self._ink)
        except UnreadableFrame as exc:
            raise UnreadableFrame(str(exc), str(path)) from None
        return Frame(image, time.time(), path=str(path), scale=reduced, listed_anew=anew)

    def _next_pass(self) -> None:
        """Start the next pass over the files `spec` names now; NoFrameYet while none."""
        self._first_pass = False
        if self._paths:
            self._next %= len(self._paths)  # (what a slow reader skipped, `skip`)
        elif self.pace_fps is None:  # (paced, the pace is the wait)
            time.sleep(RELIST_S)
        self._list_again()
        if not self._paths:
            raise NoFrameYet(self.description)
        self._next %= len(self._paths)

    def _list_again(self) -> None:
        """The files `spec` names now, for the next pass: none, said once, while it names
        none (a folder emptied, a glob matching nothing)."""
        if self._spec is None:
            return
        try:
            paths = image_paths(self._spec)
        except SourceError as exc:
            paths = []
            if self._paths:  # (said when it happens, not on every look after)
                why = str(exc).rstrip(".")
                again = f"every {RELIST_S:g} s" if self.pace_fps is None else "at the pace"
                log.warning("%s; waiting for images, looked for again %s", why, again)
        if paths != self._paths:
            added, gone = set(paths) - set(self._paths), set(self._paths) - set(paths)
            said = "%s: %d image file(s) added, %d gone, since the last pass"
            level = logging.INFO if self._paths else logging.WARNING  # (after "waiting")
            log.log(level, said, self._spec, len(added), len(gone))
            self._anew = (self._anew - gone) | added
            self._paths = paths
            self.description = _counted(paths)

    def skip(self, count: int) -> int:
        if self._first_pass or not self._paths:
            return 0
        self._next += count
        return count

    def close(self) -> None:
        """Nothing is held open between frames."""


def _counted(paths: list[Path]) -> str:
    """What a list of image files is, for a description: "3 image files"."""
    return f"{len(paths)} image file{'s' * (len(paths) != 1)}"


# --- OpenCV capture: webcam, video file, stream -----------------------------------------------


_AGAIN = "copy it again, or record it again."
_MOST_INDEX = 64 << 20  # bytes of an MP4's index ('moov') read to find its video track
_READ_AGAIN_S = 0.1  # s between tries at a webcam's or stream's frame after one fails
# Frames, and share of its duration, that a video may end short of what it declares.
_FRAMES_OFF, _SHARE_OFF = 5, 0.05


class Capture:
    """An OpenCV VideoCapture: a webcam index, a video file or a stream URL."""

    stills = False

    def __init__(self, target: int | str, settings: SourceSettings, live: bool):
        self._live = live  # a webcam or stream: running out of frames is a failure
        self.description = f"webcam {target}" if isinstance(target, int) else redact_url(target)
        params = []
        if isinstance(target, str) and live:  # a stream: never wait forever for a dead server
            timeout_ms = int(CAMERA_TIMEOUT_S * 1000)
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                timeout_ms,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                timeout_ms,
            ]
        _quiet_ffmpeg()
        # OpenCV and FFmpeg may print the URL they were given, password and all, as they open
        # it and later on an error or a reconnect: every call into them is kept from the
        # terminal and passed on redacted (`RedactedNativeOutput`).
        self._native = RedactedNativeOutput(target if isinstance(target, str) else "")
        with self._native.caught():
            self._capture = cv2.VideoCapture(target, cv2.CAP_ANY, params)
        if not self._capture.isOpened():
            self.close()
            why, passing = self._why_not(target)
            error = SourceUnavailable if passing else SourceError
            raise error(f"Cannot open {self.description}: {why}")
        if isinstance(target, int):
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, settings.width)
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, settings.height)
            self._capture.set(cv2.CAP_PROP_FPS, settings.frame_rate)
        log.info(
            "opened %s: %dx%d at %.1f fps",
            self.description,
            self._capture.get(cv2.CAP_PROP_FRAME_WIDTH),
            self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT),
            self._capture.get(cv2.CAP_PROP_FPS),
        )
        self.pace_fps = self._replay_pace(settings) if settings.realtime and not live else None
        self.replay = not live
        self._loop = settings.loop and not live
        self._frames = 0
        # How long a video file's header says it is (0 when it does not say), and how far into
        # it the frames taken reached (ms), to tell its end from damage that ends it early. By
        # time, not by frames counted: a slow reader's frames skipped (`skip`) are not counted,
        # and a container that stores no count (Matroska, WebM) has its count estimated from
        # its duration at its mean rate, which a variable frame rate (a phone in dim light)
        # makes wrong.
        self._declared_ms = 0.0 if live else _declared_ms(self._capture)
        self._reached_ms = 0.0
        self._ended = False

    def _replay_pace(self, settings: SourceSettings) -> float:
        """The rate a video file is replayed at like a camera (realtime), said in the log:
        [source] fps (--fps) when set, else the file's own rate, else DEFAULT_FPS when the rate
        it gives cannot be right (0 or none, or over MOST_FPS: a container's time base)."""
        if settings.fps is not None:
            log.info("replaying %s at %g fps (--fps, [source] fps)", self.description, settings.fps)
            return settings.fps
        own = self._capture.get(cv2.CAP_PROP_FPS)
        if 0 < own <= MOST_FPS:
            log.info("replaying %s at its own frame rate, %g fps", self.description, own)
            return own
        log.warning(
            "%s gives no frame rate to believe (%g fps): replayed at %g fps; set its rate with "
            "--fps ([source] fps)",
            self.description,
            own,
            DEFAULT_FPS,
        )
        return DEFAULT_FPS

    @staticmethod
    def _why_not(target: int | str) -> OpenProblem:
        """Why the target could not be opened, and whether that may pass (a camera unplugged,
        a stream's server down: `SourceUnavailable`)."""
        if isinstance(target, int):
            why = f"no such camera (is it plugged in? try another N in webcam:N). {CHOOSE_SOURCE}"
            return OpenProblem(why, passing=True)
        if "://" in target:
            return stream_problem(target)
        if os.path.isfile(target) and os.path.getsize(target) == 0:
            return OpenProblem("the file is empty; copy it again, or record it again.")
        damage = mp4_damage(Path(target))
        if damage:
            return OpenProblem(damage)
        return OpenProblem(
            "OpenCV cannot decode it as a video; convert it to MP4 (H.264) or MJPEG AVI."
        )

    def read(self) -> Frame | None:
        """The next frame; None at a video's end. A video that ends well before the time its
        header declares (damaged or cut short in the middle, which OpenCV decodes up to without
        a word) raises UnreadableFrame once, naming the file, then ends. A webcam or stream
        with no frame for `CAMERA_TIMEOUT_S` raises SourceError."""
        if self._ended:
            return None
        ok, image = self._read_live() if self._live else self._read_once()
        if not ok and self._loop and self._frames:
            if self._frames_missing():
                return self._cut_short()
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            self._declared_ms = 0.0  # said on the first pass
            ok, image = self._read_once()
        if not ok:
            if self._live:
                raise SourceError(
                    f"{self.description} stopped delivering frames (none for "
                    f"{CAMERA_TIMEOUT_S:g} s: unplugged, or the stream ended). Check the "
                    "connection and start again."
                )
            return self._cut_short() if self._frames_missing() else None
        self._frames += 1
        self._reached_ms = self._capture.get(cv2.CAP_PROP_POS_MSEC)
        return Frame(image, time.time())

    def _read_once(self) -> tuple[bool, np.ndarray | None]:
        with self._native.caught():
            return self._capture.read()

    def _read_live(self) -> tuple[bool, np.ndarray | None]:
        """A webcam's or stream's next frame, tried again for up to `CAMERA_TIMEOUT_S`: one
        frame that cannot be decoded (a phone app's MJPEG part, empty or corrupt) is no end of
        the stream, though OpenCV's read fails on it."""
        deadline = time.monotonic() + CAMERA_TIMEOUT_S
        while not (read := self._read_once())[0] and time.monotonic() < deadline:
            log.debug("%s: a frame could not be read; trying again", self.description)
            time.sleep(_READ_AGAIN_S)
        return read

    def _frames_missing(self) -> bool:
        """Whether the video ended well short of the duration its header declares: by more
        than `_FRAMES_OFF` frames and `_SHARE_OFF` of it (a frame's time: the last frame
        starts one frame before the end)."""
        if not self._declared_ms:
            return False
        frame_ms = 1000 / self._capture.get(cv2.CAP_PROP_FPS)
        missing = self._declared_ms - frame_ms - self._reached_ms
        return missing > max(_FRAMES_OFF * frame_ms, _SHARE_OFF * self._declared_ms)

    def _cut_short(self) -> NoReturn:
        self._ended = True
        raise UnreadableFrame(
            f"{self.description}: the video ends {self._reached_ms / 1000:.1f} s into the "
            f"{self._declared_ms / 1000:.1f} s it declares: it is damaged or cut short; copy it "
            "again, or record it again.",
            self.description,
        )

    def skip(self, count: int) -> int:
        with self._native.caught():
            grabbed = sum(bool(self._capture.grab()) for _ in range(count))
            if grabbed:
                self._reached_ms = self._capture.get(cv2.CAP_PROP_POS_MSEC)
        return grabbed

    def close(self) -> None:
        with self._native.caught():
            self._capture.release()
        self._native.close()


def _declared_ms(capture: cv2.VideoCapture) -> float:
    """How long a video file says it is, ms (its frame count at its mean frame rate, as OpenCV
    gives them); 0 when it does not say."""
    frames, fps = capture.get(cv2.CAP_PROP_FRAME_COUNT), capture.get(cv2.CAP_PROP_FPS)
    return 1000 * frames / fps if frames > 0 and fps > 0 else 0.0


class RedactedNativeOutput:
    """Keeps what OpenCV and FFmpeg write straight to the terminal (their own logs, on file
    descriptors 1 and 2, past Python's logging) from showing `url`'s credentials: during a
    `caught()` block the output is caught, then written to stderr with the URL's user and
    password, and its secret query values, as *** (`redact`). At -vv OpenCV's notes still show,
    redacted. A URL without credentials is left alone: nothing is caught.

    Caught, not silenced by a log level: OpenCV prints the URL it opens at INFO ("CAP_IMAGES:
    File does not exist: rtsp://user:pw@...") and, in some 4.x versions, at ERROR ("can't find
    starting number"); FFmpeg, whose messages go there too, may print it as well; and either
    may print it again when a read fails or the stream reconnects, so every call into the
    capture is a block. The descriptors are process-wide: what other threads print during a
    block (the web page's warnings) comes out after it, redacted, not lost.
    """

    def __init__(self, url: str):
        self._secrets = sorted(url_secrets(url), key=len, reverse=True)  # a longer one first
        # One sink for every block, emptied after each: no file made per frame. Closed by
        # `close`, as the capture it serves is.
        needed = redact_url(url) != url
        self._sink = tempfile.TemporaryFile(buffering=0) if needed else None  # noqa: SIM115

    @contextmanager
    def caught(self) -> Iterator[None]:
        if self._sink is None:
            yield
            return
        try:
            with native_output_into(self._sink):
                yield
        finally:
            self._pass_on(self._sink)

    def _pass_on(self, sink: BinaryIO) -> None:
        """Write what the block caught to stderr, redacted, and empty the sink."""
        if not sink.tell():  # (the descriptors share its offset: it is what was written)
            return
        sink.seek(0)
        caught = sink.read()
        sink.seek(0)
        sink.truncate()
        with suppress(OSError):  # a closed stderr is no reason to stop reading
            os.write(2, self.redact(caught.decode(errors="replace")).encode())

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def redact(self, text: str) -> str:
        """`text` with the URL's credentials as ***, however it is printed: in the URL (the
        user too), or alone, as written in the URL or percent-decoded. Line by line: a secret
        query value runs to the end of its line, not into the next one."""
        text = "".join(redact_url(line) for line in text.splitlines(keepends=True))
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def url_secrets(url: str) -> set[str]:
    """The secrets a URL holds, as written and percent-decoded: its password (user:password@)
    and the values of its query fields named like secrets (password=, pwd=, token=: whatever
    `redact_url` hides). Read without urlsplit, which refuses some URLs OpenCV still opens."""
    address = url.partition("://")[2]
    userinfo = re.split(r"[/?#]", address, maxsplit=1)[0].rpartition("@")[0]
    found = {userinfo.partition(":")[2]}
    query = address.partition("?")[2].partition("#")[0]
    for field in re.split(r"[&;]", query):
        name, _, value = field.partition("=")
        if redact_url(f"?{name}=x") != f"?{name}=x":
            found.add(value)
    return {form for secret in found for form in (secret, unquote(secret)) if form}


def stream_problem(url: str, timeout: float = STREAM_PROBE_S) -> OpenProblem:
    """Why OpenCV could not open the stream at `url`, as far as asking its server tells: a host
    name that does not resolve, nothing listening, no answer, an HTTP error or login, or an
    answer that is not a video (a web page); what to check follows. Never shows credentials.
    What may pass: a name that does not resolve (the network not up yet), a server that does
    not answer, refuses or fails (HTTP 5xx), a camera that has hung."""
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # a port that is no number
        return OpenProblem("the URL's port is not a number from 1 to 65535; check the URL.")
    if not host:
        return OpenProblem("the URL names no host; check the URL.")
    port = port or {"http": 80, "https": 443, "rtsp": RTSP_PORT}.get(parts.scheme, 0)
    check = "check the URL and that the server is running."
    try:
        socket.getaddrinfo(host, port or None)
    except OSError:
        return OpenProblem(f"the host name {host} does not resolve; {check}", passing=True)
    if not port:
        return OpenProblem(f"the stream does not answer; {check}", passing=True)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except TimeoutError:
        return OpenProblem(f"{host}:{port} does not answer; {check}", passing=True)
    except OSError as exc:
        why = "connection refused" if isinstance(exc, ConnectionRefusedError) else exc.strerror
        return OpenProblem(f"nothing answers at {host}:{port} ({why or exc}); {check}", True)
    netloc = host if ":" not in host else f"[{host}]"
    bare = parts._replace(netloc=f"{netloc}:{port}").geturl()  # no credentials sent
    if parts.scheme == "rtsp":
        return _rtsp_problem(bare, host, port, timeout)
    if parts.scheme not in ("http", "https"):
        return OpenProblem(_answers_but(host, port))
    try:
        with urllib.request.urlopen(bare, timeout=timeout) as answer:
            kind = answer.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            return OpenProblem(
                "the server asks for a login (HTTP 401); put the user and password in the URL: "
                "http://user:password@host/path."
            )
        if exc.code >= 500:  # the server's own failure
            why = f"the server answered HTTP {exc.code} {exc.reason}"
            return OpenProblem(f"{why} (a camera starting up, or failing).", passing=True)
        why = f"the server answered HTTP {exc.code} {exc.reason}; check the URL's path."
        return OpenProblem(why)
    except (OSError, ValueError) as exc:
        why = f"the server at {host}:{port} did not answer over HTTP ({exc}); {check}"
        # A server that hangs or drops the line may come back; a TLS certificate will not.
        lost = (TimeoutError, ConnectionError)
        return OpenProblem(why, isinstance(getattr(exc, "reason", exc), lost))
    if kind.startswith("multipart/"):  # MJPEG's: it answers, and sends no picture
        return OpenProblem(
            f"the server answers with {kind} but sent no picture OpenCV could decode (a camera "
            "hung or still starting up: restart it if it stays so).",
            passing=True,
        )
    if kind.startswith("video/"):
        return OpenProblem(
            f"the server sends {kind}, which OpenCV could not decode; an MJPEG "
            "(multipart/x-mixed-replace) or an H.264 stream is read."
        )
    return OpenProblem(
        f"the server answered with {kind} (a web page?), not a video stream; use the stream's "
        "own URL (such as http://camera/video.mjpg), not the page that shows it."
    )


def _answers_but(host: str, port: int) -> str:
    """Why a stream whose server answers could not be opened: the URL asks for what is not
    there, or without the login it needs."""
    return (
        f"{host}:{port} answers, but not with a stream OpenCV can open; check the URL's path, "
        "and its user and password if the camera asks for them."
    )


def _rtsp_problem(bare: str, host: str, port: int, timeout: float) -> OpenProblem:
    """Why OpenCV could not open the RTSP stream at `bare` (its URL without credentials), whose
    server takes connections: asked for its OPTIONS, which need no login, a server that says
    nothing within `timeout` s (a hung camera, a port that is no RTSP server's) is told apart
    from one that answers, where the URL's path or login must be wrong."""
    check = (
        f"check that {port} is the camera's RTSP port ({RTSP_PORT} unless its settings say "
        "otherwise) and that the camera is up: restart it if it has hung."
    )
    try:
        answer = _first_bytes(
            (host, port), f"OPTIONS {bare} RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode(), 5, timeout
        )
    except TimeoutError:
        return OpenProblem(
            f"{host}:{port} accepted the connection but sent no RTSP answer within {timeout:g} s "
            f"(timed out); {check}",
            passing=True,
        )
    except OSError as exc:
        return OpenProblem(
            f"{host}:{port} accepted the connection, then failed ({exc.strerror or exc}); {check}",
            passing=True,
        )
    if answer.startswith(b"RTSP/"):
        return OpenProblem(_answers_but(host, port))
    if answer.startswith(b"HTTP/"):
        return OpenProblem(
            f"{host}:{port} answers over HTTP, not RTSP; check the URL's port, or use an "
            "http:// URL if the camera streams over HTTP."
        )
    if not answer:
        why = f"{host}:{port} accepted the connection, then closed it without an RTSP answer"
        return OpenProblem(f"{why}; {check}", passing=True)
    return OpenProblem(f"{host}:{port} answers, but not over RTSP; {check}")


def _first_bytes(address: tuple[str, int], request: bytes, count: int, timeout: float) -> bytes:
    """The first `count` bytes a server answers `request` with, fewer if it closes the
    connection first; TimeoutError when it has not sent them within `timeout` s."""
    deadline = time.monotonic() + timeout
    answer = b""
    with socket.create_connection(address, timeout=timeout) as connection:
        connection.sendall(request)
        while len(answer) < count:
            connection.settimeout(max(deadline - time.monotonic(), 1e-3))
            received = connection.recv(count - len(answer))
            if not received:
                break
            answer += received
    return answer


def _quiet_ffmpeg() -> None:
    """Keep FFmpeg's own messages ("moov atom not found") off stderr: ours say what is wrong and
    what to do. OpenCV reads the variable as it first opens a capture; with -vv (debug logging),
    or when the user set it, FFmpeg says what it says."""
    if not log.isEnabledFor(logging.DEBUG):
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", str(AV_LOG_QUIET))


def mp4_damage(path: Path) -> str | None:
    """What its top-level boxes say is wrong with an MP4 or MOV file (ISO base media), and
    what to do, or None when they look whole or it is no such file: a box running past the
    end (the file is cut short), no index box ('moov', written last: a recording that was
    never finished), or no video track in the index (sound alone: no track's handler is
    'vide')."""
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if _signature(file.read(16)) != ("video", "MP4"):
                return None
            position, boxes, tracks = 0, set(), b""
            while position + 8 <= size:
                file.seek(position)
                header = file.read(16)
                length, kind = int.from_bytes(header[:4], "big"), header[4:8]
                if length == 1:  # a 64-bit size follows the type
                    length = int.from_bytes(header[8:16], "big")
                elif length == 0:  # the last box: it runs to the end of the file
                    length = size - position
                if length < 8 or position + length > size:
                    return f"the MP4 file is cut short (truncated); {_AGAIN}"
                boxes.add(kind)
                if kind == b"moov" and length <= _MOST_INDEX:
                    file.seek(position)
                    tracks = file.read(length)
                position += length
    except OSError:
        return None  # opening it said what there is to say
    if b"moov" not in boxes:
        return (
            "the MP4 file has no index ('moov' box): a recording that was not finished; " + _AGAIN
        )
    # A handler box ('hdlr': size, type, version and flags, 4 bytes unused) names its track's
    # kind: 'vide', 'soun'. (The index's metadata has one too, 'mdir': no track's.)
    kinds = {tracks[at.start() + 12 : at.start() + 16] for at in re.finditer(b"hdlr", tracks)}
    if tracks and b"vide" not in kinds:
        return (
            "the MP4 file holds no video track, only sound or other data: name the video "
            "itself, or save the recording with its picture."
        )
    return None


# --- the Pi camera ----------------------------------------------------------------------------


class PiCamera:
    """A Pi camera through picamera2: the lores YUV420 stream's Y plane is the grey frame.

    The main stream (up to twice the lores size, RGB) stays configured for a live view.
    Mirroring, and turning by 180° (both mirrors), is asked of libcamera, so it costs nothing;
    libcamera cannot turn by 90° or 270°, so that is done on each frame with `orient`.
    """

    pace_fps = None  # the sensor keeps time
    stills = False
    replay = False

    def __init__(self, settings: SourceSettings):
        problem = pi_camera_problem()
        if problem:
            raise SourceError(f"{problem}. {CHOOSE_SOURCE}")
        from libcamera import Transform  # picamera2's own dependency
        from picamera2 import Picamera2  # only on a Pi, only for this source

        half_turn = settings.rotation == 180  # a half turn is both mirrors
        transform = Transform(hflip=settings.hflip ^ half_turn, vflip=settings.vflip ^ half_turn)
        self._rotation = 0 if half_turn else settings.rotation  # left for each frame
        camera = None
        try:  # another program holding the camera fails the constructor itself
            self._camera = camera = Picamera2()
            lores = (settings.width, settings.height)
            sensor = self._camera.sensor_resolution
            main = tuple(
                max(low, min(2 * low, high)) for low, high in zip(lores, sensor, strict=True)
            )
            config = self._camera.create_video_configuration(
                main={"size": main, "format": "RGB888"},
                lores={"size": lores, "format": "YUV420"},
                controls={"FrameRate": settings.frame_rate},
                transform=transform,
            )
            self._camera.align_configuration(config)
            self._camera.configure(config)
            self._width, self._height = self._camera.camera_config["lores"]["size"]
            self._camera.start()
        except Exception as exc:  # libcamera raises plain RuntimeErrors and OSErrors
            if camera is not None:
                camera.close()
            raise CameraBusy(
                f"The Pi camera cannot start ({exc}); is another program using it? (the "
                "service: sudo systemctl stop edge-digits; or rpicam-hello)"
            ) from exc
        self.description = f"picamera2 {self._width}x{self._height}" + _mounting(
            settings.rotation, settings.hflip, settings.vflip
        )
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
        image = orient(yuv[: self._height, : self._width], self._rotation)
        return Frame(image, time.time(), self._skipped(metadata))

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
    stills = False
    replay = False  # made as they are read, paced as a camera

    def __init__(self, settings: SourceSettings, seed: int = 0):
        self.description = f"demo scenes {settings.width}x{settings.height}"
        self._images, self._labels = sample_digits()
        self._rng = np.random.default_rng(seed)
        self._scene_settings = SceneSettings(width=settings.width, height=settings.height)
        self.pace_fps = settings.frame_rate
        self._hold = max(1, round(self.HOLD_S * settings.frame_rate))
        self._shown = self._hold
        self._scene = np.empty(0, np.uint8)
        self._truth = ""

    def read(self) -> Frame:
        self._shown += 1
        if self._shown >= self._hold:
            scene = random_scene(self._images, self._labels, self._rng, self._scene_settings)
            self._scene, self._truth, self._shown = scene.frame, scene.text, 0
        return Frame(self._scene, time.time(), truth=self._truth)

    def skip(self, count: int) -> int:
        self._shown += count
        return count

    def close(self) -> None:
        """Nothing to release."""


# --- choosing a source ------------------------------------------------------------------------


class Oriented:
    """Another source's frames turned and mirrored with OpenCV as the camera is mounted."""

    def __init__(self, source: FrameSource, settings: SourceSettings):
        self._source = source
        self._orient = orientation_of(settings)
        self._mounting = _mounting(settings.rotation, settings.hflip, settings.vflip)
        self.pace_fps = source.pace_fps
        self.stills = source.stills
        self.replay = source.replay

    @property
    def description(self) -> str:  # (a looped folder's count of files changes)
        return self._source.description + self._mounting

    def read(self) -> Frame | None:
        frame = self._source.read()
        if frame is None:
            return None
        return dataclasses.replace(frame, image=self._orient(frame.image))

    def skip(self, count: int) -> int:
        return self._source.skip(count)

    def close(self) -> None:
        self._source.close()


def open_source(
    settings: SourceSettings, ink: str = "auto", named_by: str | None = None
) -> FrameSource:
    """The source `settings.name` names, its frames oriented as `settings` say the camera is
    mounted (image files with transparency laid on a ground for the `ink`, [reading] ink);
    SourceError says what is wrong and how to choose, naming the source as `named_by` does
    (the config's key), else as `--source NAME`."""
    source = _named_source(settings, ink, named_by)
    if isinstance(source, PiCamera) or not (settings.rotation or settings.hflip or settings.vflip):
        return source  # the Pi camera orients its own frames: libcamera does the mirroring
    return Oriented(source, settings)


def _named_source(settings: SourceSettings, ink: str, config_key: str | None) -> FrameSource:
    """The source `settings.name` names; SourceError starting with what named it (the config
    key, else the flag) for a name that is none, and with the config key for a camera or a
    stream that cannot start (the flag's own words are in the camera's message)."""
    name = settings.name.strip()
    named_by = config_key or f"--source {name}"
    if name == "auto":
        return _first_camera(settings)
    if name == "picamera2":
        with _named(config_key):
            return PiCamera(settings)
    if name == "demo":
        return DemoScenes(settings)
    if name.startswith("webcam:"):
        index = name.removeprefix("webcam:")
        if not index.isdigit():
            raise SourceError(f"{named_by}: the webcam number must be 0, 1, ... (webcam:0)")
        with _named(config_key):
            return Capture(int(index), settings, live=True)
    if "://" in name:
        with _named(config_key):
            return Capture(name, settings, live=True)
    path = Path(name)
    if path.is_file():
        kind = file_kind(path)
        if kind == "video":
            return Capture(name, settings, live=False)
        if kind is None:
            raise SourceError(
                f"{named_by}: not an image or a video (neither its name nor its first "
                f"bytes say it is one). {CHOOSE_SOURCE}"
            )
    try:
        paths = image_paths(name)
    except SourceError as exc:
        raise SourceError(f"{named_by}: {exc} {CHOOSE_SOURCE}") from None
    pace_fps = settings.frame_rate if settings.realtime else None
    return ImageFiles(paths, pace_fps, settings.loop, settings.max_pixels, ink, name)


def open_when_there(
    settings: SourceSettings,
    ink: str = "auto",
    named_by: str | None = None,
    waiting: Callable[[str, float], None] | None = None,
) -> FrameSource:
    """`open_source`; given `waiting` (run as a service: systemd's notifier, `edge.systemd`), a
    webcam or stream that is not there yet (`SourceUnavailable`: unplugged, its server down,
    the network not up yet after a power cut) is waited for rather than raised: warned of
    once, tried again after FIRST_RETRY_S, then twice as long each time up to
    LONGEST_RETRY_S, and `waiting` told before each wait what is waited for and for how long
    at most until the next try has answered (the wait and OPEN_ALLOWANCE_S). Any other
    SourceError is raised: a wrong setting does not mend itself."""
    wait, since = FIRST_RETRY_S, None
    while True:
        try:
            source = open_source(settings, ink, named_by)
        except SourceUnavailable as exc:
            if waiting is None:
                raise
            if since is None:
                since = time.monotonic()
                log.warning(
                    "%s Waiting for it: trying again in %g s, then at most every %g s.",
                    exc,
                    wait,
                    LONGEST_RETRY_S,
                )
            # (`systemctl status` shows one line: what is waited for, not how to choose another.)
            why = str(exc).removesuffix(CHOOSE_SOURCE).strip()
            waiting(f"waiting for the source: {why}", wait + OPEN_ALLOWANCE_S)
            time.sleep(wait)
            wait = min(2 * wait, LONGEST_RETRY_S)
            continue
        if since is not None:
            waited = time.monotonic() - since
            log.warning("%s is there, after %.0f s of waiting.", source.description, waited)
        return source


@contextmanager
def _named(config_key: str | None) -> Iterator[None]:
    """SourceErrors raised inside start with `config_key` when there is one: a camera the
    config names that cannot start says which file to change (a desktop given the Pi's
    config, say)."""
    try:
        yield
    except SourceError as exc:
        if config_key is None:
            raise
        raise type(exc)(f"{config_key}: {exc}") from exc  # a CameraBusy stays one


def file_kind(path: Path) -> str | None:
    """What `path` is, "image" or "video", by its name, else by its first bytes; None for
    neither. A file that cannot be opened counts as an image: reading it then says why."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    try:
        announced = announced_format(path)
    except OSError:
        return "image"
    return announced[0] if announced else None


def announced_format(path: Path) -> tuple[str, str] | None:
    """(kind, format) that a file's first bytes announce, e.g. ("image", "PNG"), or None for
    none this module knows. Raises OSError for a file that cannot be read."""
    with path.open("rb") as file:
        return _signature(file.read(16))


def announced_as(path: Path) -> str | None:
    """What a file's first bytes say it is, for people ("a PNG image", "an MP4 video"); None
    when they say nothing this module knows, or the file cannot be read."""
    try:
        announced = announced_format(path)
    except OSError:
        return None
    if announced is None:
        return None
    kind, name = announced
    # "an MP4", "a JPEG" (spelt out letter by letter); "an Ogg", "a WebP" (read as a word).
    vowel_sound = name[0] in ("AEFHILMNORSX" if name.isupper() or name[-1].isdigit() else "AEIOU")
    return f"{'an' if vowel_sound else 'a'} {name} {kind}"


# Where Raspberry Pi OS's apt installs picamera2 (python3-picamera2), for every Python 3.
APT_PACKAGES = Path("/usr/lib/python3/dist-packages")


def pi_camera_problem() -> str | None:
    """Why the Pi camera cannot be used here, or None when picamera2 sees a camera. picamera2
    comes from apt (into APT_PACKAGES), and a virtual environment made without
    --system-site-packages does not see it: installed, yet not importable here."""
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        reraise_interrupt(exc)  # a Ctrl-C while libcamera loads is no missing package
        if (APT_PACKAGES / "picamera2").is_dir() and sys.prefix != sys.base_prefix:
            return (
                f"picamera2 is installed ({APT_PACKAGES}) but this virtual environment "
                f"({sys.prefix}) does not see the system's packages; make it with "
                "python3 -m venv --system-site-packages and pip install -e '.[pi]', or install "
                "with sudo deploy/install.sh"
            )
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
        raise SourceUnavailable(  # a USB camera may be plugged in
            f"No camera found: {pi_problem}, and there is no webcam 0. {CHOOSE_SOURCE}"
        ) from None
