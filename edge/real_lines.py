"""Lines of real handwriting made from labelled photos of single digits, for `bench --real-lines`.

A folder of single-digit photos by several writers (`4_me_1.jpg`: the digit, then the writer)
holds no line of several digits, yet lines are what a camera sees. The lines made here are
strings of 2-5 of one writer's own digits: each photo is cut to the ink the finder finds in it,
relative to its own paper, scaled to one height (50-90 px) and set on one white page, the
digits' ink a chosen gap apart (in digit heights: 0 is ink boxes touching), each digit a little
above or below the last; or each digit scaled to a size of its own about that height, their
feet on one line, as people write (`uneven`). Or several such lines one under another on the
page, as a list is written (`rows`, 30-55 px tall then, a chosen pitch apart). Or each on a
sticky note filling the view, in a pen of any colour, photographed (`on_notes`). The strokes are
a real pen's, the spacing is chosen: how the reader copes with real writing set close is
measured, which neither the photos alone nor generated scenes measure. A line made from the
photos a reader is developed on measures it; tuning on it would only fit those photos.
"""

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.ink import FrameError, ink_darkness, paper_brightness, to_grey
from edge.lines import find_lines
from edge.scenes import on_a_note
from edge.sources import UnreadableFrame, decode_image

LINE_GAPS = (0.4, 0.2, 0.1, 0.05, 0.0)  # digit heights between neighbours' ink
FRAME_SIZE = (640, 480)  # px (width, height) of the page a line is set on
_PAPER = 225  # grey level of that page; its ink is as dark, relative to it, as in the photo
_INK = 0.3  # darkness (of full black, relative to the paper) under which a pixel is paper
_FAINT = 0.15  # darkness, over the paper's grain, that is still ink
_SPECK = 0.01  # of the line's height: ink thinner than this both ways is the paper's
_GRAIN = 90  # percentile of the paper's darkness around the ink taken as its grain
_HEIGHTS = (50, 90)  # px: a line's digits are scaled to one height in this range
_LENGTHS = (2, 5)  # digits a line holds, both included
_PHOTO_NAME = re.compile(r"^(\d)_([^_]+)_")  # <digit>_<writer>_<n>.<ext>
_JITTER = 0.1  # of the height: each digit sits up to this far above or below the line
_ROW_HEIGHTS = (30, 55)  # px: a page of several lines holds smaller writing, all in view


@dataclass(frozen=True)
class RealLine:
    writer: str
    gap: float  # between neighbouring digits' ink, in digit heights
    text: str  # the digits in reading order (a page of several lines: line after line)
    frame: np.ndarray  # uint8 [480, 640, 3] BGR
    note: tuple[str, str] | None = None  # on a note (`on_notes`): its colour, and the pen


def ink_cut(image: np.ndarray) -> np.ndarray | None:
    """float32 `[h, w]` in 0-1: the ink darkness (relative to the paper under it, `edge.ink`)
    of the tallest line of writing `find_lines` finds in a photo (uint8 grey or BGR), less
    the paper's grain, cut to the rows and columns of that line that hold ink; None when the
    photo holds no ink the finder takes for writing. Raises edge.ink.FrameError for a frame
    that is not an image (`find_lines`)."""
    found = find_lines(image).lines
    if not found:
        return None
    line = max(found, key=lambda line: line.geometry.height)
    grey = to_grey(image)
    x, y, w, h = line.box  # the line image's reach, its margins round the ink included
    widest = max(3, round(0.4 * max(w, h)))
    darkness = ink_darkness(grey, paper_brightness(grey, widest))[y : y + h, x : x + w]
    # The paper's grain, a shade darker than the paper estimate here and there, would set the
    # cut off as a grey patch on the page: the paper around the ink says how dark it gets.
    paper = darkness[darkness < _INK * 255]
    grain = float(np.percentile(paper, _GRAIN)) if paper.size else 0.0
    cut = np.clip((darkness.astype(np.float32) - grain) / (255.0 - grain), 0.0, 1.0)
    # Not to the line's own extent: a close-up's long straight stroke (a 7's bar) is taken for
    # a printed line and left out of it, though the reader reads it. Cut to the rows and
    # columns that hold ink, faint ink too (a pencil's stem), less the paper's specks (what an
    # opening by a hundredth of the line's height takes away).
    size = max(1, round(_SPECK * cut.shape[0]))
    ink = cv2.morphologyEx((cut >= _FAINT).view(np.uint8), cv2.MORPH_OPEN, np.ones((size, size)))
    rows = np.flatnonzero(ink.any(axis=1))
    columns = np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return None
    return cut[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]


def set_on_page(
    cuts: list[np.ndarray],
    gap: float,
    height: int,
    rng: np.random.Generator,
    uneven: float = 0.0,
) -> np.ndarray | None:
    """uint8 `[480, 640, 3]`: the ink `cuts` (float32 darkness, each cut to its ink) scaled to
    `height` px and set left to right on a white page, `gap` heights apart, centred; None when
    they do not fit across the page. With `uneven` (0-1), each digit is scaled to its own
    height instead, `height` times 1 - `uneven` to 1 + `uneven` (drawn at random), their feet on
    one line."""
    return set_rows_on_page([cuts], gap, height, rng, uneven)


