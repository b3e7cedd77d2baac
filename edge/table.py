"""What lies round the writing and is not writing: the table round a sheet or card (its
outline, a strip of it along the frame's edge, a sliver of it beside a turned page), the
shadow a sheet casts on it, a shadow's dark tips at the border, and the rim of a darker thing
in view (a thumb holding the page). The finder (`edge.lines`) takes these out of the ink
before it groups lines. All functions are pure: numpy arrays in, numpy out, at detection size.
"""

import math
from typing import TYPE_CHECKING

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from edge.ink import quantile
from edge.printed import in_box, is_an_edge, pieces_with_boxes

if TYPE_CHECKING:
    from edge.lines import Pieces

_SLIVER = 4.0  # a piece this many times longer than wide may be a sliver of table
_MOST_INK = 0.8  # of a line's ink: a piece holding this much is what the line is
_UNEXPLAINED_SHARE = 0.005  # of the frame: more unexplained dark than this is a wide stroke
_TABLE_OUTLINE = 0.6  # a thick piece whose outline is this much frame edge is table, not ink
_COMPACT = 2.5  # a piece spread less than this many times more one way than the other is compact
_TABLE_CONTRAST = 0.8  # a table is darker than this, of the sheet's brightness
_ALONG_EDGE = 9  # outline points over which an edge's sharpness is taken (a median)
_SHARP_SHARE = 0.9  # of a table's outline (holes too; off the frame's edge) is a sharp edge
_SHARP_EDGE = 0.25  # a sheet's edge rises by this much of the step between table and sheet per px
_RING = 3  # px (detection size) round a piece at the border: its surroundings
_SHADOW_SIDE = 0.3  # of those surroundings as dark as the piece: it goes on a shadow
_AS_DARK = 0.3  # of the way from a piece's grey to its paper's: no brighter than this is as dark
# A cast shadow (`without_cast_shadows`): a piece this long (of the short side), with this much
# of its outline soft and this much sharp.
_CAST_SHADOW = 0.15
_SOFT_SIDE = 0.3
_SHARP_SIDE = 0.2
_STEP = 0.5  # of a pixel's darkness: a neighbour off the piece this much brighter is a sharp edge
_ONE_WAY = 0.5  # a cast shadow's soft outline faces one way: its mean outward normal this long
_FACING = 0.25  # ...and its sharp outline the other
_SHADOW_DARK = 0.5  # of the paper's brightness: a cast shadow is no darker (its median pixel)
BAND = 0.12  # of its length squared: a band's area at most (`bands`)
# Texture (`edge.lines.surface_texture`): a block this many times rougher than the quietest in
# view (its 10th percentile, `_QUIETEST` at least: a flat page's is 0), and by `_ROUGHER_BY`
# grey levels at least, is rough ground.
_ROUGH = 3.0
_QUIETEST = 1.0
_ROUGHER_BY = 3.0
_SMOOTH_SHEET = 0.1  # of the blocks: the smooth surface written on, one piece, at least this much
_ROUGH_GROUND = 0.2  # of the blocks: the rough ground round it, at least this much
_ROUGH_BORDER = 0.5  # of the blocks along the frame's edges: rough, at least (ground lies round)


