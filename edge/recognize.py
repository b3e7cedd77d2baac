"""`python -m edge recognize PATH...`: one JSON line per image; one bad file stops nothing.

A read image gives `{"path", "text", "digits": [{"digit", "confidence", "box": [x, y, w, h]}]}`
with digits in reading order ("digit" null where unsure) and boxes in the image's own pixels;
an unreadable one gives `{"path", "error"}` saying what is wrong.
"""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from edge.outputs.payloads import digit_payload
from edge.pipeline import DigitReader
from edge.reading import text_of
from edge.segment import FrameError
from edge.sources import SourceError, UnreadableFrame, image_paths, read_image


def recognize_all(specs: Iterable[str], reader: DigitReader, out: TextIO) -> int:
    """Write one line per image that the files, directories or globs in `specs` name.

    Returns 1 when any file (or a spec that names none) failed, else 0.
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
            line = recognize_file(path, reader)
            failed |= "error" in line
            _write(out, line)
    return 1 if failed else 0


def recognize_file(path: Path, reader: DigitReader) -> dict[str, Any]:
    """The read-out of one image (boxes in its own pixels), or what made it unreadable."""
    try:
        digits, _, _ = reader.read(read_image(path))
    except UnreadableFrame as exc:
        return {"path": str(path), "error": str(exc)}
    except FrameError as exc:
        return {"path": str(path), "error": f"{path}: {exc}"}
    return {
        "path": str(path),
        "text": text_of(digits),
        "digits": [digit_payload(d) for d in digits],
    }


def _write(out: TextIO, line: dict[str, Any]) -> None:
    out.write(json.dumps(line) + "\n")
    out.flush()
