"""A block of writing found as one line that is a list's rows, one above the other: the rows
told apart by the gaps in its ink, row by row.

The finder joins pieces into lines by how near they are; rows of a list written close (0.2-0.4
digit heights apart), or linked by noise round the ink (a JPEG of blue ink on a yellow note),
can become one tall line, which the reader reads as nothing or as a stray mark. Across such a
block, the ink stops between its rows: bands of ink with bare paper between them
(`rows_of_a_block`), each to be read as a frame of its own (`edge.pipeline`).
"""

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


def rows_of_a_block(grey: np.ndarray) -> list[tuple[int, int]]:
    """The rows of writing in `grey` (uint8 `(H, W)`, ink dark: a block's box, cut from the
    frame), as (top, bottom) pixel rows to cut it at, bottom exclusive, top to bottom; []
    when it holds fewer than two rows apart.

    Ink is what Otsu's threshold (Otsu 1979) parts from the paper; a pixel row holding under
    `_GAP_INK` of the inked rows' median ink is a gap. Bands of ink apart by gaps at least
    `_LEAST_GAP` of their median height, each at least `_LEAST_BAND` of it, are rows; each is
    cut with up to `_MARGIN` of its height of the gaps round it."""
    if grey.shape[0] < 8 or grey.shape[1] < 2:
        return []
    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    profile = ink.mean(axis=1)
    inked = profile[profile > 0]
    if not len(inked):
        return []
    full = profile > _GAP_INK * float(np.median(inked))
    # Runs of inked pixel rows: [start, end) each.
    edges = np.flatnonzero(np.diff(np.concatenate(([0], full.view(np.int8), [0]))))
    runs = edges.reshape(-1, 2)
    if len(runs) < 2:
        return []
    height = float(np.median(runs[:, 1] - runs[:, 0]))
    bands = [list(runs[0])]
    for start, end in runs[1:]:
        if start - bands[-1][1] < _LEAST_GAP * height:
            bands[-1][1] = end  # a stroke's gap within a row
        else:
            bands.append([start, end])
    height = float(np.median([end - start for start, end in bands]))
    bands = [band for band in bands if band[1] - band[0] >= _LEAST_BAND * height]
    if len(bands) < 2:
        return []
    rows = []
    for index, (start, end) in enumerate(bands):
        above = bands[index - 1][1] if index else 0
        below = bands[index + 1][0] if index + 1 < len(bands) else grey.shape[0]
        margin = round(_MARGIN * (end - start))
        top = max(above + (start - above) // 2, start - margin)
        rows.append((int(top), int(min(end + (below - end) // 2, end + margin))))
    return rows
