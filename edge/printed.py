"""Printed lines on a page: rules, grid lines, a table's cells, printed boxes and combs, a
sheet's edge; and the writing that crosses or runs along them, told from the print by colour.

The finder (`edge.lines`) leaves these out when it groups ink into lines of writing, so that a
ruled or squared page is not one line of everything on it. All functions are pure: numpy
arrays in, numpy out, at detection size (`edge.lines.DETECT_ROWS`).
"""

import math
from typing import NamedTuple

import cv2
import numpy as np

from edge.ink import quantile

MAX_TILT = 35.0  # degrees; a steeper "line" is a column of separate digits
RULE_AGREEMENT = 5.0  # degrees: a ruled page's rules agree this well, perspective and all
Point = tuple[int, int]  # (x, y) px

_LEVEL = math.tan(math.radians(MAX_TILT))  # a line this steep or less is level: a rule
_TABLE_STRIP = 0.2  # of the short side: how far in from the frame's edge a table strip reaches
_SMALLEST_BOX = 0.04  # of the short side: a printed box's side is at least this long
_HOLLOW = 0.3  # of a box's area: at least this much of it is holes (paper inside the lines)
_BOX_CORNER = 20  # degrees: a box's corners are right angles, give or take this
_STRAIGHT_SIDES = 0.9  # of a box's outline within 2 px of its four sides
_REGULAR = 0.2  # of a comb's cell width: its cells are as wide as each other, within this
# A comb's wall (`_comb_walls`): inked over this much of the box's height inside it, and its
# cells at least this wide (of the box's height): a digit's cell, not the two halves of a box
# split by a 1 written from its top to its bottom.
_WALL_SPAN = 0.9
_NARROWEST_CELL = 0.6
_WALL_WIDEST = 4  # px: a wall's line is no wider; a stroke drawn along it is
_RULE_GAP = 0.02  # of the short side: gaps this long in a faint rule are closed
_RULE_SPAN = 0.5  # a straight line on the mask for this much of its way across the frame is a rule
# Of a near-level line Hough found: the mask holds a printed line's fitted line this much of its
# way, or this much of the way it has ink near it (a faint rule's dashes are on the line), with
# ink `_BESIDE` px off it too under `_CROSSED` of that (strokes crossing it are beside it too).
_INKED_ALONG = 0.75
_ON_THE_LINE = 0.9
_BESIDE = 5
_CROSSED = 0.5
_OFF_THE_LINE = 2  # px: a segment this far off its fitted line is moved onto it
_RULE_END = 0.05  # of a rule's way across the frame: the stretch at each end that must be on it
_EDGE_RATIO = 0.75  # a line with one side darker than this (of the other) is a sheet's edge
# A close-up's pen stroke found as a straight line (`pen_strokes`): at least this long (of the
# short side), joined to at least this much more writing (of its own pixels), in no family of
# lines within this many degrees of its direction, looked at this many px round it for paper.
_PEN_STROKE = 0.15
_JOINED_INK = 0.5
_FAMILY_TURN = 10.0
_PAPER_BESIDE = 5
# A bare 1 (`_bare_ones`): a piece of ink this near upright (degrees), at most this wide (of its
# length, the ink mask's fringe and all: a fine pen's stroke is 2-3 %, but only what was taken
# for print is looked at), filling at least this much of its turned box (one straight stroke),
# its grey at most this (of the paper's beside it).
_UPRIGHT_ONE = 30.0
_THIN_ONE = 0.25
_STRAIGHT = 0.6
_BARE_INK = 0.6
# Writing over printed lines, told from the print by colour (`written_over_print`): how much
# greyer it is (0-1: its palest channel's darkness over its darkest's), or darker in its palest
# channel, than the print; how dark it must be at all (its darkest channel); and how long a
# piece of it may be, in the thickest printed lines (a stroke crossing a line, or along one).
_GREYER_THAN_PRINT = 0.25
_DARKER_THAN_PRINT = 0.25
_WRITING_DARKNESS = 0.2
_OVER_PRINT_SPAN = 3
_OWN_PIECE = 3  # px across, at least: a piece of writing over print on its own
_PRINT_SAMPLE = 1000  # printed pixels the print's colour is measured on, at most
_GRID_CROSSINGS = 20  # thick crossings of printed lines that say the page is a thick grid
# Writing across thin printed lines (`strokes_across`): the share of the lines' pixels that
# may be on longer upright runs than they are thick (where writing and rules cross), and the
# upright run (px, detection size) that a thin rule is under.
_PRINT_SHARE = 0.25
_THIN_PRINT = 3
# A comb's ticks (`comb_ticks`): how many stubs standing on print, alike, make a comb; how
# alike their lengths are (of their median) and their directions (degrees); how thin they are
# (of the thickest print) and how long at least (of their width).
_TICKS = 3
_TICK_LENGTHS = 0.15
_TICK_TURN = 5.0
_TICK_WIDTH = 0.5
_TICK_SHAPE = 3.0
_PAGE_SEGMENTS = 4  # Hough segments in step that say a turned page's printed lines are in view
Chord = tuple[tuple[int, int], tuple[int, int]]  # a line's end points at the frame's edges
_CHORD_ENDS = np.stack([np.linspace(0.0, _RULE_END, 8), np.linspace(1.0 - _RULE_END, 1.0, 8)])
_EDGE_SAMPLES = np.linspace(0.1, 0.9, 9)  # along a segment: where its two sides are compared


