"""A block of writing found as one line that is a list's rows, one above the other: the rows
told apart by the gaps in its ink, row by row.

The finder joins pieces into lines by how near they are; rows of a list written close (0.2-0.4
digit heights apart), or linked by noise round the ink (a JPEG of blue ink on a yellow note),
can become one tall line, which the reader reads as nothing or as a stray mark. Across such a
block, the ink stops between its rows: bands of ink with bare paper between them; or, rows
written so close that a stroke of one reaches into the next (a column sum on squared paper),
rows of its pieces (`rows_of_a_block`), each to be read as a frame of its own
(`edge.pipeline`).
"""

import itertools

import cv2
import numpy as np

# A row with at most this share of the block's inked rows' median ink is a gap between rows:
# noise and a stray stroke's end leave a little.
_GAP_INK = 0.08
# Bands under this (of the median band's height) are a stroke's end or a speck, not a row; and
# a gap under this (of it) is within a digit (a broken stroke), not between rows.
_LEAST_BAND = 0.4
_LEAST_GAP = 0.05
_MARGIN = 0.25  # of a band's height: paper kept above and below it, within the gaps
_ACROSS = 0.6  # of a block's width: a straight line across it this long is no writing
_LINE_ROWS = 5  # px: such a line is looked for this thick (a line seen turned steps a row)
_PIECE = 0.1  # of a block's height: pieces under this both ways are specks
_MANY_ROWS = (3, 6)  # rows told apart by their pieces alone: at least, at most
_EVEN_ROWS = 2.0  # the tallest of them at most this many times the shortest
_MOST_INK = 0.3  # of a block's area: more ink than this is a texture's, no rows of writing


def rows_of_a_block(grey: np.ndarray) -> list[tuple[int, int]]:
    """The rows of writing in `grey` (uint8 `(H, W)`, ink dark: a block's box, cut from the
    frame), as (top, bottom) pixel rows to cut it at, bottom exclusive, top to bottom; []
    when it holds fewer than two rows apart.

    Ink is what Otsu's threshold (Otsu 1979) parts from the paper (over `_MOST_INK` of the
    block, it is a texture's, and there are no rows), less lines across the block and specks
    (`_writing`); a pixel row holding under `_GAP_INK` of the inked rows' median ink is a gap.
    Bands of ink apart by gaps at least `_LEAST_GAP` of their median height, each at least
    `_LEAST_BAND` of it, are rows; with fewer than three, rows told apart by the block's
    pieces (`_rows_of_pieces`), when those are 3-6 rows of about one height (`_EVEN_ROWS`).
    Each row is cut with up to `_MARGIN` of its height of the gaps round it."""
    if grey.shape[0] < 8 or grey.shape[1] < 2:
        return []
    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if ink.mean() > _MOST_INK:  # a texture's blotches, about as dark as its light: no writing
        return []
    ink = _writing(ink)
    profile = ink.mean(axis=1)
    inked = profile[profile > 0]
    if not len(inked):
        return []
    full = profile > _GAP_INK * float(np.median(inked))
    # Runs of inked pixel rows: [start, end) each.
    edges = np.flatnonzero(np.diff(np.concatenate(([0], full.view(np.int8), [0]))))
    runs = edges.reshape(-1, 2)
    bands: list[list[int]] = []
    if len(runs):
        height = float(np.median(runs[:, 1] - runs[:, 0]))
        bands = [list(runs[0])]
        for start, end in runs[1:]:
            if start - bands[-1][1] < _LEAST_GAP * height:
                bands[-1][1] = end  # a stroke's gap within a row
            else:
                bands.append([start, end])
        bands = _without_slivers(bands)
    if len(bands) < _MANY_ROWS[0]:
        # Rows so close that a stroke of one reaches into the next leave no pixel row bare
        # between them (a column sum on squared paper, each digit filling its square): told
        # apart by their pieces, when that finds a few rows of about one height (two halves of
        # a row cut by a rule erased through it would be two).
        pieces = _without_slivers(_rows_of_pieces(ink))
        heights = np.array([end - start for start, end in pieces])
        even = len(pieces) and heights.max() <= _EVEN_ROWS * heights.min()
        if _MANY_ROWS[0] <= len(pieces) <= _MANY_ROWS[1] and even:
            bands = pieces
    if len(bands) < 2:
        return []
    return _with_margins(bands, grey.shape[0])


