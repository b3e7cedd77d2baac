"""A contact sheet of misread pictures, like training's misclassified.png: one tile each, the
picture (cropped around the writing, or whole) with the boxes the reader found, what is written
and what was read. Drawn with OpenCV, since the bench runs on the Pi, where matplotlib is not."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.events import Box

MAX_TILES = 48  # enough to see the kinds of failure; a sheet of hundreds is not looked at
COLUMNS = 6
PICTURE_W, PICTURE_H = 224, 168  # each tile's picture: a camera's 4:3
CAPTION_H = 73  # four lines: the name, what is written, what was read (two, with why not)
CAPTION_LINE_H = 17
TITLE_H = 28
GAP = 6  # white between tiles, so neighbouring pictures do not run into each other
MARGIN = 0.4  # around the writing, in digit heights: enough to see what is next to it
NAME_CHARS = 28  # what fits a tile's width
_FONT, _SCALE = cv2.FONT_HERSHEY_SIMPLEX, 0.45
_INK, _GREY = (0, 0, 0), (110, 110, 110)
_WRONG = (40, 40, 220)  # BGR red: the reading, and the boxes it came from


@dataclass(frozen=True)
class Misread:
    """A picture read wrong: `reading` None when it could not be read at all, `image` None when
    it could not even be decoded; `focus` the part worth showing (the writing), else all of it;
    `why` nothing was read, when nothing was."""

    name: str
    truth: str
    reading: str | None
    image: np.ndarray | None
    found: tuple[Box, ...] = ()
    focus: Box | None = None
    why: str | None = None


def write_sheet(misreads: Sequence[Misread], title: str, path: Path) -> int:
    """Draw the first MAX_TILES of `misreads` under `title` into the PNG at `path`; the number
    of tiles. Raises OSError when the file cannot be written."""
    shown = list(misreads[:MAX_TILES])
    columns = min(len(shown), COLUMNS)
    rows = -(-len(shown) // COLUMNS)
    tile_w, tile_h = PICTURE_W + GAP, PICTURE_H + CAPTION_H
    title_w = cv2.getTextSize(title, _FONT, _SCALE, 1)[0][0] + 12
    sheet = np.full((TITLE_H + rows * tile_h, max(columns * tile_w, title_w), 3), 255, np.uint8)
    _text(sheet, title, (6, 19), _INK)
    for number, misread in enumerate(shown):
        top, left = TITLE_H + number // COLUMNS * tile_h, number % COLUMNS * tile_w
        sheet[top : top + PICTURE_H, left : left + PICTURE_W] = _picture(misread)
        name = misread.name
        if len(name) > NAME_CHARS:
            name = "..." + name[3 - NAME_CHARS :]  # the end: a file name's number, a condition
        lines = [(name, _GREY), (f"written {misread.truth}", _INK)]
        lines += [(line, _WRONG) for line in _wrapped(_what_was_read(misread), PICTURE_W - 8)]
        for line_number, (text, colour) in enumerate(lines[: CAPTION_H // CAPTION_LINE_H]):
            baseline = top + PICTURE_H + 16 + line_number * CAPTION_LINE_H
            _text(sheet, text, (left + 4, baseline), colour)
    png = cv2.imencode(".png", sheet)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png.tobytes())
    return len(shown)


def _what_was_read(misread: Misread) -> str:
    if misread.reading is None:
        return "read (could not read it)"
    if not misread.reading:
        return f"read nothing ({misread.why})" if misread.why else "read nothing"
    return f"read {misread.reading}"


def _wrapped(text: str, width: int) -> list[str]:
    """`text` in lines no wider than `width` px, broken between words (a word wider than that
    has a line of its own)."""
    lines = [""]
    for word in text.split():
        longer = f"{lines[-1]} {word}".lstrip()
        if lines[-1] and cv2.getTextSize(longer, _FONT, _SCALE, 1)[0][0] > width:
            lines.append(word)
        else:
            lines[-1] = longer
    return lines


def _picture(misread: Misread) -> np.ndarray:
    """The tile's picture: the focus (with a margin) or the whole image, fitted in and centred,
    with the found boxes drawn in; a grey field when there is no image."""
    tile = np.full((PICTURE_H, PICTURE_W, 3), 200, np.uint8)
    image = misread.image
    if image is None:
        return tile
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    x0, y0, x1, y1 = _view(misread.focus, image.shape[1], image.shape[0])
    scale = min(PICTURE_W / (x1 - x0), PICTURE_H / (y1 - y0))
    width, height = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    shrink = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    left, top = (PICTURE_W - width) // 2, (PICTURE_H - height) // 2
    tile[top : top + height, left : left + width] = cv2.resize(
        image[y0:y1, x0:x1], (width, height), interpolation=shrink
    )
    for x, y, w, h in misread.found:
        corner = (left + round((x - x0) * scale), top + round((y - y0) * scale))
        far = (corner[0] + round(w * scale), corner[1] + round(h * scale))
        cv2.rectangle(tile, corner, far, _WRONG, 1)
    return tile


def _view(focus: Box | None, width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the focus box grown by MARGIN of its height on each side, inside the
    image; the whole image without one."""
    if focus is None:
        return 0, 0, width, height
    x, y, w, h = focus
    pad = round(MARGIN * h) + 8
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(width, x + w + pad), min(height, y + h + pad)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else (0, 0, width, height)


def _text(sheet: np.ndarray, text: str, origin: tuple[int, int], colour: tuple[int, ...]) -> None:
    cv2.putText(sheet, text, origin, _FONT, _SCALE, colour, 1, cv2.LINE_AA)