def table_around_sheet(grey: np.ndarray, stroke: int) -> np.ndarray:
    """uint8 0/255: the table around a sheet or card in view, or nothing. Table is what is
    darker than the sheet (Otsu's threshold between the two), too wide to be a stroke, lies
    along the frame's edge (`table_beside_sheet`), and meets the paper at a sharp edge along
    nearly all its outline (`_SHARP_SHARE`): a shadow on the paper is as dark, but its edge is
    soft, and a shadow that falls across the sheet's edge joins the table in one piece, which
    may hold writing. The paper's brightness estimate
    spills a stroke's width across a sheet's edge, so without this the table along the outline
    would be as dark beside it as ink."""
    table = np.zeros_like(grey)
    split = wide_dark(grey, _TABLE_CONTRAST, 2 * (stroke // 2) + 1)
    if split is None:
        return table
    dark, step = split
    count, labels = cv2.connectedComponents(dark, connectivity=8)
    border = _border(labels)
    if count < 2 or not border.any():
        return table
    candidates = [labels == p for p in np.unique(border[border > 0])]
    candidates = [region for region in candidates if table_beside_sheet(region)]
    if not candidates:
        return table
    # How sharp an edge is: the grey's slope across it (Sobel's 3x3 weights sum to 8 along a
    # step), within 2 px of an outline (the edge is there or thereabouts), of the step between
    # the two sides; below, smoothed along the outline, so noise does not decide. Taken with
    # the strokes and printed lines closed over (a closing keeps a sheet's step edge where it
    # is): where light falls off across a ruled page, the darker side's outline runs along
    # its rules, and their slope made it a sharp edge, the page's darker half a table.
    size = 2 * (stroke // 4) + 1
    level = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, np.ones((size, size), np.uint8))
    slope = cv2.magnitude(
        cv2.Sobel(level, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(level, cv2.CV_32F, 0, 1, ksize=3)
    )
    steepest = cv2.dilate(slope, np.ones((5, 5), np.uint8))
    h, w = grey.shape
    for region in candidates:
        # Its holes' outlines too: a table all round a card meets it at the hole's edge.
        contours, _ = cv2.findContours(region.view(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        sharp, soft = [], []
        for contour in contours:
            points = contour[:, 0]
            along = steepest[points[:, 1], points[:, 0]] / (8 * step)
            if len(along) >= _ALONG_EDGE:
                reach = _ALONG_EDGE // 2
                around = np.concatenate([along[-reach:], along, along[:reach]])
                # The median of an odd count is its middle value (np.median's, cheaper).
                windows = np.partition(sliding_window_view(around, _ALONG_EDGE), reach, axis=1)
                along = windows[:, reach]
            inside = (
                (points[:, 0] > 1)
                & (points[:, 0] < w - 2)
                & (points[:, 1] > 1)
                & (points[:, 1] < h - 2)
            )
            sharp.append(points[inside & (along >= _SHARP_EDGE)])
            soft.append(points[inside & (along < _SHARP_EDGE)])
        sharp_points, soft_points = np.concatenate(sharp), np.concatenate(soft)
        # A shadow that reaches the table joins it in one dark piece, its outline part sharp
        # and part soft: the shadow may hold writing, so the piece is left as it is.
        if len(sharp_points) >= _SHARP_SHARE * (len(sharp_points) + len(soft_points)):
            table[region] = 255
    return cv2.dilate(table, np.ones((5, 5), np.uint8))


def without_table(mask: np.ndarray, table: np.ndarray, stroke: int) -> np.ndarray:
    """The mask (0/1, printed lines already taken out) less the `table` (0/255,
    `table_around_sheet`): the table beside a sheet's outline, as dark as ink against the
    paper's level spilt across the edge. Of what is left, pieces mostly within a `stroke` (px)
    of the table that touch the frame's border, or the table other than at a point
    (`_touches_at_a_point`), go too: a table's wedge narrows to a tip too thin for
    `table_around_sheet` to reach, and its rim lies along it.

    The table goes before pieces are judged: judged whole, the ring of table round a card,
    the rules that meet it and the digits written on them were one piece mostly on the table.
    """
    if not table.any():
        return mask
    mask = cv2.subtract(mask, table // 255)
    count, labels, stats = pieces_with_boxes(mask)
    size = stats[:, cv2.CC_STAT_AREA]
    near = cv2.dilate(table, np.ones((2 * stroke + 1, 2 * stroke + 1), np.uint8))
    near_table = np.bincount(labels[near > 0], minlength=count) >= 0.5 * size
    contact = np.bincount(labels[cv2.dilate(table, np.ones((3, 3), np.uint8)) > 0], minlength=count)
    at_border = np.zeros(count, bool)
    at_border[_border(labels)] = True
    drop = near_table & (at_border | (contact > 0))
    drop[0] = False  # (the paper)
    # A piece of table lies along it. A digit written near a card's edge may touch the table
    # too, at a point (through the end of a rule that runs to the edge); it is compact.
    for piece in np.flatnonzero(drop & ~at_border):
        drop[piece] = not _touches_at_a_point(labels, stats[piece], piece, contact[piece])
    return mask * np.take(~drop, labels).astype(np.uint8)


def _touches_at_a_point(labels: np.ndarray, box: np.ndarray, piece: int, contact: int) -> bool:
    """Whether a piece (`piece` in `labels`, its stats row `box`) touching the table along
    `contact` px is compact (its spread one way under `_COMPACT` times the other's) and
    touches it at a point: along under half its size (the square root of its area)."""
    x, y, w, h, area = box[:5]
    if contact >= 0.5 * math.sqrt(area):
        return False
    ys, xs = np.nonzero(labels[y : y + h, x : x + w] == piece)
    minor, major, _ = spreads(xs, ys)
    return bool(major < _COMPACT * max(minor, 0.5))


def spreads(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float, np.ndarray]:
    """The spread (standard deviation, px) of pixels across and along their main direction,
    and that direction (a unit vector): their covariance's principal axes."""
    values, vectors = np.linalg.eigh(np.cov(np.stack([xs, ys]).astype(np.float64)))
    minor, major = np.sqrt(np.maximum(values, 0.0))
    return float(minor), float(major), vectors[:, 1]


def off_rough_ground(mask: np.ndarray, texture: np.ndarray | None, block: int) -> np.ndarray:
    """The mask (uint8 0/1, detection size) less its pieces lying mostly on rough ground round
    a smooth sheet: a wooden desk's grain, carpet, cork round a sticky note or a card. Its dark
    streaks stand out from its light ones as ink does from paper, and a light wood is as bright
    as a yellow note once the note's colour is balanced: `table_around_sheet`, which splits the
    frame at one grey level, does not find it. Its texture does: `texture` (float32 [rows,
    columns], `edge.lines.surface_texture`: one value per `block`-px square, from the top left)
    is `_ROUGH` times the quietest block's there, and more. The ground is the rough blocks, at
    least `_ROUGH_GROUND` of them and `_ROUGH_BORDER` of those along the frame's edges (it lies
    round the sheet: a big digit's blurred strokes are rough too, but the paper round them is
    not), and the sheet a smooth piece of blocks at least `_SMOOTH_SHEET` of them; a piece of
    the mask with half its pixels or more on the ground goes, unless there is more ink on the
    ground than off it: then the writing is on the rough surface (grainy paper), and the smooth
    one a bare desk (real-dev's photos foreshortened, a flat fill round them: 130 of 140 read,
    127 without this). Writing on the sheet leaves its blocks smooth: a block's texture is its
    brighter half's spread. Left: the sheet's own edge and its shadow, in blocks the sheet
    keeps smooth. Measured (session 47): the new user's pages 57 -> 58 and 59 -> 61 of 72
    (sticky notes on a wooden desk, "4401 2341" read "33440"); held-out scenes, real-dev and
    its writers' lines read as before."""
    if texture is None:
        return mask
    floor = max(float(np.percentile(texture, 10)), _QUIETEST)
    rough = texture >= max(_ROUGH * floor, floor + _ROUGHER_BY)
    if np.count_nonzero(rough) < _ROUGH_GROUND * rough.size:
        return mask
    if _border(rough).mean() < _ROUGH_BORDER:
        return mask
    count, _, stats, _ = cv2.connectedComponentsWithStats((~rough).view(np.uint8), connectivity=4)
    if count < 2 or stats[1:, cv2.CC_STAT_AREA].max() < _SMOOTH_SHEET * rough.size:
        return mask
    ground = np.zeros_like(mask)
    rows, columns = texture.shape
    ground[: rows * block, : columns * block] = np.repeat(
        np.repeat(rough.view(np.uint8), block, axis=0), block, axis=1
    )
    count, labels, stats = pieces_with_boxes(mask)
    on_ground = np.bincount(labels[ground > 0], minlength=count)
    drop = 2 * on_ground >= stats[:, cv2.CC_STAT_AREA]
    drop[0] = False  # (the paper)
    areas = stats[:, cv2.CC_STAT_AREA]
    if areas[drop].sum() > areas[1:][~drop[1:]].sum():
        return mask  # the writing is on the rough surface: the smooth one is a bare desk
    return mask * np.take(~drop, labels).astype(np.uint8)


def without_shadow_tips(mask: np.ndarray, grey: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """The mask (uint8 0/1, detection size) less its pieces at the frame's border that go on a
    darker surface: a shadow the frame's edge cuts off narrows to a tip there, narrower than the
    paper estimate closes over (`paper_brightness`), and as dark against it as ink; read, a
    tip is a 1 or a 4 beside the writing. Ink has paper round it. A tip has the rest of the
    shadow on one side: of the pixels round it (within `_RING` px), at least
    `_SHADOW_SIDE` are about as dark as it is (no brighter than `_AS_DARK` of the way from its
    median grey to its paper's)."""
    if not _border(mask).any():
        return mask
    _, labels, stats = pieces_with_boxes(mask)
    border = _border(labels)
    kept = mask.copy()
    h, w = mask.shape
    near = np.ones((2 * _RING + 1, 2 * _RING + 1), np.uint8)
    for piece in np.unique(border[border > 0]):
        x, y, bw, bh = stats[piece, :4]
        rows = slice(max(0, y - _RING), min(h, y + bh + _RING))
        columns = slice(max(0, x - _RING), min(w, x + bw + _RING))
        pieces = labels[rows, columns]
        inked = pieces == piece
        ring = (cv2.dilate(inked.view(np.uint8), near) > 0) & ~inked
        if not ring.any():
            continue
        region = grey[rows, columns]
        level = quantile(region[inked], 0.5)
        if _goes_on(region[ring], level, quantile(paper[rows, columns][inked], 0.5)):
            kept[rows, columns][inked] = 0
    return kept


def lengths(stats: np.ndarray) -> np.ndarray:
    """int [n]: each piece's length, its box's longer side (px), from rows of
    `cv2.connectedComponentsWithStats`' stats."""
    return np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])


def bands(stats: np.ndarray) -> np.ndarray:
    """bool [n]: which pieces (rows of `cv2.connectedComponentsWithStats`' stats) are bands:
    their area at most `BAND` of their length (`lengths`) squared. A line along a sheet's side
    or two (its edge, its shadow) is one; so is a thin pen's 1."""
    return stats[:, cv2.CC_STAT_AREA] <= BAND * lengths(stats).astype(np.float64) ** 2


def without_cast_shadows(mask: np.ndarray, grey: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """The mask (uint8 0/1, detection size) less the shadows a sheet or note casts on the desk
    it lies on. Lying a little lifted (a note curls) and lit from one side, it shows a band of
    shadow past its edges on the other, as long as its side, darkest at its edge and fading
    into the desk. The paper estimate closes over the band from the sheet's side, so it is as
    dark against it as ink, and grouped with the writing beside it the band made a line as
    tall as the sheet, read as nothing (yellow notes on a grey desk, in a new user's trial).

    A cast shadow is a band (`bands`: along one side or two) at least `_CAST_SHADOW` of the
    short side long. Its outline is sharp along the sheet's edge and soft where it fades, the
    two on opposite sides (`_one_sided`). An outline pixel is sharp where a pixel off the piece
    beside it is brighter by `_STEP` of its own darkness under the paper estimate, or more. A
    pen's stroke is sharp all round; a phone photo's blurred marker stroke is soft here and
    there all round, and so is a defocused one. A shadow dims the desk by less than half: a
    band darker than `_SHADOW_DARK` of the paper estimate (its median pixel against the
    estimate's) is ink (a phone photo's marker stroke, lit from one side, can be as
    one-sided)."""
    _, labels, stats = pieces_with_boxes(mask)
    long = lengths(stats[1:]) >= _CAST_SHADOW * min(mask.shape)
    long_bands = 1 + np.flatnonzero(long & bands(stats[1:]))
    if not len(long_bands):
        return mask
    kept = mask.copy()
    h, w = mask.shape
    ring = np.ones((3, 3), np.uint8)
    for piece in long_bands:
        x, y, bw, bh = stats[piece, :4]
        rows, columns = (
            slice(max(0, y - 1), min(h, y + bh + 1)),
            slice(max(0, x - 1), min(w, x + bw + 1)),
        )
        inked = (labels[rows, columns] == piece).view(np.uint8)
        outline = cv2.subtract(inked, cv2.erode(inked, ring)) > 0
        region = grey[rows, columns]
        brightest_off = cv2.dilate(np.where(inked > 0, 0, region).astype(np.uint8), ring)
        under = paper[rows, columns]
        if np.median(region[inked > 0]) < (1 - _SHADOW_DARK) * np.median(under[inked > 0]):
            continue  # as dark as ink: a stroke, lit unevenly
        step = brightest_off[outline].astype(np.int32) - region[outline]
        darkness = under[outline].astype(np.int32) - region[outline]
        if _one_sided(inked, outline, step >= _STEP * darkness):
            kept[rows, columns][inked > 0] = 0
    return kept


def _one_sided(inked: np.ndarray, outline: np.ndarray, sharp: np.ndarray) -> bool:
    """Whether a piece's outline (`inked`: uint8 0/1 `[h, w]`, `outline`: bool `[h, w]` its
    outline pixels; `sharp`: bool, one per outline pixel, whether it is a sharp edge) is sharp
    on one side and soft on the other: `_SHARP_SIDE` of it sharp and `_SOFT_SIDE` soft, or more
    of each, the soft pixels facing one way (the mean of their outward normals `_ONE_WAY` long,
    or more) and the sharp ones, on the whole, the other (the two means' dot product under
    `-_FACING`). The outward normal is the piece's slope (Sobel, on it smoothed) turned out."""
    soft = ~sharp
    if not (
        np.count_nonzero(sharp) >= _SHARP_SIDE * len(sharp)
        and np.count_nonzero(soft) >= _SOFT_SIDE * len(sharp)
    ):
        return False
    smooth = cv2.GaussianBlur(inked.astype(np.float32), (3, 3), 0)
    out = -np.stack(
        [
            cv2.Sobel(smooth, cv2.CV_32F, 1, 0)[outline],
            cv2.Sobel(smooth, cv2.CV_32F, 0, 1)[outline],
        ],
        axis=1,
    )
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
    soft_way, sharp_way = out[soft].mean(axis=0), out[sharp].mean(axis=0)
    return bool(np.linalg.norm(soft_way) >= _ONE_WAY and soft_way @ sharp_way <= -_FACING)


def _goes_on(round_grey: np.ndarray, level: float | np.ndarray, ground: float | np.ndarray) -> bool:
    """Whether ink goes on a surface as dark as it, given the grey of the pixels round it
    (`round_grey`, not empty), the ink's grey `level` and its paper's `ground` (each one value,
    or one per pixel round it): at least `_SHADOW_SIDE` of those pixels are no brighter than
    `_AS_DARK` of the way from the ink's grey to the paper's. Ink has paper round it."""
    dark = round_grey <= level + _AS_DARK * (ground - level)
    return np.count_nonzero(dark) >= _SHADOW_SIDE * len(round_grey)


def rim_of_a_darker_thing(
    pieces: "Pieces", grey: np.ndarray, paper: np.ndarray, writing: np.ndarray
) -> bool:
    """Whether a line's ink is the rim of something darker than the paper and too wide for
    the paper estimate to close over (`paper_brightness`): a thumb or a hand in view, a pen
    lying on the page. Inside, the estimate follows it; along its edge it does not, and the
    rim stands out from the estimate as ink, read as 1s and 7s. It goes on the rest of the
    thing: of the pixels round the line's ink (within `_RING` px, less any other ink or print,
    `writing`: uint8 0/1), a shadow's tip's test (`_goes_on`, `without_shadow_tips`) with the
    paper under each of those pixels. The ink's grey is its median, or the ink nearest where that is
    darker; the paper is the estimate under each of them. So a pencil line half in a shadow
    is darker than the shadow beside it, whose paper the estimate follows; the rim of a thumb
    is as dark as the thumb beside it, where the estimate has not come down yet; and a
    blurred stroke's pale edge, nearest the blur round it, is not its level."""
    h, w = grey.shape
    rows = slice(max(0, pieces.ys.min() - _RING), min(h, pieces.ys.max() + _RING + 1))
    columns = slice(max(0, pieces.xs.min() - _RING), min(w, pieces.xs.max() + _RING + 1))
    inked = np.zeros((rows.stop - rows.start, columns.stop - columns.start), np.uint8)
    inked[pieces.ys - rows.start, pieces.xs - columns.start] = 1
    near = np.ones((2 * _RING + 1, 2 * _RING + 1), np.uint8)
    ring = (cv2.dilate(inked, near) > 0) & (writing[rows, columns] == 0)
    if not ring.any():
        return False
    region = grey[rows, columns]
    nearest = cv2.erode(np.where(inked > 0, region, 255).astype(np.uint8), near)[ring]
    level = np.minimum(nearest, quantile(region[inked > 0], 0.5))
    return _goes_on(region[ring], level, paper[rows, columns][ring].astype(np.float64))


def _border(image: np.ndarray) -> np.ndarray:
    """The pixels along the frame's four edges, as one 1-D array."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def wide_dark(grey: np.ndarray, contrast: float, size: int) -> tuple[np.ndarray, float] | None:
    """Otsu's darker half of `grey` opened by a `size` px square (uint8 0/255: only what is
    wider than that both ways) and the step between the halves' mean levels; or None when they
    differ too little to be two surfaces (the darker's mean over `contrast` of the lighter's:
    uneven light on one surface)."""
    threshold, dark = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    darker = cv2.countNonZero(dark)
    if darker in (0, dark.size):
        return None
    # The halves' means from the histogram (the darker half is what is at or below Otsu's
    # threshold), as cv2.mean gives them (the sum times the count's reciprocal), without a
    # pass over the image for each. The counts are exact: far under 2**24 pixels a level.
    counts = cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel().astype(np.int64)
    sums = counts * np.arange(256)
    split = int(threshold) + 1
    below = int(sums[:split].sum()) * (1.0 / darker)
    above = int(sums[split:].sum()) * (1.0 / (dark.size - darker))
    if below > contrast * above:
        return None
    wide = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((size, size), np.uint8))
    return wide, above - below


def without_table_at_the_border(mask: np.ndarray) -> np.ndarray:
    """The mask less its pieces at the frame's border that are table (`table_beside_sheet`)
    and solid: the wedge a turned sheet's corner leaves in view, as dark beside the paper as
    ink. A dark grid printed to the frame's edges lies along them too, with the digits on it
    in one piece, but it is a lattice: mostly holes."""
    edge = _border(mask)
    if not edge.any():
        return mask
    _, labels = cv2.connectedComponents(mask, connectivity=8)
    border = _border(labels)
    pieces = [labels == p for p in np.unique(border[border > 0])]
    table = [piece for piece in pieces if table_beside_sheet(piece) and not _mostly_holes(piece)]
    if not table:
        return mask
    return np.where(np.logical_or.reduce(table), 0, mask).astype(np.uint8)


def _mostly_holes(piece: np.ndarray) -> bool:
    """Whether a piece (bool mask) covers under half of what its outline encloses: a grid, not
    a table's wedge. (Not a test of table in general: the table all round a card encloses it.)"""
    contours, _ = cv2.findContours(piece.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = cv2.drawContours(np.zeros(piece.shape, np.uint8), contours, -1, 1, cv2.FILLED)
    return 2 * cv2.countNonZero(piece.view(np.uint8)) < cv2.countNonZero(filled)


def unexplained_dark(dark: np.ndarray) -> bool:
    """Whether a mask of dark pixels that are not ink holds a piece as big as a close-up's
    stroke (`_UNEXPLAINED_SHARE` of the frame) that is not a table beside a sheet."""
    if cv2.countNonZero(dark) < _UNEXPLAINED_SHARE * dark.size:
        return False
    _, labels, stats = pieces_with_boxes(dark)
    big = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] >= _UNEXPLAINED_SHARE * dark.size) + 1
    return any(not table_beside_sheet(labels == piece) for piece in big)


def table_beside_sheet(piece: np.ndarray) -> bool:
    """Whether a thick dark piece (bool mask) is table, not a close-up's stroke: a stroke meets
    the frame's edge end on, a table lies along it, so more of its outline is the frame's edge
    than borders the sheet."""
    # Its outline traced within its box and a pixel round it (where the frame goes on): the
    # points tracing the whole frame gives, at a fraction of the cost.
    x, y, w, h = cv2.boundingRect(piece.view(np.uint8))
    left, top = max(0, x - 1), max(0, y - 1)
    box = piece[top : y + h + 1, left : x + w + 1].view(np.uint8)
    contours, _ = cv2.findContours(
        box, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE, offset=(left, top)
    )
    outline = np.concatenate(contours)[:, 0]
    rows, columns = piece.shape
    on_edge = (
        (outline[:, 0] == 0)
        | (outline[:, 0] == columns - 1)
        | (outline[:, 1] == 0)
        | (outline[:, 1] == rows - 1)
    )
    return bool(on_edge.sum() > _TABLE_OUTLINE * (~on_edge).sum())


def sliver_of_table(pieces: "Pieces", grey: np.ndarray) -> bool:
    """Whether a line's ink is a thin sliver along a sheet's edge: long and thin, darker on one
    side than the other all along (`is_an_edge`), as a pen's stroke never is. Judged are the
    line's pieces at the frame's border when they hold most of its ink (the table in a corner
    of a turned page), and alone: a row of digits joined by a shadow's rim or blob at the
    border is long and thin too. Elsewhere only a line that is mostly one piece is, and that
    piece (a stretch of a card's edge where the table is not found, a rule's stub beside it):
    a row of digits written along a card's edge is long and thin, and has the table on one
    side."""
    h, w = grey.shape
    xs, ys = pieces.xs, pieces.ys
    if len(xs) < 5:
        return False
    # Piece boxes are grown by a pixel (`group_lines` links pieces): one at 0 or at the far
    # edge holds ink within a pixel of the border.
    x0, y0, bw, bh = pieces.boxes.T
    border = (x0 <= 0) | (y0 <= 0) | (x0 + bw >= w) | (y0 + bh >= h)
    at_border = np.zeros(len(xs), bool)
    for box in pieces.boxes[border]:
        at_border |= in_box(xs, ys, box)
    judged = at_border
    if 2 * np.count_nonzero(at_border) < len(xs):  # elsewhere: its biggest piece, if most of it
        judged = in_box(xs, ys, pieces.boxes[np.argmax(bw * bh)])
        if np.count_nonzero(judged) < _MOST_INK * len(xs):
            return False
    xs, ys = xs[judged], ys[judged]
    minor, major, direction = spreads(xs, ys)
    if major < _SLIVER * max(minor, 0.5):
        return False
    cx, cy = xs.mean(), ys.mean()
    dx, dy = direction * 2 * major
    segment = (round(cx - dx), round(cy - dy), round(cx + dx), round(cy + dy))
    return is_an_edge(grey, segment, round(2 * minor) + 3)