def _without_slivers(bands: list[list[int]]) -> list[list[int]]:
    """The bands (top, bottom) at least `_LEAST_BAND` of their median height: others are a
    stroke's end or a speck, not a row."""
    if not bands:
        return []
    height = float(np.median([end - start for start, end in bands]))
    return [band for band in bands if band[1] - band[0] >= _LEAST_BAND * height]


def _writing(ink: np.ndarray) -> np.ndarray:
    """`ink` (uint8 0/1, a block) less what is no row's writing: straight lines across
    `_ACROSS` of its width (a grid's or a ruled page's lines, which fill the gaps between
    rows; a column sum's bar), looked for `_LINE_ROWS` pixel rows thick, as a line a degree or
    two turned steps; and pieces under `_PIECE` of its height both ways (specks, the ends of
    a grid's upright lines)."""
    height, width = ink.shape
    thick = cv2.dilate(ink, np.ones((_LINE_ROWS, 1), np.uint8))
    length = max(1, round(_ACROSS * width))
    lines = cv2.morphologyEx(thick, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
    ink = cv2.subtract(ink, lines)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    least = _PIECE * height
    small = (stats[:, cv2.CC_STAT_WIDTH] < least) & (stats[:, cv2.CC_STAT_HEIGHT] < least)
    small[0] = False  # the paper
    return np.where(small[labels], 0, ink).astype(np.uint8)


def _rows_of_pieces(ink: np.ndarray) -> list[list[int]]:
    """[start, end) pixel rows of the rows of writing in `ink` (uint8 0/1, `_writing`), told
    apart by its pieces: rows written so close that a stroke of one reaches into the next (a
    column sum on squared paper, each digit filling its square) leave no pixel row bare. Each
    piece joins the row before it when it overlaps that row's band (its pieces' median top
    to median bottom: not a piece reaching into the next row) by half the lower of their
    heights, else starts one; rows are cut halfway where their bands overlap."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    spans = sorted(
        (int(top), int(top + tall))
        for top, tall in stats[1:count, [cv2.CC_STAT_TOP, cv2.CC_STAT_HEIGHT]]
    )
    rows: list[list[tuple[int, int]]] = []  # each row's pieces
    for top, bottom in spans:
        if rows:
            above, below = _band(rows[-1])
            if min(bottom, below) - max(top, above) >= 0.5 * min(bottom - top, below - above):
                rows[-1].append((top, bottom))
                continue
        rows.append([(top, bottom)])
    bands = [list(_band(pieces)) for pieces in rows]
    for upper, lower in itertools.pairwise(bands):
        if upper[1] > lower[0]:
            upper[1] = lower[0] = (upper[1] + lower[0]) // 2
    return bands


def _band(pieces: list[tuple[int, int]]) -> tuple[int, int]:
    """The pixel rows most of a row's pieces (top, bottom) span: their median top and
    bottom."""
    tops, bottoms = zip(*pieces, strict=True)
    return int(np.median(tops)), int(np.median(bottoms))


def _with_margins(bands: list[list[int]], height: int) -> list[tuple[int, int]]:
    """The bands (top, bottom) of a block `height` px tall, each with up to `_MARGIN` of its
    height of the gaps round it (they are cut halfway between)."""
    rows = []
    for index, (start, end) in enumerate(bands):
        above = bands[index - 1][1] if index else 0
        below = bands[index + 1][0] if index + 1 < len(bands) else height
        margin = round(_MARGIN * (end - start))
        top = max(above + (start - above) // 2, start - margin)
        rows.append((int(top), int(min(end + (below - end) // 2, end + margin))))
    return rows
