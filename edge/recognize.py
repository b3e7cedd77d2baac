"""`python -m edge recognize PATH...`: one JSON line per image; one bad file stops nothing.

A read image gives `{"path", "text", "lines", "digits": [{"digit", "confidence", "box": [x, y,
w, h]}]}` with digits in reading order ("digit" null where unsure), each line of writing's
read-out apart in "lines" ("123" above "456": text "123456", lines ["123", "456"]; the numbers
a sum's signs part too: "5 x 3 = 15" is lines ["5", "3", "15"]), boxes in the image's own
pixels (once turned by --rotation, --hflip, --vflip), and "empty_reason" when nothing is read on
it (a blank sheet too: that is an answer); an unreadable one gives `{"path", "error"}` saying what
is wrong. A file name that is not UTF-8 has each byte that is not written `\\xff`, as
strict JSON parsers need. A closed stdout (`| head -1`) ends it quietly; one that cannot be written
(a full disk) ends it with `WriteFailed`.
"""

import logging
import shlex
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from edge.ink import FrameError
from edge.interrupts import write_line
from edge.outputs import unwritable
from edge.outputs.payloads import digit_payload, json_text
from edge.pipeline import DigitReader
from edge.reading import text_of
from edge.sources import (
    DEFAULT_MAX_PIXELS,
    SourceError,
    UnreadableFrame,
    decode_image,
    file_kind,
    image_paths,
    orient,
)

log = logging.getLogger(__name__)
Orient = Callable[[np.ndarray], np.ndarray]  # an image as the camera was mounted


class WriteFailed(Exception):
    """The lines cannot be written (a full disk): every line after would be lost too, so no
    more images are read. The message is the error and what to do (`edge.outputs.unwritable`)."""


def recognize_all(
    specs: Iterable[str],
    reader: DigitReader,
    out: TextIO,
    upright: Orient = orient,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> int:
    """Write one line per image that the files, directories or globs in `specs` name, each
    turned by `upright` first (`sources.orientation_of` the [source] settings); a file that
    declares more than `max_pixels` is an error line, unread.

    Returns 1 when any file (or a spec that names none) failed, else 0; WriteFailed when
    `out` cannot be written.
    """
    failed = False
    for spec in specs:
        try:
            paths = image_paths(spec)
        except SourceError as exc:
            _write(out, {"path": spec, "error": str(exc)})
            failed = True
            continue
        for path in paths:
            line = recognize_file(path, reader, upright, max_pixels)
            if "error" in line:
                failed = True
                log.info("%s: not read: %s", path, line["error"])  # as a read one is, at -v
            _write(out, line)
    return 1 if failed else 0


def recognize_file(
    path: Path,
    reader: DigitReader,
    upright: Orient = orient,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> dict[str, Any]:
    """The read-out of one image (boxes in its pixels once turned upright, even when a large
    photo was decoded reduced), or what made it unreadable. A picture with transparency is laid
    on a ground for the ink the reader is told to find (`decode_image`)."""
    if file_kind(path) == "video":  # named so, or so its first bytes say
        return {
            "path": str(path),
            "error": f"{path}: a video, not an image; recognize reads images, and "
            f"python -m edge --source {shlex.quote(str(path))} reads a video.",
        }
    try:
        image, reduced = decode_image(path, max_pixels, reader.find.ink)
        read = reader.read(upright(image))
    except UnreadableFrame as exc:
        return {"path": str(path), "error": str(exc)}
    except FrameError as exc:
        return {"path": str(path), "error": f"{path}: {exc}"}
    line = {
        "path": str(path),
        "text": text_of(read.digits),
        "lines": list(read.lines),
        "digits": [digit_payload(d.scaled(reduced)) for d in read.digits],
    }
    if read.empty_reason:
        line["empty_reason"] = read.empty_reason
    # At -v: what the finder made of it, so that a bad picture is told from a bad guess.
    log.info(
        "%s: %dx%d%s, %s ink, %d line(s) of ink found, %d read: %s; finding %.1f ms, reading "
        "%.1f ms",
        path,
        image.shape[1],
        image.shape[0],
        f" (decoded at 1/{reduced})" if reduced > 1 else "",
        read.ink,
        read.lines_found,
        len(read.lines),
        repr(line["text"]) if line["text"] else read.empty_reason,
        read.find_ms,
        read.read_ms,
    )
    return line


def _write(out: TextIO, line: dict[str, Any]) -> None:
    try:
        write_line(out, json_text(line))
    except OSError as exc:
        raise WriteFailed(unwritable(exc)) from exc