def set_rows_on_page(
    rows: list[list[np.ndarray]],
    gap: float,
    height: int,
    rng: np.random.Generator,
    uneven: float = 0.0,
    pitch: float = 1.5,
) -> np.ndarray | None:
    """`set_on_page` for several lines (`rows`, each a line's ink cuts), one under another,
    `pitch` heights from one line's top to the next's, the lines as a whole centred and each
    shifted sideways by up to half a height; None when they do not fit on the page."""
    page_w, page_h = FRAME_SIZE
    jitter = round(_JITTER * height)
    ink = np.zeros((page_h, page_w), np.float32)
    first = (page_h - height) // 2 - round((len(rows) - 1) * pitch * height / 2)
    for index, cuts in enumerate(rows):
        heights = [height] * len(cuts)
        if uneven:
            heights = [max(1, round(height * rng.uniform(1 - uneven, 1 + uneven))) for _ in cuts]
        scaled = [
            cv2.resize(
                cut, (max(1, round(cut.shape[1] * tall / cut.shape[0])), tall), cv2.INTER_AREA
            )
            for cut, tall in zip(cuts, heights, strict=True)
        ]
        space = round(gap * height)
        width = sum(s.shape[1] for s in scaled) + space * (len(scaled) - 1)
        top = first + round(index * pitch * height)
        shift = int(rng.integers(-(height // 2), height // 2 + 1)) if len(rows) > 1 else 0
        x = (page_w - width) // 2 + shift
        fits = x >= jitter and x + width <= page_w - jitter
        if not fits or top + height - max(heights) - jitter < 0 or top + height + jitter > page_h:
            return None
        for piece in scaled:
            # (Feet on one line: without `uneven`, the tops are.)
            y = top + height - piece.shape[0] + int(rng.integers(-jitter, jitter + 1))
            region = ink[y : y + piece.shape[0], x : x + piece.shape[1]]
            np.maximum(region, piece, out=region)
            x += piece.shape[1] + space
    grey = np.clip(_PAPER * (1.0 - ink), 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def writers_digits(folder: Path) -> tuple[dict[str, dict[int, np.ndarray]], dict[str, str]]:
    """Writer -> digit -> its ink cut (`ink_cut`), from the photos in `folder` named
    `<digit>_<writer>_<n>.<ext>` (each writer's first photo of a digit, by name), and the
    photos left out, each with why: unreadable, too small to be a frame, or no ink found. Only
    writers with two digits or more are kept: a line needs two."""
    cuts: dict[str, dict[int, np.ndarray]] = defaultdict(dict)
    left_out = {}
    for path in sorted(folder.iterdir()):
        match = _PHOTO_NAME.match(path.name)
        if not match or not path.is_file():
            continue
        digit, writer, name = int(match.group(1)), match.group(2), path.name
        if digit in cuts[writer]:
            continue
        try:
            image, _ = decode_image(path)
            cut = ink_cut(image)
        except (UnreadableFrame, FrameError) as exc:
            left_out[name] = str(exc)
            continue
        if cut is None:
            left_out[name] = "no ink found"
            continue
        cuts[writer][digit] = cut
    return {writer: digits for writer, digits in cuts.items() if len(digits) >= 2}, left_out


def real_lines(
    cuts: dict[str, dict[int, np.ndarray]],
    per_writer: int,
    gaps: Sequence[float],
    seed: int,
    uneven: float = 0.0,
    rows: int = 1,
    pitch: float = 1.5,
    on_notes: bool = False,
) -> Iterator[RealLine]:
    """For each gap, `per_writer` lines of each writer's digits (`writers_digits`): 2-5 of
    them, drawn at random (repeats allowed) with `seed`, in sizes as `uneven` as
    `set_on_page` makes them; a line too long for the page is drawn again, up to ten times.
    With `rows` over 1, pages of that many such lines (30-55 px tall), one under another
    `pitch` heights apart (`set_rows_on_page`). With `on_notes`, the same lines each written
    on a sticky note filling the view, in a pen of any colour, and photographed
    (`edge.scenes.on_a_note`). Made one at a time, as they are asked for: a page is 0.9 MB."""
    rng = np.random.default_rng(seed)
    # (A stream of its own: the lines are the same with notes or without.)
    notes = np.random.default_rng([seed, 1])
    for gap in gaps:
        for writer, digits in sorted(cuts.items()):
            known = sorted(digits)
            for _ in range(per_writer):
                for _attempt in range(10):
                    texts = []
                    for _row in range(rows):
                        count = int(rng.integers(_LENGTHS[0], _LENGTHS[1] + 1))
                        texts.append([known[i] for i in rng.integers(0, len(known), count)])
                    low, high = _HEIGHTS if rows == 1 else _ROW_HEIGHTS
                    height = int(rng.integers(low, high + 1))
                    ink = [[digits[d] for d in text] for text in texts]
                    frame = set_rows_on_page(ink, gap, height, rng, uneven, pitch)
                    if frame is None:
                        continue
                    read_out = "".join(str(d) for text in texts for d in text)
                    note = None
                    if on_notes:
                        ink = 1.0 - frame[..., 0].astype(np.float32) / _PAPER
                        frame, colour, pen = on_a_note(ink, notes)
                        note = (colour, pen)
                    yield RealLine(writer, gap, read_out, frame, note)
                    break