def written_over_print(
    colour: np.ndarray,
    printed: np.ndarray,
    writing: np.ndarray,
    paper: np.ndarray,
    table: np.ndarray | None = None,
) -> np.ndarray:
    """uint8 0/1: the pixels of printed lines (`printed`, 0/1) that are writing crossing them
    or running along them, told from the print by colour, and beside the rest of the writing
    (`writing`, the ink mask without printed lines) or a piece of writing on its own: at least
    `_OWN_PIECE` px across and a thickest printed line long (a small digit between rules
    closer together than it is tall is taken for print whole; a rule's grey fringe is thin).

    Grids and forms are often printed in a pale or a bright colour (a form's "dropout" colour
    is chosen so that a scanner drops it); pen and pencil are grey or far darker. Taken out
    with the print, a digit's stroke is cut where it crosses a grid's line, and its pieces
    become lines of their own. A pixel of print is writing when it is greyer than the print
    (`_GREYER_THAN_PRINT`; its palest channel's darkness over its darkest's) or, where the
    writing is darker than the print in its palest channel (`_DARKER_THAN_PRINT`, a black pen
    on a grey grid), nearer the writing's darkness there than the print's. Darkness is each
    channel's against the paper under the pixel (`paper`, uint8, the darkest channel's
    estimate, times the paper's tint measured beside the print). Only pieces up to
    `_OVER_PRINT_SPAN` thickest printed lines long count: a sheet's edge against a grey table
    is grey too, but long. `colour`: uint8 [h, w, 3] BGR, or [h, w, 1] grey, at the size of
    the masks. The print's colour is measured away from `table` (uint8 0/255, or None: the
    table round a sheet, `table_around_sheet`): a card's outline against a grey table is found
    with the printed lines, but it is the table's colour, not the print's. Where print and
    writing are alike (a blue ballpoint on a dark blue grid) nothing is found.
    """
    found = np.zeros_like(printed)
    meets = cv2.bitwise_and(cv2.dilate(printed, np.ones((3, 3), np.uint8)), writing)
    if not cv2.countNonZero(meets):
        return found
    # Pixels are judged only where writing meets print, and as far round as a piece of
    # writing over print may reach; the print's own colour is measured all over the sheet
    # (near the writing, much of what was taken for print may be writing).
    reach = _OVER_PRINT_SPAN * thickest_rule(printed.shape)
    x, y, w, h = cv2.boundingRect(meets)
    top, left = max(0, y - reach), max(0, x - reach)
    near = (slice(top, y + h + reach), slice(left, x + w + reach))
    around = cv2.dilate(printed[near], np.ones((5, 5), np.uint8))
    beside = (around > 0) & (printed[near] == 0) & (writing[near] == 0)
    if not beside.any():
        return found
    paper_colour = colour[near][beside]
    tint = np.array([quantile(paper_colour[:, c], 0.5) for c in range(colour.shape[2])], np.float32)
    tint /= max(1.0, float(tint.min()))

    def darkness(ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """0-1, each: how much darker than the paper under them pixels are in their palest
        channel and in their darkest."""
        under = np.maximum(paper[ys, xs], 1).astype(np.float32)
        channels = [colour[ys, xs, c] / (tint[c] * under) for c in range(len(tint))]
        palest = 1.0 - np.minimum(1.0, np.maximum.reduce(channels))
        return palest, 1.0 - np.minimum(1.0, np.minimum.reduce(channels))

    # The print's colour, on a sample of its pixels off the table (every other row and
    # column, unless that misses them all: a few pixels of print).
    on_sheet = printed
    if table is not None and table.any():
        on_sheet = cv2.subtract(printed, cv2.dilate(table, np.ones((7, 7), np.uint8)) // 255)
        on_sheet = on_sheet if on_sheet.any() else printed
    ys, xs = np.nonzero(on_sheet[::2, ::2])
    ys, xs = (2 * ys, 2 * xs) if len(ys) else np.nonzero(on_sheet)
    step = max(1, len(ys) // _PRINT_SAMPLE)
    print_palest, print_darkest = darkness(ys[::step], xs[::step])
    print_grey = quantile(print_palest / np.maximum(print_darkest, 0.05), 0.5)
    ys, xs = np.nonzero(printed[near])
    ys, xs = ys + top, xs + left
    palest, darkest = darkness(ys, xs)
    over = (palest / np.maximum(darkest, 0.05) > print_grey + _GREYER_THAN_PRINT) & (
        darkest >= _WRITING_DARKNESS
    )
    wys, wxs = np.nonzero(writing[near])
    ink = quantile(darkness(wys + top, wxs + left)[0], 0.5)
    print_darkness = quantile(print_palest, 0.75)
    if ink - print_darkness >= _DARKER_THAN_PRINT:
        over |= palest > (ink + print_darkness) / 2
    if not over.any():
        return found
    pixels = np.zeros_like(printed[near])
    pixels[ys[over] - top, xs[over] - left] = 1
    count, labels, stats, _ = cv2.connectedComponentsWithStats(pixels, connectivity=8)
    kept = np.zeros(count, np.uint8)
    kept[np.unique(labels[cv2.dilate(writing[near], np.ones((3, 3), np.uint8)) > 0])] = 1
    sides = np.sort(stats[:, 2:4], axis=1)  # (shorter, longer) of each piece's box
    kept[(sides[:, 0] >= _OWN_PIECE) & (sides[:, 1] >= thickest_rule(printed.shape))] = 1
    kept[stats[:, 2:4].max(axis=1) > reach] = 0
    kept[0] = 0
    found[near] = np.take(kept, labels)
    return found


def thickest_rule(shape: tuple[int, ...]) -> int:
    """px: the thickest a printed line (rule, grid line, box wall) is, in a detection-size
    image of `shape`."""
    return max(3, round(0.03 * min(shape[:2])))


def straight_lines(
    mask: np.ndarray, length: int, thickest: int, grey: np.ndarray | None = None
) -> tuple[np.ndarray, list["Chord"]]:
    """uint8 0/1: the thin horizontal and vertical straight runs of `mask`, at least `length` px
    long and under `thickest` px thick (rules, grid lines, a table's cells, a sheet's edge), a
    little slant allowed, and the same along a turned page's own axes (`page_axes`). A
    close-up's thick stroke is long too, but not thin. And the rules among them that run edge
    to edge, as end points (`_rules_through`)."""
    length = max(3, length)
    thick = cv2.dilate(mask, np.ones((3, 3), np.uint8))  # a line slanting by a pixel stays whole
    gap = max(3, round(_RULE_GAP * min(mask.shape)))
    # Along (dx, dy): level runs, then upright ones.
    level_runs, upright_runs = (
        _thin_runs(thick, along, gap, length, thickest) for along in ((1, 0), (0, 1))
    )
    found = cv2.bitwise_or(level_runs, upright_runs)
    # Rules seen at a slant (the page turned, the camera's perspective): Hough's segments
    # across at least half the frame, drawn over the mask. Voted for at half size (a quarter of
    # the pixels), on the mask thickened so a thin line stays one line there. Hough takes a found
    # line's pixels away, so a grid line is cut where it crosses lines found before it, by as
    # much as they are thick (up to `thickest`, half that at half size): such gaps are bridged.
    h, w = mask.shape
    half = cv2.resize(thick, (w // 2, h // 2), interpolation=cv2.INTER_NEAREST)
    segments = cv2.HoughLinesP(
        half * 255,
        1,
        np.pi / 90,
        threshold=length // 4,
        minLineLength=length // 2,
        maxLineGap=thickest // 2 + 1,
    )
    segments = 2 * segments.reshape(-1, 4) if segments is not None else np.zeros((0, 4), int)
    chords = [_chord(segment, w, h) for segment in segments]
    # Most lines that are not rules (a sheet's edge, a long stroke) end inside the frame: their
    # chords' ends, looked at first (all at once), tell them apart cheaply.
    reach_the_edges = _ends_on_mask(thick, chords)
    drawn = np.zeros_like(found)
    crossing: list[Chord] = []
    level: list[np.ndarray] = []
    to_follow: list[np.ndarray] = []
    # Across half the frame, or a sheet's edge (told by its sides, all at once): either is
    # followed out along its line (if not a rule).
    spans = np.abs(segments[:, 2:] - segments[:, :2])
    across = (spans[:, 0] >= _RULE_SPAN * w) | (spans[:, 1] >= _RULE_SPAN * h)
    long_level = (np.hypot(spans[:, 0], spans[:, 1]) >= length) & (
        spans[:, 1] <= spans[:, 0] * _LEVEL
    )
    # (Fitted all at once: a chord's rule depends on the mask only.)
    at_edges_only = [chord for chord, at in zip(chords, reach_the_edges, strict=True) if at]
    rule_of: list[Chord | None] = [None] * len(segments)
    for index, rule in zip(
        np.flatnonzero(reach_the_edges), _rules_through(thick, at_edges_only), strict=True
    ):
        rule_of[index] = rule
    # Hough votes on the thickened half-size mask: a row of writing (digits in boxes, a label
    # beside them) holds ink most of the way along near-level lines slanting through it, which
    # are no printed lines. (A rule across the frame is one already; a steep line across it is
    # left as it was: a note's edge that the mask holds in pieces, the note as grey as the
    # desk, is one.) On squared paper, upright lines found too, what segments through its mesh
    # cover is print, however crooked they find its lines (in a shadow, in perspective).
    asked = long_level & np.array([rule is None for rule in rule_of], bool)
    straight = np.ones(len(segments), bool)
    if asked.any() and not _squared(upright_runs):
        straight[asked], segments[asked] = _inked_straight(mask, segments[asked])
    across &= straight
    edges = np.zeros(len(segments), bool)
    if grey is not None and not across.all():
        # (A line beside a printed one, as far off it as the sides are looked at, is one side
        # darker all along too: a level one must be on the mask as well.)
        edges[~across] = _are_edges(grey, segments[~across], thickest + 2) & straight[~across]
    for index, (segment, rule) in enumerate(zip(segments, rule_of, strict=True)):
        x0, y0, x1, y1 = segment
        if drawn[y0, x0] and drawn[(y0 + y1) // 2, (x0 + x1) // 2] and drawn[y1, x1]:
            continue  # a piece of a rule already drawn (Hough gives a long line in pieces)
        if rule is not None:
            cv2.line(found, *rule, 1, 3)
            cv2.line(drawn, *rule, 1, 7)  # within Hough's half-size pixels of it
            crossing.append(rule)
            continue
        if across[index] or edges[index]:
            to_follow.append(segment)
        elif long_level[index] and straight[index]:
            level.append(segment)
    # (Followed all at once: what a segment's ends reach depends on the mask only.)
    for chord in _followed(thick, to_follow + _ruled_together(level, 3 * thickest), gap):
        cv2.line(found, *chord, 1, 3)
    for slant in page_axes(segments):
        found = cv2.bitwise_or(found, _runs_along(thick, slant, gap, length))
    solid = cv2.morphologyEx(thick, cv2.MORPH_OPEN, np.ones((thickest, thickest), np.uint8))
    solid = cv2.subtract(solid, _grid_crossings(solid, found, thickest))
    found = cv2.subtract(found, cv2.dilate(solid, np.ones((3, 3), np.uint8)))
    found = cv2.bitwise_or(
        found, _border_strips(thick, length, round(_TABLE_STRIP * min(mask.shape)))
    )
    return cv2.bitwise_and(cv2.dilate(found, np.ones((3, 3), np.uint8)), mask), crossing


def _thin_runs(
    thick: np.ndarray, along: tuple[int, int], gap: int, length: int, thickest: int
) -> np.ndarray:
    """uint8 0/1: the straight runs of `thick` (the mask grown a pixel each way) at least
    `length` px long in direction `along` (dx, dy: level or upright), gaps under `gap` px
    closed along it first (a faint rule in a dim or noisy frame is a dashed one), and thin
    across: a band of runs thicker than the thickest printed line (`thickest` px, and the
    pixel each way the mask is grown) is a row of writing closed into one (small digits in
    boxes, their walls and strokes a gap apart)."""
    closed = cv2.morphologyEx(thick, cv2.MORPH_CLOSE, np.ones(_kernel(along, gap), np.uint8))
    runs = cv2.morphologyEx(closed, cv2.MORPH_OPEN, np.ones(_kernel(along, length), np.uint8))
    across = np.ones(_kernel(along[::-1], thickest + 3), np.uint8)
    return cv2.subtract(runs, cv2.morphologyEx(runs, cv2.MORPH_OPEN, across))


def page_axes(segments: np.ndarray) -> list[float]:
    """The slants (degrees, as `slants_of`) along which a turned page's printed lines are looked
    for as straight runs, from Hough's segments (x0, y0, x1, y1): a family of lines is at
    least `_PAGE_SEGMENTS` segments within `RULE_AGREEMENT` of their median, level or
    upright. Both families there: a grid, and both its axes. One family: the axis square to
    it. On a dense grid Hough takes the lines it finds first from those that cross them, so
    the second family can go unseen; a ruled page's rules are Hough's to find, and nothing
    long runs square to them. Only axes more than a degree off the frame's are given (the
    axis-aligned openings find the rest); [] with no family."""
    if len(segments) < _PAGE_SEGMENTS:
        return []
    ends = np.asarray(segments, np.float64).reshape(-1, 2, 2)
    slants = slants_of(ends[:, 1] - ends[:, 0])
    upright = np.abs(slants) > 90 - MAX_TILT
    # Each family as its turn from the frame's own axis (level: the slant; upright: from 90).
    turns = []
    for members in (slants[~upright], (slants[upright] % 180.0) - 90.0):
        median = float(np.median(members)) if len(members) else 0.0
        agreeing = np.count_nonzero(np.abs(members - median) <= RULE_AGREEMENT)
        turns.append(median if agreeing >= _PAGE_SEGMENTS else None)
    level, up = turns
    if level is None and up is None:
        return []
    if up is None:
        axes = [level + 90.0]
    elif level is None:
        axes = [up]  # the level axis, square to the upright family
    else:
        axes = [level, up + 90.0]
    off_the_frames = np.abs((np.array(axes) + 90.0) % 90.0 - 45.0) < 44.0  # by over a degree
    return [slant for slant, off in zip(axes, off_the_frames, strict=True) if off]


def _runs_along(mask: np.ndarray, slant: float, gap: int, length: int) -> np.ndarray:
    """uint8 0/1: the straight runs of `mask` at least `length` px long along `slant` (degrees,
    clockwise as y grows down), gaps under `gap` px closed along it first: the openings of
    `straight_lines`, on the mask turned so that direction is level. Nothing unless there are
    `_PAGE_SEGMENTS` such runs or more: a page's printed lines come many, parallel, where a
    lone run that way is more often a card's edge against the table. Worked out at half size
    (a quarter of the pixels), as Hough's votes are: `mask` is thickened enough for a thin
    line to stay one line there."""
    h, w = mask.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), slant, 0.5)
    cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
    size = (math.ceil(w * cos + h * sin), math.ceil(w * sin + h * cos))
    turn[:, 2] += size[0] / 2 - w / 2, size[1] / 2 - h / 2
    level = cv2.warpAffine(mask, turn, size, flags=cv2.INTER_NEAREST)
    level = cv2.morphologyEx(level, cv2.MORPH_CLOSE, np.ones((1, max(2, gap // 2)), np.uint8))
    level = cv2.morphologyEx(level, cv2.MORPH_OPEN, np.ones((1, length // 2), np.uint8))
    if cv2.connectedComponents(level, connectivity=8)[0] - 1 < _PAGE_SEGMENTS:
        return np.zeros_like(mask)
    back = cv2.warpAffine(level, turn, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    return cv2.bitwise_and(back, mask)


def _grid_crossings(solid: np.ndarray, found: np.ndarray, thickest: int) -> np.ndarray:
    """uint8 0/1: the pieces of `solid` (ink too thick to be a printed line, uint8 0/1) that
    are a thick grid's crossings, or nothing. Where two printed lines cross, their ink is a
    square as wide as both, and on thick squared paper every crossing is one: taken for
    writing, they are left behind as dots, which join the writing into one tall line of grid.
    Pieces under two `thickest` across, on the lines `found` (uint8 0/1), are crossings when
    the frame shows a grid: at least `_GRID_CROSSINGS` of them where found lines cross. (A
    ruled page's rules do not cross; a dim frame's noise leaves a few such pieces on them.)"""
    # (Each crossing is a square `thickest` wide at least: most frames have too few such
    # pixels, and labelling them costs more than this.)
    if cv2.countNonZero(solid) < _GRID_CROSSINGS * thickest * thickest:
        return np.zeros_like(solid)
    arm = 2 * thickest
    level = cv2.morphologyEx(found, cv2.MORPH_OPEN, np.ones((1, arm), np.uint8))
    upright = cv2.morphologyEx(found, cv2.MORPH_OPEN, np.ones((arm, 1), np.uint8))
    crossings = cv2.bitwise_and(cv2.bitwise_and(level, upright), solid)
    if cv2.countNonZero(crossings) < _GRID_CROSSINGS:
        return np.zeros_like(solid)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    small = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) < arm
    small[0] = False
    crossed = np.zeros(count, bool)
    crossed[labels[crossings > 0]] = True
    if np.count_nonzero(small & crossed) < _GRID_CROSSINGS:
        return np.zeros_like(solid)
    on_found = np.zeros(count, bool)
    on_found[labels[found > 0]] = True
    return np.take((small & on_found).view(np.uint8), labels)


def _followed(mask: np.ndarray, segments: list[np.ndarray], gap: int) -> list[Chord]:
    """Hough segments (x0, y0, x1, y1) of lines on `mask`, each with its ends followed out
    along it for as long as the mask holds the line (gaps under `gap` px bridged): Hough gives
    a line in pieces (writing crosses a rule, a grid's lines cross each other), and a piece
    left out joins the writing to the card's edge, or is a stroke of its own (a grid line's
    end past its last crossing, read as a 1). All the segments at once (a grid gives dozens)."""
    if not segments:
        return []
    h, w = mask.shape
    ends = np.array(segments, np.float64).reshape(-1, 2, 2)  # [segment, end, (x, y)]
    lengths = [max(1.0, math.hypot(x1 - x0, y1 - y0)) for (x0, y0), (x1, y1) in ends]
    unit = (ends[:, 1] - ends[:, 0]) / np.array(lengths)[:, np.newaxis]  # [segment, (x, y)]
    # Both ends: end 0 steps back from (x0, y0), end 1 on from (x1, y1). A ray from inside
    # the frame leaves it within hypot(w, h) steps, so over `gap` of the w + h steps are past
    # the edge, where the mask counts as missing.
    away = np.stack([-unit, unit], axis=1)[..., np.newaxis]  # [segment, end, (x, y), 1]
    steps = np.arange(1, w + h, dtype=np.float64)
    xs = np.round(ends[:, :, 0, np.newaxis] + away[:, :, 0] * steps).astype(int)
    ys = np.round(ends[:, :, 1, np.newaxis] + away[:, :, 1] * steps).astype(int)
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    missed = np.ones(xs.shape, np.int32)
    missed[inside] = mask[ys[inside], xs[inside]] == 0
    # A line ends where `gap` steps in a row miss it (or at the frame's edge): the first
    # window of `gap` steps all missed, by a running count.
    count = np.cumsum(missed, axis=2)
    windows = count[..., gap - 1 :] - np.pad(count, ((0, 0), (0, 0), (1, 0)))[..., :-gap]
    reach = np.argmax(windows >= gap, axis=2)  # [segment, end]: steps before that window
    chords = []
    for (x0, y0), (x1, y1), (ux, uy), (back, on) in zip(
        ends[:, 0].tolist(), ends[:, 1].tolist(), unit.tolist(), reach.tolist(), strict=True
    ):
        chords.append(
            (
                (round(x0 - back * ux), round(y0 - back * uy)),
                (round(x1 + on * ux), round(y1 + on * uy)),
            )
        )
    return chords


def _squared(upright_runs: np.ndarray) -> bool:
    """Whether a frame's long upright straight runs (uint8 0/1) are a grid's: `_PAGE_SEGMENTS`
    of them or more (a form's box walls are short, a ruled page has none)."""
    return cv2.connectedComponents(upright_runs, connectivity=8)[0] - 1 >= _PAGE_SEGMENTS


def _inked_straight(mask: np.ndarray, segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether `mask` (uint8 0/1) holds a straight line along each segment (x0, y0, x1, y1;
    int [n, 4]): the line fitted to the ink near it (`_fitted`) on the mask within 1 px for at
    least `_INKED_ALONG` of its way, or for `_ON_THE_LINE` of the way that has ink within 4 px,
    under `_CROSSED` of it with ink `_BESIDE` px off the line too (bool [n]); and the segments
    moved onto their fitted lines (int [n, 4], in the frame). A printed line is inked all
    along, bar a faint stretch or the gap between two boxes, and a faint rule's dashes lie on
    it with paper beside them; a line through a row of digits crosses their strokes (ink near
    it and off it, or on it and beside it) and the paper between them. Hough's half-size votes
    put a segment up to 2 px off the line it found, and give a line again 2 px either side:
    drawn there, it cuts the tops of the digits written under a box's top line."""
    if not len(segments):
        return np.zeros(0, bool), segments
    ends = np.asarray(segments, np.float64).reshape(-1, 4)
    fit = _fitted(mask, ends[:, :2], ends[:, 2:], beside=_BESIDE)
    on = fit.on.sum(axis=1)
    first, last = fit.offset[:, 0], fit.offset[np.arange(len(ends)), fit.count - 1]
    moved = ends + np.hstack([first[:, None] * fit.normal, last[:, None] * fit.normal])
    h, w = mask.shape
    moved = np.clip(np.round(moved), 0, [w - 1, h - 1, w - 1, h - 1]).astype(segments.dtype)
    # (Within `_OFF_THE_LINE` px, the line drawn where Hough put it covers its line already.)
    near = np.maximum(np.abs(first), np.abs(last)) < _OFF_THE_LINE
    moved[near] = segments[near]
    dashed = (on >= _ON_THE_LINE * fit.inked) & (fit.crossed.sum(axis=1) <= _CROSSED * on)
    return (on >= _INKED_ALONG * fit.count) | dashed, moved


def _ruled_together(segments: list[np.ndarray], apart: float) -> list[np.ndarray]:
    """The segments (x0, y0, x1, y1; long, near-level straight lines on the mask that do not
    cross the frame) that are rules of a card or sheet in view: each in step with another
    (their slants within `RULE_AGREEMENT`), at least `apart` px from it, beside it along
    their way (each overlapping half the other). A card's rules come several, parallel, one
    above another; a pen's stroke, however long and straight, has no such twin."""
    if len(segments) < 2:
        return []
    ends = np.array(segments, np.float64).reshape(-1, 2, 2)
    ends = np.where((ends[:, 0, 0] > ends[:, 1, 0])[:, None, None], ends[:, ::-1], ends)
    along = ends[:, 1] - ends[:, 0]
    slants = slants_of(along)
    middles = ends.mean(axis=1)
    ruled = np.zeros(len(segments), bool)
    for i in range(len(segments)):
        unit = along[i] / np.hypot(*along[i])
        offsets = (middles - middles[i]) @ np.array([-unit[1], unit[0]])
        spans = (ends - ends[i, 0]) @ unit  # [n, 2]: where each lies along segment i
        overlap = np.minimum(spans[:, 1], np.hypot(*along[i])) - np.maximum(spans[:, 0], 0.0)
        shorter = np.minimum(np.hypot(along[:, 0], along[:, 1]), np.hypot(*along[i]))
        twins = (
            (np.abs(slants - slants[i]) <= RULE_AGREEMENT)
            & (np.abs(offsets) >= apart)
            & (overlap >= 0.5 * shorter)
        )
        ruled[i] = twins.any()
    return [segment for segment, keep in zip(segments, ruled, strict=True) if keep]


def slants_of(along: np.ndarray) -> np.ndarray:
    """The slants (degrees in [-90, 90), clockwise as y grows down) of lines going `along`
    ([n, 2]: dx, dy), whichever way each is traced."""
    return (np.degrees(np.arctan2(along[:, 1], along[:, 0])) + 90.0) % 180.0 - 90.0


def _chord(segment: tuple[int, int, int, int], w: int, h: int) -> Chord:
    """The line through `segment` (x0, y0, x1, y1) across a w x h frame, edge to edge."""
    x0, y0, x1, y1 = (float(v) for v in segment)
    length = max(1.0, math.hypot(x1 - x0, y1 - y0))
    reach = (w + h) / length  # beyond the frame from either end
    first = (round(x0 - reach * (x1 - x0)), round(y0 - reach * (y1 - y0)))
    last = (round(x1 + reach * (x1 - x0)), round(y1 + reach * (y1 - y0)))
    _, first, last = cv2.clipLine((0, 0, w, h), first, last)
    return first, last


def _ends_on_mask(mask: np.ndarray, chords: list[Chord]) -> np.ndarray:
    """bool [len(chords)]: whether `mask` holds each chord near both its ends (within 4 px of
    it, for at least half of the first and of the last `_RULE_END` of its way)."""
    if not chords:
        return np.zeros(0, bool)
    h, w = mask.shape
    first = np.array([c[0] for c in chords], np.float64)
    along = np.array([c[1] for c in chords], np.float64) - first
    normal = np.stack([-along[:, 1], along[:, 0]], axis=1)
    normal /= np.maximum(1.0, np.hypot(along[:, 0], along[:, 1]))[:, np.newaxis]
    t = _CHORD_ENDS[np.newaxis, :, :, np.newaxis]  # [chord, end, 8 steps, 9 offsets]
    across = np.arange(-4, 5, dtype=np.float64)
    points = []
    for axis, size in ((0, w), (1, h)):
        start, step, side = (v[:, axis].reshape(-1, 1, 1, 1) for v in (first, along, normal))
        points.append(np.clip(np.round(start + t * step + across * side), 0, size - 1).astype(int))
    on = mask[points[1], points[0]] > 0
    return (on.any(axis=3).mean(axis=2) >= 0.5).all(axis=1)


def _rules_through(mask: np.ndarray, chords: list[Chord]) -> list[Chord | None]:
    """For each chord (`_chord`), the rule (or grid line) along it, as its end points at the
    frame's edges, if `mask` holds one there: a straight line on the mask for most of its way
    across the frame (`_RULE_SPAN`), however faint and broken, and up to the frame's edges at
    both ends (which `_ends_on_mask` looks at first); else None. A pen stroke, however long and
    straight, ends inside the frame. The line is fitted to the mask's pixels near the chord
    (`_fitted`), all chords at once."""
    if not chords:
        return []
    first = np.array([c[0] for c in chords], np.float64)
    last = np.array([c[1] for c in chords], np.float64)
    fit = _fitted(mask, first, last)
    count, on, offset = fit.count, fit.on, fit.offset
    ends = np.maximum(3, np.round(_RULE_END * count).astype(np.intp))
    so_far = np.cumsum(on, axis=1)
    index = np.arange(len(chords))
    at_start = so_far[index, np.minimum(ends, count) - 1] / np.minimum(ends, count)
    before_end = np.where(count > ends, so_far[index, np.maximum(0, count - ends - 1)], 0)
    at_end = (so_far[index, count - 1] - before_end) / np.minimum(ends, count)
    rule = (
        (fit.inked >= _RULE_SPAN * count)
        & (so_far[index, count - 1] >= _RULE_SPAN * count)
        & (at_start >= 0.5)
        & (at_end >= 0.5)
    )
    start = np.round(first + offset[:, 0:1] * fit.normal).astype(int)
    end = np.round(last + offset[index, count - 1][:, None] * fit.normal).astype(int)
    return [
        ((int(s[0]), int(s[1])), (int(e[0]), int(e[1]))) if found else None
        for s, e, found in zip(start, end, rule, strict=True)
    ]


class _Fit(NamedTuple):
    """Straight lines fitted to a mask's pixels near n segments, each sampled every 2 px along
    its way (`count` [n] samples; the shorter ones padded to the longest's, which count for
    nothing): `inked` [n], how many samples have ink within 4 px across; `on` bool [n, steps],
    which have it within 1 px of the fitted line; `offset` [n, steps], the fitted line's
    offset from the segment (px along `normal` [n, 2], the segments' unit normals); `crossed`
    bool [n, steps] (if asked for), which of `on` have ink beside the line too (`_fitted`)."""

    count: np.ndarray
    inked: np.ndarray
    on: np.ndarray
    offset: np.ndarray
    normal: np.ndarray
    crossed: np.ndarray | None = None


def _fitted(mask: np.ndarray, first: np.ndarray, last: np.ndarray, beside: int = 0) -> _Fit:
    """The straight lines on `mask` (uint8 0/1) near the segments from `first` to `last`
    (float [n, 2] each, x, y px): for each, the least-squares line through the centres of
    the ink within 4 px across it, and where the mask holds that line (`_Fit`); and, given
    `beside` (px), where the mask holds it and a line `beside` px off it on either side too. Hough's
    degree steps put a long line's ends pixels off the printed line it found. All the
    segments at once: a busy page has dozens, and one at a time their numpy calls' overheads
    were most of the finder's time on such a page."""
    h, w = mask.shape
    along = last - first
    length = np.hypot(along[:, 0], along[:, 1])
    count = np.maximum(2, np.round(length / 2).astype(np.intp))  # every 2 px
    steps = np.arange(count.max())
    t = steps * (1.0 / (count[:, None] - 1))  # [segment, step]
    t[np.arange(len(first)), count - 1] = 1.0
    valid = steps < count[:, None]
    normal = np.stack([-along[:, 1], along[:, 0]], axis=1) / np.maximum(1.0, length)[:, None]
    xs_on = first[:, 0:1] + t * along[:, 0:1]
    ys_on = first[:, 1:2] + t * along[:, 1:2]

    def on_mask(offset: np.ndarray, spread: int) -> tuple[np.ndarray, np.ndarray]:
        """[segment, step, 2 * spread + 1]: whether each px within `spread` of each line
        (shifted by `offset` px along its normal) is on the mask, and its offset."""
        across = offset[..., None] + np.arange(-spread, spread + 1)
        xs = xs_on[..., None] + across * normal[:, 0, None, None]
        ys = ys_on[..., None] + across * normal[:, 1, None, None]
        xs = np.clip(np.round(xs), 0, w - 1).astype(np.intp)
        ys = np.clip(np.round(ys), 0, h - 1).astype(np.intp)
        return (mask[ys, xs] > 0) & valid[..., None], across

    hits, across = on_mask(np.zeros_like(t), 4)
    rows = hits.any(axis=2)
    inked = np.count_nonzero(rows, axis=1)
    # The least-squares line through each segment's hits' offsets (np.polyfit's answer).
    per_row = np.maximum(1, hits.sum(axis=2))
    centres = (hits * across).sum(axis=2) / per_row
    on_rows = np.maximum(1, inked)
    t_mean = (t * rows).sum(axis=1) / on_rows
    centres_mean = (centres * rows).sum(axis=1) / on_rows
    spread = (t - t_mean[:, None]) * rows
    slope = (spread * (centres - centres_mean[:, None])).sum(axis=1) / np.maximum(
        1e-9, (spread**2).sum(axis=1)
    )
    offset = centres_mean[:, None] + slope[:, None] * (t - t_mean[:, None])
    on = on_mask(offset, 1)[0].any(axis=2)
    if not beside:
        return _Fit(count, inked, on, offset, normal)
    off = on_mask(offset + beside, 1)[0].any(axis=2) | on_mask(offset - beside, 1)[0].any(axis=2)
    return _Fit(count, inked, on, offset, normal, on & off)


def printed_boxes(mask: np.ndarray) -> np.ndarray:
    """uint8 0/1: the lines of the printed boxes in an ink mask (detection size): a box round
    a digit, the cells of a comb, a table's cells. A box is a piece of ink whose outline is a
    four-sided figure with straight sides and near-right corners, hollow (a box holds paper
    and a digit; a written 0 is round and has no corners). Its sides, and those of its cells
    that are a comb's (`_comb_cells`, or where digits touching its walls break the cells'
    outlines, `_comb_walls`), are the box's lines: not writing, so a line is fitted to the
    digits inside, not to the box (whose sides, in the line, read as 1s)."""
    found = np.zeros_like(mask)
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None:
        return found
    smallest = _SMALLEST_BOX * min(mask.shape)
    h, w = mask.shape
    parents = hierarchy[0, :, 3]
    # A speck or a stroke: its outline is shorter than any box's.
    lengths = np.array([len(contour) for contour in contours])
    long_enough = lengths >= 2 * smallest
    # What is written in boxes: the centres of the pieces long enough to be a digit's, worked
    # out once a box is found (most frames have none).
    pieces = np.flatnonzero((parents < 0) & (lengths >= smallest))
    written: np.ndarray | None = None
    for index in np.flatnonzero((parents < 0) & long_enough):
        outer = contours[index]
        x, y, bw, bh = cv2.boundingRect(outer)
        if x == 0 or y == 0 or x + bw == w or y + bh == h:
            continue  # ruled or squared paper runs off the frame; a printed box is in it
        corners = _box_corners(outer, smallest)
        if corners is None:
            continue
        cells = [c for c in np.flatnonzero(parents == index)]
        if sum(cv2.contourArea(contours[c]) for c in cells) < _HOLLOW * cv2.contourArea(corners):
            continue  # a box holds paper: this is a blob
        cv2.polylines(found, [corners], True, 1, 3)
        if written is None:
            rects = np.array([cv2.boundingRect(contours[i]) for i in pieces], np.float64)
            rects = rects.reshape(-1, 4)
            written = rects[:, :2] + rects[:, 2:] / 2
        others = np.delete(written, np.flatnonzero(pieces == index), axis=0)
        comb = _comb_cells([contours[c] for c in cells], others, smallest)
        cv2.polylines(found, comb, True, 1, 3)
        if not comb:
            for top, bottom in _comb_walls(mask, corners):
                cv2.line(found, top, bottom, 1, 3)
    return cv2.bitwise_and(found, mask)


def _comb_walls(mask: np.ndarray, corners: np.ndarray) -> list[tuple[Point, Point]]:
    """The walls of a comb inside a box (corners int32 [4, 1, 2] in `mask`), each as its ends
    on the box's top and bottom sides (px): straight lines across the box, inked over
    `_WALL_SPAN` of its height, that split it into cells of one width (`_REGULAR`), each at
    least `_NARROWEST_CELL` of the box's height wide. A digit written touching a wall joins
    the wall's outline and breaks the cell's, so `_comb_cells` misses such a comb's walls,
    and in the line image they read as 1s ("77" read "717"). The box is looked at turned
    upright (its corners mapped to a rectangle), so a page turned or seen in perspective
    has its walls upright too. A wall with a stroke down it (a bold 0's side drawn over it) is
    left to the reader: taken for print, the stroke would go with it."""
    points = _clockwise_from_top_left(corners[:, 0].astype(np.float32))
    sides = np.roll(points, -1, axis=0) - points
    lengths = np.hypot(sides[:, 0], sides[:, 1])
    width, height = (lengths[0] + lengths[2]) / 2, (lengths[1] + lengths[3]) / 2
    cells = int(width // (_NARROWEST_CELL * height))
    if cells < 2:
        return []
    w, h = round(width), round(height)
    upright = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    to_upright = cv2.getPerspectiveTransform(points, upright)
    inside = cv2.warpPerspective(mask, to_upright, (w + 1, h + 1), flags=cv2.INTER_NEAREST)
    inside = inside[2 : h - 1]  # the box's top and bottom sides left out
    # A turned wall's pixels wander a pixel either side of its column.
    near = cv2.dilate(inside, np.ones((1, 3), np.uint8))
    inked = near.mean(axis=0) >= _WALL_SPAN
    if not inked.any():
        return []
    # Each inked column's own pixels: a wall is the column its pixels are in, not one beside.
    column_ink = np.where(inked, inside.sum(axis=0, dtype=np.int64), -1)
    for count in range(cells, 1, -1):
        pitch = width / count
        reach = max(2, round(_REGULAR * pitch / 2))
        walls = []
        for x in np.round(np.arange(1, count) * pitch).astype(int):
            near_x = column_ink[max(0, x - reach) : x + reach + 1]
            if near_x.max() < 0:
                break
            walls.append(max(0, x - reach) + int(near_x.argmax()))
        else:
            walls = [x for x in walls if _thin(inside, x)]
            if not walls:
                return []
            ends = np.array([[[x, 0], [x, h]] for x in walls], np.float32)
            to_box = np.linalg.inv(to_upright)
            found = cv2.perspectiveTransform(ends.reshape(-1, 1, 2), to_box).reshape(-1, 2, 2)
            return [(_point(top), _point(bottom)) for top, bottom in found]
    return []


def _thin(inside: np.ndarray, wall: int) -> bool:
    """Whether the run of ink through column `wall` of a box's inside (uint8 0/1 [rows,
    columns]) is no wider than a printed line (`_WALL_WIDEST` px) in a third of its rows at
    least: a digit touching or crossing the wall widens some rows, a stroke drawn down it
    nearly all."""
    left = np.cumprod(inside[:, wall::-1], axis=1).sum(axis=1)
    right = np.cumprod(inside[:, wall:], axis=1).sum(axis=1)
    widths = np.where(left > 0, left + right - 1, 0)
    return float(np.percentile(widths, 30)) <= _WALL_WIDEST


def _clockwise_from_top_left(points: np.ndarray) -> np.ndarray:
    """A four-sided box's corners (float32 [4, 2], in either turn) clockwise on the screen
    from the top left, so sides 0 and 2 are its top and bottom."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ordered = points[np.argsort(angles)]  # round the centre, clockwise on the screen
    first = int(np.argmin(ordered.sum(axis=1)))
    return np.roll(ordered, -first, axis=0)


def _point(xy: np.ndarray) -> Point:
    return round(float(xy[0])), round(float(xy[1]))


def _comb_cells(holes: list[np.ndarray], written: np.ndarray, smallest: float) -> list[np.ndarray]:
    """The corners (int32 [4, 1, 2] each) of a box's holes (outlines) that are a comb's cells,
    whose walls are printed lines: boxes too, as wide as the cells something is written in
    (`written`, [m, 2]: centres of other pieces), within `_REGULAR` of it. A 1 written from a
    box's top to its bottom splits it into two boxes, empty and narrower than a cell, and
    would be taken for a wall; a comb's empty cells are as wide as its written ones."""
    cells = [corners for hole in holes if (corners := _box_corners(hole, smallest)) is not None]
    if not cells:
        return []
    widths = np.array([_width(corners) for corners in cells])
    filled = np.array(
        [in_box(written[:, 0], written[:, 1], cv2.boundingRect(c)).any() for c in cells]
    )
    if not filled.any():
        return []
    pitch = float(np.median(widths[filled]))
    regular = np.abs(widths - pitch) <= _REGULAR * pitch
    return [corners for corners, keep in zip(cells, regular, strict=True) if keep]


def _width(corners: np.ndarray) -> float:
    """A four-sided box's (corners int32 [4, 1, 2]) width: its level sides' mean length (px)."""
    sides = np.roll(corners[:, 0], -1, axis=0) - corners[:, 0]
    level = np.abs(sides[:, 0]) >= np.abs(sides[:, 1])
    return float(np.hypot(sides[level, 0], sides[level, 1]).mean()) if level.any() else 0.0


def _box_corners(contour: np.ndarray, smallest: float) -> np.ndarray | None:
    """The four corners of an outline that is a box (int32 [4, 1, 2]), or None: four straight
    sides, each at least `smallest` px, meeting at near-right angles, the outline within 2 px
    of them all along."""
    perimeter = cv2.arcLength(contour, True)
    if perimeter < 4 * smallest:
        return None
    corners = cv2.approxPolyDP(contour, 0.03 * perimeter, True)
    if len(corners) != 4 or not cv2.isContourConvex(corners):
        return None
    points = corners[:, 0].astype(np.float64)
    sides = np.roll(points, -1, axis=0) - points
    lengths = np.hypot(sides[:, 0], sides[:, 1])
    if lengths.min() < smallest:
        return None
    cosines = [
        abs(float(np.dot(sides[k], sides[(k + 1) % 4]))) / (lengths[k] * lengths[(k + 1) % 4])
        for k in range(4)
    ]
    if max(cosines) > math.cos(math.radians(90 - _BOX_CORNER)):
        return None
    reach = np.maximum(contour[:, 0].max(axis=0), corners[:, 0].max(axis=0)) + 4
    outline = np.zeros((int(reach[1]), int(reach[0])), np.uint8)
    cv2.polylines(outline, [corners], True, 1, 5)
    on = outline[contour[:, 0, 1], contour[:, 0, 0]]
    return corners if on.mean() >= _STRAIGHT_SIDES else None


def _kernel(along: tuple[int, int], length: int) -> tuple[int, int]:
    """The (rows, columns) shape of a 1-px kernel `length` long in direction (dx, dy)."""
    dx, dy = along
    return (1 + (length - 1) * dy, 1 + (length - 1) * dx)


def in_box(xs: np.ndarray, ys: np.ndarray, box: np.ndarray) -> np.ndarray:
    """bool: which of the pixels (xs, ys) lie in `box` (x, y, width, height)."""
    x, y, width, height = box
    return (xs >= x) & (xs < x + width) & (ys >= y) & (ys < y + height)


def is_an_edge(grey: np.ndarray, segment: tuple[int, int, int, int], offset: int) -> bool:
    """Whether a straight segment (x0, y0, x1, y1) is the edge of a sheet (`_are_edges`)."""
    return bool(_are_edges(grey, [segment], offset)[0])


def _are_edges(
    grey: np.ndarray, segments: np.ndarray | list[tuple[int, int, int, int]], offset: int
) -> np.ndarray:
    """bool [len(segments)]: whether each straight segment (x0, y0, x1, y1) is the edge of a
    sheet: clearly darker on one side than on the other all along (paper on one side, table
    on the other), as seen `offset` px off it each way. A pen's stroke has paper on both
    sides."""
    ends = np.array(segments, np.float64).reshape(-1, 4)
    if not len(ends):
        return np.zeros(0, bool)
    lengths = np.array([max(1.0, math.hypot(x1 - x0, y1 - y0)) for x0, y0, x1, y1 in ends])
    x0, y0, x1, y1 = (column[:, np.newaxis] for column in ends.T)
    nx, ny = -(y1 - y0) / lengths[:, np.newaxis], (x1 - x0) / lengths[:, np.newaxis]
    t = _EDGE_SAMPLES
    xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)  # [segment, sample]
    h, w = grey.shape

    def side(sign: float) -> np.ndarray:
        sx = np.clip(np.round(xs + sign * offset * nx), 0, w - 1).astype(int)
        sy = np.clip(np.round(ys + sign * offset * ny), 0, h - 1).astype(int)
        return grey[sy, sx].astype(np.float64)

    def medians(values: np.ndarray) -> np.ndarray:  # of each row (an odd count: its middle)
        middle = values.shape[1] // 2
        return np.partition(values, middle, axis=1)[:, middle]

    one, other = side(1.0), side(-1.0)
    darker, brighter = np.minimum(one, other), np.maximum(one, other)
    below = np.where((medians(one) < medians(other))[:, np.newaxis], one < other, other < one)
    steady = np.count_nonzero(below, axis=1) / below.shape[1] >= 0.8
    return (medians(darker) < _EDGE_RATIO * medians(brighter)) & steady


def strokes_across(mask: np.ndarray, printed: np.ndarray, long: int) -> np.ndarray:
    """uint8 0/1: the pixels of thin level printed lines (`printed`, 0/1: the printed lines'
    pixels of `mask`) that writing crosses or rests on: on an upright run of `mask` (0/1)
    longer than the lines are thick that reaches ink off the print (a steep printed line's
    runs are print all along), and shorter than `long` px (an upright printed line, or
    writing tall enough to keep its shape without them).

    The lines' thickness is the shortest upright run that at most `_PRINT_SHARE` of their
    pixels are on, when that is a thin ruled page's (`_THIN_PRINT`); thicker print (a box, a
    grid, a card's edge) gives nothing. A rule's own pixels and its grey fringe are on runs
    as short as the rule is thick; a small digit crossing it, or resting on it, runs on
    beyond. (The criterion of staff-line removal in scores of music: Dalitz et al., "A
    comparative study of staff removal algorithms", IEEE TPAMI 30(5), 2008.)"""
    none = np.zeros_like(printed)
    if not printed.any():
        return none
    upright = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((long, 1), np.uint8))
    level = cv2.subtract(printed, upright)
    total = cv2.countNonZero(level)
    for run in range(2, _THIN_PRINT + 1):
        on_runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((run, 1), np.uint8))
        if cv2.countNonZero(cv2.bitwise_and(level, on_runs)) <= _PRINT_SHARE * total:
            # The lines are under `run` px thick: writing runs on a pixel more, at least, and
            # off them (a steep printed line's upright runs are print all along).
            longer = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((run + 1, 1), np.uint8))
            runs = _upright_runs(longer)
            off_print = np.unique(runs[(mask > 0) & (printed == 0)])
            return cv2.bitwise_and(level, np.isin(runs, off_print[off_print > 0]).astype(np.uint8))
    return none


def pen_strokes(
    printed: np.ndarray, mask: np.ndarray, grey: np.ndarray, thickest: int
) -> np.ndarray:
    """uint8 0/1: the pieces of `printed` (0/1, the straight lines `straight_lines` found) that
    are a close-up's long pen strokes, not print: a 4's stem, a 7's bar, seen from near or
    foreshortened by the camera's slant. Such a piece
    - ends inside the frame (over `thickest` px from its edges: a rule, a grid line or a
      table's edge runs on to the frame's edge) and is at least `_PEN_STROKE` of the short
      side long (shorter pieces are what writing over print leaves of a rule or a grid);
    - has no printed line beside it running the same way (within `_FAMILY_TURN`, more than
      two `thickest` apart): a card's rules, a grid's lines come in families;
    - is joined in `mask` (0/1, ink) to a piece of ink off the print holding at least
      `_JOINED_INK` of its own pixels (the rest of the digit; a comb's ticks are many small
      pieces);
    - has paper on both sides: the greys (`grey`, uint8, dark ink dark) round it, off the
      ink, at their 20th percentile at least `_EDGE_RATIO` of their 80th (a sheet's edge
      has a table on one side).
    And the print on a bare 1 (`_bare_ones`). Measured (session 40): real-dev's photos with a
    quarter of one side foreshortened 127 -> 130 of 140 (`tests/test_real_handwriting.py`; at
    random, 130 -> 132), squeezed to 0.6 133 -> 135, a shadow's edge across them 137 -> 138;
    held-out scenes (4,400) one more read right, none fewer."""
    count, labels, stats = pieces_with_boxes(printed)
    x, y, width, height, area = (stats[:, column] for column in range(5))
    h, w = printed.shape
    # (A bare 1 is looked for only where print stands upright and long: most frames' print
    # is level, a grid's upright lines cut short by its level ones.)
    tall = max(2 * thickest, _PEN_STROKE * min(printed.shape) / 2)
    upright = (height[1:] >= width[1:]) & (height[1:] >= tall)
    inside = (x > thickest) & (y > thickest) & (x + width < w - thickest)
    inside &= (y + height < h - thickest) & (np.maximum(width, height) >= _PEN_STROKE * min(h, w))
    inside[0] = False
    if not inside.any() and not upright.any():
        return np.zeros_like(printed)
    # The pieces of ink (`mask`), and the ink grown a pixel: what is round a stroke off it.
    ink = pieces_with_boxes(mask)
    ink_wide = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    bare = _bare_ones(printed, ink, ink_wide, grey) if upright.any() else np.zeros_like(printed)
    if not inside.any():
        return bare
    # Each piece's direction and centre, from its pixels' moments.
    ys, xs = np.nonzero(labels)
    of = labels[ys, xs]
    n = np.maximum(np.bincount(of, minlength=count), 1).astype(np.float64)
    cx, cy = np.bincount(of, xs, count) / n, np.bincount(of, ys, count) / n
    sxx = np.bincount(of, xs * xs.astype(np.float64), count) / n - cx * cx
    syy = np.bincount(of, ys * ys.astype(np.float64), count) / n - cy * cy
    sxy = np.bincount(of, xs * ys.astype(np.float64), count) / n - cx * cy
    directions = 0.5 * np.arctan2(2 * sxy, sxx - syy)
    directions[area < 3] = np.nan  # (a speck has no direction; nor has the background)
    directions[0] = np.nan
    # The pieces of ink off the print, and the piece of `mask` each belongs to.
    ink_labels = ink[1]
    near_print = cv2.dilate(printed, np.ones((5, 5), np.uint8))
    off = cv2.subtract(mask, near_print)
    off_count, off_labels, off_stats = pieces_with_boxes(off)
    off_area = off_stats[:, cv2.CC_STAT_AREA]
    in_ink = np.zeros(off_count, np.int64)
    in_ink[off_labels[off > 0]] = ink_labels[off > 0]
    in_ink[0] = -1
    reach = _PAPER_BESIDE
    strokes = np.zeros(count, bool)
    for piece in np.flatnonzero(inside):
        turn = np.abs((directions - directions[piece] + np.pi / 2) % np.pi - np.pi / 2)
        normal = (-math.sin(directions[piece]), math.cos(directions[piece]))
        apart = np.abs((cx - cx[piece]) * normal[0] + (cy - cy[piece]) * normal[1])
        if np.any((turn <= math.radians(_FAMILY_TURN)) & (apart > 2 * thickest)):
            continue
        # (In the piece's box and `reach` px round it: a frame-sized image per piece costs more.)
        x0, y0 = max(0, x[piece] - reach), max(0, y[piece] - reach)
        x1, y1 = min(w, x[piece] + width[piece] + reach), min(h, y[piece] + height[piece] + reach)
        own = (labels[y0:y1, x0:x1] == piece).view(np.uint8)
        joined = np.isin(in_ink, ink_labels[y0:y1, x0:x1][own > 0])
        if not np.any(joined & (off_area >= _JOINED_INK * area[piece])):
            continue
        paper = _paper_beside(own, ink_wide[y0:y1, x0:x1], grey[y0:y1, x0:x1])
        strokes[piece] = paper is not None and paper[0] >= _EDGE_RATIO * paper[1]
    return cv2.bitwise_or(np.take(strokes.view(np.uint8), labels), bare)


def _paper_beside(
    own: np.ndarray, ink_wide: np.ndarray, grey: np.ndarray
) -> tuple[float, float] | None:
    """The greys round a piece (`own`, uint8 0/1, in a window of the frame) up to
    `_PAPER_BESIDE` px out and off the ink (`ink_wide`, the ink grown a pixel, and `grey`,
    uint8 dark ink dark, the same window): their 20th and 80th percentiles, darker side and
    paper; None with none there."""
    reach = 2 * _PAPER_BESIDE + 1
    beside = cv2.subtract(cv2.dilate(own, np.ones((reach, reach), np.uint8)), ink_wide)
    sides = grey[beside > 0]
    if not len(sides):
        return None
    darker, brighter = np.percentile(sides, (20, 80))
    return float(darker), float(brighter)


def _bare_ones(
    printed: np.ndarray,
    ink: tuple[int, np.ndarray, np.ndarray],
    ink_wide: np.ndarray,
    grey: np.ndarray,
) -> np.ndarray:
    """uint8 0/1: the pixels of `printed` (0/1) on a bare 1 among the pieces of ink (`ink`:
    count, labels and stats, `pieces_with_boxes`; `ink_wide`, the ink grown a pixel): a piece of
    ink that is one straight stroke (filling `_STRAIGHT` of its turned box, at most
    `_THIN_ONE` as wide as long, at least `_PEN_STROKE` of the short side long), within
    `_UPRIGHT_ONE` degrees of upright, as dark as ink (its median grey at most `_BARE_INK` of
    the paper's beside it, `grey` uint8 dark ink dark: a note's edge on a desk is a faint line
    once the note is balanced), with paper on both sides (as `pen_strokes` asks) and
    `_PAPER_BESIDE` px beyond both ends, inside the frame (a rule runs off it; a margin's line
    ends at its sheet's edge, the table beyond it).

    A 1 in a fine pen, 2-3 % as wide as it is long, filling a close-up, is found as a printed
    line, whole or in pieces (leaning, in steps), and with nothing else joined to it the
    frame read nothing ("no ink found"): 6 of 46 handwriting fonts' photos of a 1."""
    found = np.zeros_like(printed)
    count, labels, stats = ink
    x, y, width, height, area = (stats[:, column] for column in range(5))
    h, w = printed.shape
    on_print = np.bincount(labels[printed > 0], minlength=count)
    candidates = (on_print > 0) & (height >= _PEN_STROKE * min(h, w)) & (height >= width)
    reach = _PAPER_BESIDE  # (its ends inside the frame by as much: paper beyond is looked for)
    candidates &= (x > reach) & (y > reach) & (x + width < w - reach) & (y + height < h - reach)
    candidates[0] = False
    for piece in np.flatnonzero(candidates):
        x0, y0 = max(0, x[piece] - reach), max(0, y[piece] - reach)
        x1, y1 = min(w, x[piece] + width[piece] + reach), min(h, y[piece] + height[piece] + reach)
        own = labels[y0:y1, x0:x1] == piece
        ys, xs = np.nonzero(own)
        _, sides, _ = cv2.minAreaRect(np.column_stack([xs, ys]).astype(np.float32))
        long, short = max(sides), max(1.0, min(sides))
        if short > _THIN_ONE * long or area[piece] < _STRAIGHT * long * short:
            continue
        cx, cy = xs.mean(), ys.mean()
        sxx, syy = np.mean((xs - cx) ** 2), np.mean((ys - cy) ** 2)
        direction = 0.5 * math.atan2(2 * np.mean((xs - cx) * (ys - cy)), sxx - syy)
        if abs(abs(direction) - math.pi / 2) > math.radians(_UPRIGHT_ONE):
            continue
        paper = _paper_beside(own.view(np.uint8), ink_wide[y0:y1, x0:x1], grey[y0:y1, x0:x1])
        if paper is None or paper[0] < _EDGE_RATIO * paper[1]:
            continue
        brighter = paper[1]
        if np.median(grey[y0:y1, x0:x1][own]) > _BARE_INK * brighter:
            continue
        along = (math.cos(direction), math.sin(direction))
        spans = (xs - cx) * along[0] + (ys - cy) * along[1]
        ends = [
            (round(cx + end * along[0]), round(cy + end * along[1]))
            for end in (spans.min() - reach, spans.max() + reach)
        ]
        if all(
            0 <= ex < x1 - x0
            and 0 <= ey < y1 - y0
            and grey[y0 + ey, x0 + ex] >= _EDGE_RATIO * brighter
            for ex, ey in ends
        ):
            found[y0:y1, x0:x1][own & (printed[y0:y1, x0:x1] > 0)] = 1
    return found


def pieces_with_boxes(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """cv2.connectedComponentsWithStats (8-connected) less the centroids: the count, labels and
    stats. Grana's BBDT numbers the pieces as the default (Spaghetti) does, both scanning 2x2
    blocks in the same order, and gathers the stats at a third of its cost."""
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        mask, 8, cv2.CV_32S, cv2.CCL_BBDT
    )
    return count, labels, stats


def comb_ticks(mask: np.ndarray, printed: np.ndarray, thickest: int) -> np.ndarray:
    """uint8 0/1: the pieces of `mask` (0/1, printed lines taken out) that are a comb's ticks:
    the short walls that stand up from a comb's bottom line between its cells, with no top
    line to make boxes of them (`printed_boxes`), and too short to be found as printed lines.
    Left in the writing, the first reads as a 1 before the first digit ("1707" read "11707").

    Ticks are thin straight stubs (under `_TICK_WIDTH` of `thickest` px wide and
    `_TICK_SHAPE` times as long as that), upright as a page turned up to `MAX_TILT` has them,
    touching printed lines (`printed`, 0/1): at least `_TICKS` of them as long as each other
    (`_TICK_LENGTHS`) and parallel (`_TICK_TURN`), printed alike, and a cell apart (further
    than they are long). A 1 written on a rule with a fine pen is as thin and as straight,
    but it is taller than the ticks between which it is written, and 1s written by hand are
    not all as long as each other and as upright; a thin 4 cut by a rule is stubs alike, but
    side by side; what a rule's fringe leaves is level."""
    ticks = np.zeros_like(mask)
    if not printed.any():
        return ticks
    count, labels, stats = pieces_with_boxes(mask)
    near = cv2.dilate(printed, np.ones((5, 5), np.uint8))  # touching: within 2 px
    stubs, lengths, turns, places = [], [], [], []
    for piece in np.unique(labels[near > 0]):
        # (A stub at least `_TICK_SHAPE` times as long as its pixel of width has that many
        # pixels: smaller specks are not measured.)
        if piece == 0 or stats[piece, cv2.CC_STAT_AREA] < _TICK_SHAPE:
            continue
        x, y, w, h = stats[piece, :4]
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == piece)
        (_, _), sides, angle = cv2.minAreaRect(np.column_stack([xs, ys]).astype(np.float32))
        width, length = sorted(sides)
        # The long side's direction, 0-180 degrees (minAreaRect's angle is its first side's).
        turn = (angle + (90.0 if sides[1] > sides[0] else 0.0)) % 180.0
        upright = abs(turn - 90.0) <= MAX_TILT
        # A tick stands up from the comb's bottom line with nothing printed above it; a thin 1
        # written in a box has the box's top line above it (a font's 1s are all alike).
        stub = upright and width <= _TICK_WIDTH * thickest
        stub = stub and length >= _TICK_SHAPE * max(width, 1.0)
        if stub and not printed[max(0, y - h) : y, x : x + w].any():
            stubs.append(piece)
            lengths.append(length)
            turns.append(turn)
            places.append(x + w / 2)
    if len(stubs) < _TICKS:
        return ticks
    lengths_, turns_ = np.array(lengths), np.array(turns)
    alike = np.abs(lengths_ - np.median(lengths_)) <= _TICK_LENGTHS * np.median(lengths_)
    if np.count_nonzero(alike) < _TICKS:
        return ticks
    turned = np.abs((turns_ - np.median(turns_[alike]) + 90.0) % 180.0 - 90.0)
    # A short stub's direction is known to a pixel at its ends: a tick 10 px long, to 6 degrees.
    alike &= turned <= _TICK_TURN + np.degrees(np.arctan2(1.0, lengths_))
    places_ = np.sort(np.array(places)[alike])
    if np.count_nonzero(alike) < _TICKS or np.diff(places_).min() <= np.median(lengths_[alike]):
        return ticks
    chosen = np.zeros(count, np.uint8)
    chosen[np.array(stubs)[alike]] = 1
    return np.take(chosen, labels)


def _upright_runs(mask: np.ndarray) -> np.ndarray:
    """int32: each upright run of `mask` (0/1) labelled on its own (0: none), as
    `cv2.connectedComponents` labels pieces: with its columns set apart, only neighbours
    above and below join."""
    h, w = mask.shape
    apart = np.zeros((h, 2 * w), np.uint8)
    apart[:, ::2] = mask
    return cv2.connectedComponents(apart, connectivity=4)[1][:, ::2]


def _border_strips(mask: np.ndarray, length: int, width: int) -> np.ndarray:
    """uint8 0/1: long runs along the frame's edges, within `width` px of them: a strip of dark
    table between a sheet and the frame's edge, whatever its thickness. A digit touching an
    edge meets it end on, not along it."""
    strips = np.zeros_like(mask)
    # An opening along rows (columns) treats each row (column) on its own: the top and bottom
    # bands are opened stacked, in one call, and so are the left and right ones.
    top_bottom = np.vstack([mask[:width], mask[-width:]])
    runs = cv2.morphologyEx(top_bottom, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
    strips[:width] |= runs[:width]
    strips[-width:] |= runs[width:]
    left_right = np.hstack([mask[:, :width], mask[:, -width:]])
    runs = cv2.morphologyEx(left_right, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8))
    strips[:, :width] |= runs[:, :width]
    strips[:, -width:] |= runs[:, width:]
    return strips
