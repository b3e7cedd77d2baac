"""Frame -> lines of writing: where the ink is, grouped into lines, cut out as line images.

This stage does not decide where one digit ends: the reader (CTC) does. It has to find every
line a person can read and never hide a digit, so it is generous and leaves rejecting what is
not writing (specks, lines, blobs) largely to the reader, which reads nothing there. Steps:
1. the ink's polarity (dark pen on paper, or chalk on a board) when `ink = "auto"`;
2. ink darkness relative to the paper around it, at detection size (~240 rows), so uneven
   light, shadows and dim rooms do not read as ink, and a digit stroke up to a third of the
   frame wide (a close-up) stays ink;
3. long straight lines (rules, grids, table cells, a paper's edge; found by `edge.printed`)
   are left out of the *grouping*, so they do not join everything on a page into one line,
   except where writing crosses a rule (the reader, trained on ruled, squared and boxed paper,
   ignores what remains of them in a line image);
4. ink pieces are grouped into lines (neighbours that overlap vertically and are near), each
   line's direction is fitted (tilted paper, up to ~35 degrees), and it is cut out along that
   direction at full resolution (`edge.ink.line_image`).
All functions are pure: numpy arrays in, numpy out.
"""

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from edge.events import NO_INK, Box
from edge.ink import (
    Ink,
    LineGeometry,
    checked_frame,
    exposed,
    exposure,
    grey_of,
    ink_darkness,
    ink_greys,
    line_image,
    paper_brightness,
    percentile_u8,
    quantile,
)
from edge.printed import (
    MAX_TILT,
    RULE_AGREEMENT,
    Chord,
    comb_ticks,
    pen_strokes,
    pieces_with_boxes,
    printed_boxes,
    slants_of,
    straight_lines,
    strokes_across,
    thickest_rule,
    written_over_print,
)
from edge.table import (
    bands,
    lengths,
    off_rough_ground,
    rim_of_a_darker_thing,
    sliver_of_table,
    spreads,
    table_around_sheet,
    table_beside_sheet,
    unexplained_dark,
    wide_dark,
    without_cast_shadows,
    without_shadow_tips,
    without_table,
    without_table_at_the_border,
)

DETECT_ROWS = 240  # the frame is shrunk by the whole factor that brings it closest to this
_ENLARGED_PIXELS = 2_000_000  # a small frame is enlarged to DETECT_ROWS, to this many px at most
_STROKE = 0.1  # of the short side: wider than an ordinary pen's stroke
_WIDEST_STROKE = 0.34  # of the short side: a close-up's marker stroke is still ink
_INK = 0.2  # darkness (of full black) that is ink; half that is faint ink, if it touches ink
_BRIGHT_PAPER = 60  # grey level: paper dimmer than this asks ink to be darker (see _paper_and_ink)
_RULE_INK = 0.1  # printed lines are looked for in a more sensitive mask: they are often faint
_SPECK = 0.5  # pieces under this (of the minimum digit height) each way are specks
_RULE = 0.3  # a straight line this long (of the frame's short side) is a rule, grid line or edge
# Pieces are on one line when they overlap vertically by this much (of the shorter) and the
# gap between them is under this many heights (of the taller).
_SAME_LINE_OVERLAP = 0.1
_SAME_LINE_GAP = 1.0
_FAR_LONGER = 2.0  # a band this many times as long as a piece is tall is judged by its ink
_PIECE_GAP = 0.2
# A piece under this (of a bigger one's height) within this (of it) of its box joins it.
_SMALL_PIECE = 0.6
_REACH = 0.3
_FLAT_END = 0.35  # of the taller's height: a printed line's end beside a piece is this flat
_TOUCHING = 2  # px (detection size) between a line and the halves of a stroke it cuts, at most
# A line's piece taller than this many times its tallest piece is a digit cut apart; it is
# judged beside pieces as tall as itself, within this factor (`_by_whole_heights`).
_CUT_APART = 1.2
_AS_TALL = 1.5
_OUTVOTING = 4  # rules agreeing closely outvote a line or two across them (`_page_slant`)...
_CLOSE_RULES = 1.0  # degrees: ...the middle half of their slants within this
_TWO_ROWS = 1.5  # of the writing's height: a piece this tall may link two rows (`_rows_linked`)
_WHOLE = 0.7  # of the writing's height: a part this tall in each row is a digit
_LINKED_ROW = 3.0  # of its height: a part this wide is a row of digits linked (`_rows_linked`)
_WIDE_LINE = 1.0  # of its height: a piece as wide as tall and as tall as a digit is a line
_ROW_ON_PRINT = 2.0  # of its height: so on a printed line (no digit's half is so wide)
# Why a frame reads nothing when it holds lines of writing under FindSettings.min_height.
TOO_SMALL = "writing too small to read (a few pixels tall)"
_TOO_DARK = 12  # grey level: paper darker than this everywhere is no light to read by
# A dim frame's faint digit beside its writing (`_faint_digits_beside`): as tall within this
# share of the writing's piece, on its rows by this share of the shorter, this many of its
# heights from it at most, and this many digits out.
_FAINT_HEIGHTS = 0.4
_FAINT_ROWS = 0.6
_FAINT_GAP = 0.8
_FAINT_STEPS = 3
_WIDEST_CHALK = 0.1  # of the short side: light wider than this (both ways) is a sheet, not chalk
_SHEET_CONTRAST = 0.5  # a sheet is this much nearer white than the table (brightest channels)
_BOARD_SHARE = 0.2  # of the view: dark this wide and this much of it is a board on a wall...
_BOARD_EDGE = 0.5  # ...when under this of the view's edge: the wall is round it...
_BOARD_BRIGHTEST = 0.75  # ...and its brightest channel under this of the wall's...
_BOARD_DARK = 0.85  # ...over this much of it: no coloured note
_COLOURED = 0.25  # of paper's brightest channel: its darkest this much less is coloured paper
_WRITING_SEEN = 8  # px at about 80 rows: less paper than this round writing is none to judge
_AS_BRIGHT = 0.8  # of the brightest paper in view: lit as paper is, not in a shadow
_COLOURED_SHARE = 0.05  # of a frame coloured, and lit as paper: coloured paper may be in view
_FILLS_VIEW = 0.9  # of a frame of the paper's colour, or coloured: that paper fills the view
_SAME_COLOUR = 1.2  # most over least of a pixel's channels, each over the paper's: its colour
_OUTSHONE = 0.8  # of the brightest in view (darkest channels): coloured paper under it is balanced
# Paper taken round writing is the pen's own ink (`_its_own_ink`) seen from white within these
# degrees of the pen's colour, and at least this far (of the way) towards it; the pen's colour
# is that of the darkest share of its pixels.
_MIXED_TURN = 5.0
_MIXED_INK = 0.3
_PEN_SHARE = 0.1
_MOST_GAIN = 4.0  # a channel is raised at most this much: deeper colour is mostly noise there
_HIDDEN = 0.5  # of ink's darkness on balanced paper: less in the darkest channel hides it
_POLARITY_BIAS = 1.6  # light ink is chosen only when clearly more ink-like than dark ink
_DOUBT = 2.0  # within this factor of the bias either way, the polarity chosen is in doubt
# Grey level of the ground (the median of each pixel's brightest channel) from which ink can
# only be dark: the bench's boards are at most 102, its paper from 15 (dim) up.
_LIGHT_GROUND = 160
_NOISE_MARGIN = 5.0  # ink is darker than the paper by this many noise sigmas
_DARKEST_PAPER = 0.4  # of the brightest paper in view: paper in a shadow, not a dark table
_TEXTURE_BLOCK = 16  # px at detection size: blocks over which the surface's texture is measured
# grey level: a frame whose paper is dimmer than this is searched in luma, noisy or not
# (`_found_in`); the bench's dim scenes' paper is at 15-38.
_DIM_PAPER = 40
_NOISY = 0.03  # noise sigma, of the paper's brightness, above which a frame is smoothed first
_MAX_LINES = 40  # lines read per frame: the biggest, on a busy page
_FAINTEST = 0.3  # of the boldest line's ink darkness
# A line under `_PRINT_GREY` of the boldest line's ink darkness and `_LABEL_HEIGHT` of the
# tallest bolder line's height is fainter and smaller than the writing; within `_LABEL_NEAR`
# of a bolder line's height of it and under `_LABEL_HEIGHT` of that height, it is a form's
# label printed grey (`_fainter_and_smaller`).
_PRINT_GREY = 0.6
_LABEL_HEIGHT = 0.7
_LABEL_NEAR = 1.0
# Pixels darker than this (of the paper's brightness) that are not ink, over a share of the
# frame (`edge.table.unexplained_dark`), are a stroke too wide for the ordinary paper estimate
# (or a dark table).
_UNEXPLAINED = 0.4
_PRINT_REACH = 3  # px (detection size) from a printed line: ink this near may be what is left of it
_ON_PRINT = 0.9  # of a line's ink that near printed lines: the line is what is left of them
_OF_THE_STROKE = 0.5  # of a thick stroke's own darkness: fainter is what it touches
_STUB_SPREAD = 0.2  # of the thickest print: a stub of a printed line is straighter than this
_STUB_WIDTH = 0.6  # of the thickest print: and thinner than this
_PENCIL_LINE = 4  # least heights of writing: the thin ink a line of it alone holds at least
# A printed box's lines are shown this dark (of their own darkness) in the line images: as the
# reader's training drew printed lines, 0.15-0.9 as dark as the writing (`train.strings`). A
# box turned 15 degrees reaches into its digit's line image, and its sides read as 1s ("3"
# read "13"); erased, the strokes that touch or run along a box were cut with it. Held-out
# scenes (training digits, seeds 5 / 7 / 11, 1,650 of every condition): 1,553 read exactly
# before, 1,557 at 0.5, none fewer on any seed; erased, fewer (266 of 300 boxes and grids
# against 269).
_BOX_SHOWN = 0.5


@dataclass(frozen=True)
class FindSettings:
    """What the finder looks for. Sizes in frame pixels."""

    ink: str = "auto"  # auto | dark | light
    min_height: int = 10  # px: smaller writing holds too few pixels to read


@dataclass(frozen=True)
class Line:
    """A line of writing: where it is in the frame and its image for the reader."""

    geometry: LineGeometry  # in frame pixels
    image: np.ndarray  # uint8 [LINE_HEIGHT, W], white ink on black
    to_frame: np.ndarray  # 2x3 affine map: line-image pixels -> frame pixels
    box: Box  # the line's bounding box in the frame
    # For a line whose direction the finder cannot tell (one piece of ink, a digit or digits
    # written touching, on a page with no rules to go by): the line cut again along a slant
    # (degrees, as `geometry.angle`), for the reader to try a turned page's
    # (`edge.line_reader.LineReader.read`).
    turned: Callable[[float], "Line"] | None = field(default=None, repr=False, compare=False)
    # Fainter and smaller than the writing in view (`_fainter_and_smaller`): a rim's, an
    # edge's or a grid's stroke more often than writing (`edge.pipeline`).
    faint: bool = False

    def frame_box(self, x0: float, y0: float, x1: float, y1: float) -> Box:
        """The frame box around a rectangle of the line image (its corners mapped back), within
        the line's own box and so within the frame: a digit at the frame's edge, or a line
        cut turned, would reach past it (a box at y -4, which a crop would take from the
        other end)."""
        return self.frame_box_around(np.array([x0, x1, x0, x1]), np.array([y0, y0, y1, y1]))

    def frame_box_around(self, xs: np.ndarray, ys: np.ndarray) -> Box:
        """The frame box around points of the line image (`xs`, `ys`, px, at least one),
        mapped back, within the line's own box (as `frame_box`)."""
        points = np.column_stack([xs, ys, np.ones(len(xs))]).astype(np.float64) @ self.to_frame.T
        left, top = np.floor(points.min(axis=0))
        right, bottom = np.ceil(points.max(axis=0))
        x, y, w, h = self.box
        left, top = min(max(int(left), x), x + w - 1), min(max(int(top), y), y + h - 1)
        right, bottom = max(min(int(right), x + w), left + 1), max(min(int(bottom), y + h), top + 1)
        return left, top, right - left, bottom - top


@dataclass(frozen=True)
class FoundLines:
    """The lines of a frame, the ink polarity used, and why there are none, if there are none."""

    lines: list[Line]
    ink: Ink
    empty_reason: str | None = None  # "too dark" | "no ink found" | TOO_SMALL
    ink_in_doubt: bool = False  # "auto" chose by a narrow margin (`_DOUBT`); never "too dark"


def find_lines(frame: np.ndarray, settings: FindSettings = FindSettings()) -> FoundLines:
    """The lines of writing in a frame (uint8 grey or BGR), top to bottom, in its pixels.

    A frame under `DETECT_ROWS` on its short side (a crop, a thumbnail, an MNIST-sized digit)
    is searched enlarged to that size (bicubic, up to `_ENLARGED_PIXELS`): the finder's sizes
    that are whole pixels (the thickest printed line, the ring round a piece, a stroke widened
    for the reader) are made for frames that size and larger. Real-dev's photos made 48 px
    wide read 127 of 140 as they are, 140 enlarged.

    Raises edge.ink.FrameError for a frame that is not an image (wrong type, shape, size).
    """
    frame = checked_frame(frame)
    h, w = frame.shape[:2]
    factor = min(DETECT_ROWS / min(h, w), math.sqrt(_ENLARGED_PIXELS / (h * w)))
    if factor <= 1:
        return _found_in(frame, settings)
    enlarged = cv2.resize(frame, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    found = _found_in(enlarged, replace(settings, min_height=round(settings.min_height * factor)))
    return replace(found, lines=[_in_frame(line, factor, (h, w)) for line in found.lines])


def _in_frame(line: Line, factor: float, shape: tuple[int, int]) -> Line:
    """A line found in a frame enlarged `factor` times, in the `shape` frame's own pixels
    (pixel centres at whole numbers: x = (x' + 0.5) / factor - 0.5)."""
    shift = 0.5 / factor - 0.5
    g = line.geometry
    geometry = LineGeometry(
        g.cx / factor + shift, g.cy / factor + shift, g.angle, g.length / factor, g.height / factor
    )
    back = np.array([[1 / factor, 0.0, shift], [0.0, 1 / factor, shift]])
    to_frame = back @ np.vstack([line.to_frame, [0.0, 0.0, 1.0]])
    x, y, width, height = line.box
    left, top = math.floor(x / factor), math.floor(y / factor)
    right = min(shape[1], math.ceil((x + width) / factor))
    bottom = min(shape[0], math.ceil((y + height) / factor))
    turned = None
    if line.turned is not None:
        turned = functools.partial(_turned_in_frame, line.turned, factor, shape)
    box = (left, top, right - left, bottom - top)
    return Line(geometry, line.image, to_frame, box, turned, line.faint)


def _turned_in_frame(
    turned: Callable[[float], Line], factor: float, shape: tuple[int, int], angle: float
) -> Line:
    """`Line.turned` of a line found in a frame enlarged `factor` times, in the `shape`
    frame's own pixels."""
    return _in_frame(turned(angle), factor, shape)


def _found_in(frame: np.ndarray, settings: FindSettings) -> FoundLines:
    """`find_lines` on a `checked_frame` at least `DETECT_ROWS` on its short side (or as near
    as `_ENLARGED_PIXELS` allows)."""
    scale = max(1, round(min(frame.shape[:2]) / DETECT_ROWS))
    # Shrunk first, in colour: the greys are taken at detection size (a third of the pixels
    # of a colour frame's), and at frame size only where a line is cut out (`_cut`).
    shrunk = _shrink(frame, scale)
    small = dict(zip(("dark", "light"), ink_greys(shrunk), strict=True))
    ink: Ink = "light" if settings.ink == "light" else "dark"
    in_doubt = False
    gain = exposure(small["light"])
    if settings.ink == "auto":
        ink, in_doubt = choose_ink(small["dark"], small["light"], gain)
    # The brightest the frame gets (paper, or chalk) says whether there is light to read by.
    if 255 - percentile_u8(small["light"], 1) < _TOO_DARK:
        return FoundLines([], ink, "too dark")  # as dark either way: nothing to doubt
    # Dark ink's contrast is the same in any light: only light ink is looked for exposed.
    gain = gain if ink == "light" else 1.0
    detection = exposed(small[ink], ink, gain)
    in_colour = frame.ndim == 3
    balance = None
    if in_colour and ink == "dark":
        balance = paper_balance(shrunk, small["dark"], small["light"])
    if balance is not None:
        detection = grey_of(shrunk, ink, balance=balance)
    noise, paper_level = noise_level(detection), percentile_u8(detection, 90)
    noisy = _noisy(noise, paper_level)
    luma = in_colour and (noisy or paper_level < _DIM_PAPER)
    if luma:
        # A dim frame's darkest (brightest) channel is its noisiest: colour noise and a JPEG's
        # colour blocks there are as dark as faint ink. Luma averages the channels. Dim, it is
        # taken whatever noise is measured: a JPEG flattens a dim frame's noise into blocks
        # whose pixels are all equal, and their steps are no noise to `noise_level`.
        detection = grey_of(shrunk, ink, luma=True, gain=gain)
        noise = noise_level(detection)
        noisy = _noisy(noise, percentile_u8(detection, 90))
    detection, sigma, texture = _smoothed(detection, noise, noisy)
    darkest = None
    if scale > 1 and not noisy and not luma and paper_level >= _BRIGHT_PAPER:
        # A pencil line a pixel wide keeps half its darkness once averaged with the paper
        # beside it (a dim or noisy frame's darkest pixels are its noise).
        darkest = darkest_of_blocks(frame, ink, balance, scale, gain)
    paper, mask, contrast, thin = _paper_and_ink(detection, sigma, darkest, scale)
    short_side = min(mask.shape)
    sensitive = ink_mask(contrast, _RULE_INK, hysteresis=False)
    thickest = thickest_rule(mask.shape)
    rules, crossing = straight_lines(sensitive, round(_RULE * short_side), thickest, detection)
    rules = cv2.subtract(rules, pen_strokes(rules, sensitive, detection, thickest))
    page_slant = _page_slant(crossing)
    stroke = round(_STROKE * short_side)
    table = table_around_sheet(detection, stroke)
    across = np.zeros_like(rules)
    if not noisy:
        # Small digits on a ruled page: the band taken for print round each rule holds half
        # their ink. What crosses a rule, or rests on it, is given back (not the table's
        # edge). In a noisy frame, noise runs across every line: no sign of writing.
        tallest = 2 * thickest  # px: taller writing keeps its shape without what bands take
        across = strokes_across(cv2.subtract(mask, table // 255), rules, tallest)
        rules = cv2.subtract(rules, across)
    boxes = printed_boxes(sensitive)
    # A table's wedge at the border is judged both joined to the sheet's edge and, the edge
    # taken out as a printed line, alone: its tip is cut off from the rest by then.
    printed = cv2.bitwise_or(rules, boxes)
    grouping = cv2.subtract(without_table_at_the_border(mask), printed)
    min_height = max(2.0, settings.min_height / scale)
    written = None
    if thin.any():
        # Thin ink beside print or a table is what is left of them (a faint rule's dashes,
        # a sheet's edge), and a speck of it beside ink a JPEG's ringing round the stroke;
        # the rest is a pencil's.
        beside = cv2.bitwise_or(printed, table // 255)
        written = grouping
        grouping = cv2.bitwise_or(grouping, _pencil_strokes(thin, beside, mask, min_height))
    grouping = without_table(grouping, table, stroke)
    grouping = without_table_at_the_border(grouping)
    grouping = without_shadow_tips(grouping, detection, paper)
    grouping = without_cast_shadows(grouping, detection, paper)
    grouping = off_rough_ground(grouping, texture, _TEXTURE_BLOCK)
    if percentile_u8(detection, 90) < _BRIGHT_PAPER:
        # (Ink at `_INK` where a dim frame's mask asks for more: see `_paper_and_ink`.)
        faint = cv2.subtract(ink_mask(contrast), cv2.bitwise_or(printed, mask))
        grouping = cv2.bitwise_or(grouping, _faint_digits_beside(grouping, faint, min_height))
    # A comb's ticks are erased from the line images (`_cut`), where the first or last reads
    # as a 1 beside the digits; not where a digit comes near one. They stay in the grouping,
    # so the line is fitted as before (to its digits alone, a bench scene's 9 read as a 2).
    # So is the table round a sheet, with the sheet's edge along it: in a line cut beside the
    # edge it stood as a 1 at the line's end.
    ticks = comb_ticks(grouping, printed, thickest)
    no_writing = cv2.bitwise_or(ticks, table // 255)
    erased = None
    if no_writing.any():
        ring = np.ones((3, 3), np.uint8)
        writing = cv2.dilate(cv2.subtract(grouping, ticks), ring)
        erased = cv2.subtract(cv2.dilate(no_writing, ring), writing)
    # A box's lines, not what is written in it, are shown fainter (`_cut`).
    box_lines = cv2.subtract(boxes, grouping) if boxes.any() else None
    glue = None
    if ink == "dark" and not noisy and printed.any():
        colour = shrunk[..., :3] if in_colour else small["dark"][..., np.newaxis]
        glue = written_over_print(colour, printed, grouping, paper, table)
        printed = cv2.subtract(printed, glue)

    def lines_of(height: float) -> list[Pieces]:
        groups = group_lines(grouping, height, printed, glue, page_slant)
        if written is None:
            return groups
        # A line of thin ink alone holds a pencil's strokes, not specks along a faint grid
        # line found as print nowhere else: at least `_PENCIL_LINE` times the least height.
        least = _PENCIL_LINE * min_height
        return [g for g in groups if written[g.ys, g.xs].any() or len(g.xs) >= least]

    groups = lines_of(min_height)
    if not groups:
        # Lines of half the least height: writing seen from too far (a speck is no line, nor
        # is a dash a pixel high, what a blank ruled page's rules leave). A blank page's mask
        # is empty: a camera watching one pays for no second look.
        small = cv2.countNonZero(grouping) > 0 and any(
            g.ys.max() > g.ys.min() for g in lines_of(min_height / 2)
        )
        reason = TOO_SMALL if small else NO_INK
        return FoundLines([], ink, reason, ink_in_doubt=in_doubt)
    # The writing in one view is written with one pen: far fainter than the boldest line is a
    # shadow's rim, texture, print from the other side of the sheet, not a line to read. (Far
    # smaller than the tallest is judged once lines are read: `edge.pipeline`.)
    groups = [g for g in groups if not sliver_of_table(g, detection)]
    writing = cv2.bitwise_or(grouping, printed)
    groups = [g for g in groups if not rim_of_a_darker_thing(g, detection, paper, writing)]
    if printed.any():
        groups = [
            g
            for g in groups
            if not (_left_of_print(g, printed) and not _written_over(g, glue, across))
            and not _print_cut_by_the_frame(g, grouping.shape, thickest)
        ]
    if not groups:
        return FoundLines([], ink, NO_INK, ink_in_doubt=in_doubt)
    inks = [quantile(contrast.darkness[g.ys, g.xs], 0.9) for g in groups]
    faintest = _FAINTEST * max(inks)
    kept = [(g, level) for g, level in zip(groups, inks, strict=True) if level >= faintest]
    faint, labels = _fainter_and_smaller([g for g, _ in kept], [level for _, level in kept])
    grey = functools.partial(grey_of, ink=ink, luma=luma, balance=balance, gain=gain)
    lines = []
    for (g, _), is_faint, label in zip(kept, faint, labels, strict=True):
        if label:
            continue
        angle = _direction(g, page_slant)
        line = _cut(frame, grey, paper, scale, _fit(g, scale, angle or 0.0), erased, box_lines)
        line = replace(line, faint=bool(is_faint))
        if angle is None and _one_piece(g):
            cut = functools.partial(_cut_turned, frame, grey, paper, scale, g, erased, box_lines)
            line = replace(line, turned=cut)
        lines.append(line)
    if len(lines) > _MAX_LINES:  # a busy page: the biggest writing is what is being shown
        lines = sorted(lines, key=lambda line: -line.geometry.height * line.geometry.length)
    lines = sorted(lines[:_MAX_LINES], key=lambda line: line.geometry.cy)
    return FoundLines(lines, ink, ink_in_doubt=in_doubt)


def _cut_by_a_printed_line(
    labels: np.ndarray,
    ids: np.ndarray,
    boxes: np.ndarray,
    printed: np.ndarray,
    gap: np.ndarray,
    apart: np.ndarray,
    most: np.ndarray,
) -> np.ndarray:
    """bool [n, n]: pairs of pieces (label `ids` [n], `boxes` [n, 4] x, y, w, h, of `labels`; `gap`
    and `apart` [n, n], px between their boxes sideways and up and down) that are one stroke
    cut by a printed line it was written across (`printed`, uint8 0/1): the upper piece ends
    on the line where the lower one starts, no further apart sideways than up and down (a
    stroke up to 45 degrees from upright), and up and down by no more than `most` px
    ([n, n]) once the line's rows are left out, nor than `_TOUCHING`: both halves touch the
    line (a table's digits in neighbouring rows, one resting on the rule between them and the
    next hanging a few pixels under it, were joined into one slanted line). A digit written
    over a rule is cut in two when the rule is taken out, and its halves, a rule's width
    apart, would be lines of their own; a slanted stroke's halves are not even one above the
    other. A piece that runs from one printed line to the next is not a stroke's half but
    what is left of a grid's line: joined, such stubs would make a net. (Halves side by
    side, cut by an upright line, are grouped as neighbours are.)"""
    cut = np.zeros(most.shape, bool)
    tops, bottoms = boxes[:, 1].astype(int), (boxes[:, 1] + boxes[:, 3]).astype(int)
    thickest = thickest_rule(labels.shape)
    candidates = (apart > most) & (apart <= most + thickest + 2) & (gap <= apart + 1)
    for i, j in np.argwhere(np.triu(candidates, 1)):
        upper, lower = (i, j) if tops[i] < tops[j] else (j, i)
        top, bottom = bottoms[upper], tops[lower]
        ends = np.flatnonzero(labels[top - 1] == ids[upper])  # where it meets the line
        starts = np.flatnonzero(labels[bottom] == ids[lower])
        if np.abs(ends[:, np.newaxis] - starts).min() > bottom - top + 1:
            continue
        if _on_printed(labels, ids[upper], tops[upper], printed) or _on_printed(
            labels, ids[lower], bottoms[lower] - 1, printed
        ):
            continue
        left, right = min(ends.min(), starts.min()), max(ends.max(), starts.max()) + 1
        printed_rows = np.count_nonzero(printed[top:bottom, left:right].any(axis=1))
        cut[i, j] = cut[j, i] = bottom - top - printed_rows <= min(most[i, j], _TOUCHING)
    return cut


def _on_printed(labels: np.ndarray, piece: int, row: int, printed: np.ndarray) -> bool:
    """Whether a piece's end `row` (its first or last) lies on a printed line."""
    return bool(printed[row, labels[row] == piece].any())


def darkest_of_blocks(
    frame: np.ndarray,
    ink: Ink,
    balance: tuple[float, float, float] | None,
    scale: int,
    gain: float = 1.0,
) -> np.ndarray:
    """uint8 `(H // scale, W // scale)`: the `grey_of` a `checked_frame` taken at each
    `scale` x `scale` block's darkest pixel (as `ink` is dark), where `_shrink` averages.
    (Channel by channel first: the darkest of the channels' darkest is the darkest grey, and
    a colour frame eroded, then sampled, costs less than its grey at full size: 0.29 against
    0.45 ms for 640x480.)"""
    h, w = frame.shape[0] // scale, frame.shape[1] // scale
    darkest = cv2.erode if ink == "dark" else cv2.dilate
    whole = frame[: h * scale, : w * scale]  # whole blocks, as `_shrink`'s
    blocks = darkest(whole, np.ones((scale, scale), np.uint8), anchor=(0, 0))
    # (Nearest-neighbour sampling by a whole factor takes each block's first pixel.)
    corners = cv2.resize(blocks, (w, h), interpolation=cv2.INTER_NEAREST)
    return grey_of(corners, ink, balance=balance, gain=gain)


def _fainter_and_smaller(
    groups: list["Pieces"], inks: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    """bool [len(groups)] each: the lines fainter and smaller than the writing, and of those
    the labels of a form printed grey. Fainter: their ink (`inks`, each line's darkness, as
    `_FAINTEST` weighs it) under `_PRINT_GREY` of the boldest line's; smaller: under
    `_LABEL_HEIGHT` of the tallest bolder line's height. A label lies beside a bolder line as
    well (within its height, `_LABEL_NEAR` of it, either way), under `_LABEL_HEIGHT` of its
    height. Printed beside the boxes a label is a word (`edge.line_reader.without_letters`);
    alone on its line above them, its letters read as digits ("ID" as "10", "on" as "0"). A
    note written small and faint away from the writing (a page's number pencilled in its
    corner) is no label."""
    boxes = np.array([g.extent for g in groups], np.float64).reshape(-1, 4)
    bold = np.array(inks, np.float64) >= _PRINT_GREY * max(inks, default=0.0)
    others = boxes[bold]
    heights = others[:, 3] - others[:, 1]
    smaller, label = np.zeros(len(groups), bool), np.zeros(len(groups), bool)
    for index in np.flatnonzero(~bold):
        left, top, right, bottom = boxes[index]
        smaller[index] = bottom - top < _LABEL_HEIGHT * heights.max(initial=0.0)
        apart = np.maximum.reduce(
            [others[:, 0] - right, left - others[:, 2], others[:, 1] - bottom, top - others[:, 3]]
        )
        near = (apart <= _LABEL_NEAR * heights) & (bottom - top < _LABEL_HEIGHT * heights)
        label[index] = near.any()
    return smaller, label


def _faint_digits_beside(writing: np.ndarray, faint: np.ndarray, least: float) -> np.ndarray:
    """uint8 0/1: the pieces of `faint` (0/1: ink at `_INK` that a dim frame's mask left out)
    that stand beside a piece of `writing` (0/1) at least `least` px tall as its neighbouring
    digit would: as tall as it within `_FAINT_HEIGHTS`, on its rows (`_FAINT_ROWS` of the
    shorter's height), and at most `_FAINT_GAP` of its height from it sideways; and so beside
    those, up to `_FAINT_STEPS` digits out.

    In a dim frame ink is asked to be twice as dark as in daylight (`_paper_and_ink`), so that
    noise and a JPEG's blocks are not taken for it; a digit written with less pressure than
    its neighbours (or a 1's thin stroke) is then left out: "901" read "9", "4926" read
    "492". Beside the writing and shaped as its digits, it is no noise."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(faint, connectivity=8)
    chosen = np.zeros(count, np.uint8)
    if count <= 1:
        return np.zeros_like(faint)
    pieces = stats[1:, :4].astype(np.float64)
    _, _, known, _ = cv2.connectedComponentsWithStats(writing, connectivity=8)
    known = known[1:, :4][known[1:, 3] >= least].astype(np.float64)
    for _ in range(_FAINT_STEPS):
        x, y, w, h = (pieces[:, [i]] for i in range(4))  # [pieces, 1] against [known]
        kx, ky, kw, kh = known.T
        rows = np.minimum(y + h, ky + kh) - np.maximum(y, ky)
        gap = np.maximum(kx - (x + w), x - (kx + kw))
        beside = (
            (np.abs(h - kh) <= _FAINT_HEIGHTS * kh)
            & (rows >= _FAINT_ROWS * np.minimum(h, kh))
            & (gap <= _FAINT_GAP * kh)
        ).any(axis=1) & (chosen[1:] == 0)
        if not beside.any():
            break
        chosen[1:][beside] = 1
        known = pieces[beside]
    return np.take(chosen, labels)


def _pencil_strokes(
    thin: np.ndarray, beside: np.ndarray, ink: np.ndarray, least: float
) -> np.ndarray:
    """uint8 0/1: the pieces of thin ink (`ink_and_thin_ink`) none of whose pixels is within
    `_PRINT_REACH` px of `beside` (print, a table: uint8 0/1), nor of `ink` (uint8 0/1) if
    the piece is under `least` px long both ways (the least height of writing)."""
    reach = np.ones((2 * _PRINT_REACH + 1,) * 2, np.uint8)
    _, labels, stats = pieces_with_boxes(thin)
    small = stats[:, [cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT]].max(axis=1) < least
    kept = np.ones(len(stats), np.uint8)
    kept[labels[cv2.dilate(beside, reach) > 0]] = 0
    kept[np.intersect1d(labels[cv2.dilate(ink, reach) > 0], np.flatnonzero(small))] = 0
    kept[0] = 0
    return np.take(kept, labels)


def _shrink(image: np.ndarray, scale: int) -> np.ndarray:
    """A grey or colour image made `scale` times smaller (area averaging)."""
    if scale == 1:
        return image
    h, w = image.shape[:2]
    return cv2.resize(image, (w // scale, h // scale), interpolation=cv2.INTER_AREA)


def choose_ink(dark: np.ndarray, light: np.ndarray, gain: float = 1.0) -> tuple[Ink, bool]:
    """ "dark" (pen on paper) or "light" (chalk on a board) for a frame's grey images in which
    dark or light ink would be dark (`to_grey`): light when `light_over_dark` is over
    `_POLARITY_BIAS`, a tie going to dark ink, the common case, and dark ink always on a ground
    as bright as `_LIGHT_GROUND` (unless that ground is the wall round a board in view,
    `_a_board_on_a_wall`). And whether the choice is in doubt: the ratio within a factor
    `_DOUBT` of the bias. The inks are weighed in the frame's light raised `gain` times, as
    `edge.ink.exposure` exposes a dim room's frame."""
    # Chalk is several times as bright as its board: on a ground this bright, light ink could
    # stand out by little more than the noise and texture that made a blank page look like a
    # board (a sheet lit unevenly read a 7 in light ink).
    # (A board with a pale wall round it in view is on a bright ground too: its wall.)
    bright_ground = 255 - percentile_u8(light, 50) >= _LIGHT_GROUND
    # Looked at small (about 40 rows): the ground is the bulk of the picture, and a median's
    # cost grows with its window.
    # Both exposed alike: each ink's contrast is weighed in the same light.
    dark, light = (
        _glance(exposed(grey, i, gain)) for grey, i in ((dark, "dark"), (light, "light"))
    )
    board = _a_board_on_a_wall(dark, light)
    if bright_ground and board is None:
        return "dark", False
    ratio = light_over_dark(dark, light, board)
    in_doubt = _POLARITY_BIAS / _DOUBT < ratio < _POLARITY_BIAS * _DOUBT
    return ("light" if ratio > _POLARITY_BIAS else "dark"), in_doubt


def paper_balance(
    image: np.ndarray, dark: np.ndarray, light: np.ndarray
) -> tuple[float, float, float] | None:
    """Gains (B, G, R) that make the paper the writing is on grey, when it is coloured (a
    yellow, pink, blue, green or orange sticky note, a yellow pad); None when it is white or
    grey, or already the brightest in view with its ink showing in the darkest channel, or
    nothing in view looks like writing. `image`: BGR, detection size; `dark` and `light` its
    greys (`ink_greys`).

    Dark ink is looked for in each pixel's darkest channel, where a red or blue pen is as dark
    as a black one; but so is a yellow note in its blue channel, half as bright there as a
    white desk beside it, and the note itself then looks like ink, its corners like strokes
    (and a blue pen on it is no darker there than the note). Each channel is raised by what the
    paper lacks in it (the white balance a camera does for the light), up to `_MOST_GAIN`: the
    note is then as bright as the desk in every channel, and a pen of any colour but the
    note's own is as dark on it as on white paper.

    Judged on the frame small (about 80 rows, where a 14 px digit is still 2 px), once a
    glance at it (about 40 rows) has seen `_COLOURED_SHARE` of it coloured and lit as paper,
    in a shadow or not (`_DARKEST_PAPER`: a dark table's grain is as dark against its own
    brightness). Writing is what is at least `_INK` darker, in some channel, than that channel
    closed over strokes (`_STROKE`), where that closing is paper. The paper it is on is what
    is round it and lit as paper is (`_AS_BRIGHT`), or failing that round it in a shadow, its
    colour their median: coloured when its darkest channel is under
    `1 - _COLOURED` of its brightest, and not the pen's own ink (`_its_own_ink`: a thick
    marker's stroke). A note filling the view (`_fills_view`) is balanced
    whatever its ink, as a camera's white balance would; so is coloured paper under
    `_OUTSHONE` of the brightest in view there. A yellow card on a dark table, already the
    brightest, is left alone unless its pen is one its darkest channel hides (a blue pen on
    it: `_darkest_channel_hides_ink`). With no writing seen at this size (a fine pen), only
    a note filling the view is balanced. Only the paper the writing is on counts: a white
    card on a pale wooden desk is not balanced, which would make the desk as bright as the
    card and its edge no longer a table's."""
    glance = (max(1, dark.shape[1] // 6), max(1, dark.shape[0] // 6))
    darkest, inverted = (
        cv2.resize(grey, glance, interpolation=cv2.INTER_NEAREST) for grey in (dark, light)
    )
    brightest = cv2.bitwise_not(inverted)
    coloured = cv2.compare(darkest, cv2.multiply(brightest, 1.0 - _COLOURED), cv2.CMP_LT)
    paper_like = cv2.compare(brightest, _DARKEST_PAPER * percentile_u8(brightest, 95), cv2.CMP_GE)
    share = np.count_nonzero(cv2.bitwise_and(coloured, paper_like)) / coloured.size
    if share < _COLOURED_SHARE:
        return None
    factor = max(1, round(min(image.shape[:2]) / 80))
    size = (max(1, image.shape[1] // factor), max(1, image.shape[0] // factor))
    small = cv2.resize(image[..., :3], size, interpolation=cv2.INTER_LINEAR)
    kernel = np.ones((2 * round(_STROKE * min(size) / 2) + 1,) * 2, np.uint8)
    # The paper round the writing is the closing over its strokes, less first every light line
    # a pixel or two wide: a note's pale rules are brighter than the note in its darkest
    # channel, and with them the strip of note between the last rule and a lighter desk was
    # closed over as a stroke, its desk side then the paper "round the writing" (a green note's
    # median colour came out grey, and it was left unbalanced).
    opened = cv2.morphologyEx(small, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    paper = cv2.morphologyEx(opened, cv2.MORPH_CLOSE, kernel)
    darker = functools.reduce(
        cv2.max, cv2.split(cv2.divide(cv2.subtract(paper, small), paper, scale=255))
    )
    lit = functools.reduce(cv2.max, cv2.split(paper))
    brightest_paper = percentile_u8(lit, 95)
    writing = (darker >= round(255 * _INK)) & (lit >= _DARKEST_PAPER * brightest_paper)
    # The paper round the writing, as it is (a closing's maximum would take its noise's peaks),
    # where it is lit as paper is: not a table's corner beside it, nor a shadow. Failing that,
    # in a shadow: writing in a shadow on a note has round it only the note in shadow (or the
    # lit desk round a speck beside it), and a shadow dims paper's colour but keeps it.
    ring = cv2.subtract(cv2.dilate(writing.view(np.uint8), kernel), writing.view(np.uint8))
    in_light = lit >= _AS_BRIGHT * brightest_paper
    in_shadow = ~in_light & (lit >= _DARKEST_PAPER * brightest_paper)
    white = np.array([percentile_u8(small[..., c], 95) for c in range(3)], np.float64)
    for around in (ring.view(bool) & in_light, ring.view(bool) & in_shadow):
        if np.count_nonzero(around) < _WRITING_SEEN:
            continue
        colour = np.median(small[around], axis=0).astype(np.float64)
        if colour.min() < (1.0 - _COLOURED) * colour.max() and not _its_own_ink(
            colour, _pen_colour(small[writing]), white
        ):
            break
    else:
        if share < _FILLS_VIEW:
            return None
        # No writing seen at this size (a fine pen's strokes are a third of a pixel wide
        # here), on coloured paper filling the view: the writing is on that paper, and a pen
        # of another colour may be hidden in its darkest channel (`_darkest_channel_hides_ink`).
        colour = np.median(small.reshape(-1, 3), axis=0).astype(np.float64)
        writing[:] = False
    gains = np.array([min(_MOST_GAIN, colour.max() / max(1.0, level)) for level in colour])
    # Paper filling the view is balanced as a camera would, whatever its ink. A coloured card
    # on a darker table is the brightest in view as it is: left alone, unless its ink is
    # hidden in the darkest channel.
    if not _fills_view(small, colour):
        outshines = colour.min() >= _OUTSHONE * percentile_u8(
            functools.reduce(cv2.min, cv2.split(small)), 95
        )
        if not writing.any() or (
            outshines and not _darkest_channel_hides_ink(small[writing], colour, gains)
        ):
            return None
    blue, green, red = (float(gain) for gain in gains)
    return blue, green, red


def _pen_colour(ink: np.ndarray) -> np.ndarray:
    """`[3]` BGR: the colour of a pen, the median of the darkest `_PEN_SHARE` of its writing's
    pixels (`ink`, `[n, 3]` BGR, n >= 1): the rest are its strokes' edges, mixed with the paper."""
    darkest = np.argsort(ink.astype(np.int32).sum(axis=1))[: max(1, round(_PEN_SHARE * len(ink)))]
    return np.median(ink[darkest], axis=0).astype(np.float64)


def _its_own_ink(colour: np.ndarray, ink: np.ndarray, white: np.ndarray) -> bool:
    """Whether paper of `colour` taken round writing is that writing's own ink, pure or mixed
    with the white paper it is on: seen from `white`, `colour` lies within `_MIXED_TURN`
    degrees of the way to `ink`, and at least `_MIXED_INK` of the way along. All `[3]` BGR;
    `ink` the pen's colour (`_pen_colour`), `white` the brightest in view.

    A thick marker's stroke, wider than the closing that finds the paper round writing, is
    itself taken for paper (lit as paper is, as a red marker's red channel is; or dimmer, as
    paper in a shadow is), the "writing" round it its own narrow parts: a blue marker's digit
    filling a photo was balanced as a blue note, its ink made grey, and read nothing. A
    note's colour is no mixture of its pen's and white, in a shadow or not: a pink note is
    redder than a red pen's diluted ink, a blue note bluer than a blue pen's."""
    way, towards = ink - white, colour - white
    length, distance = float(np.linalg.norm(way)), float(np.linalg.norm(towards))
    if min(length, distance) < 1.0:
        return False
    cosine = float(np.dot(towards, way)) / (length * distance)
    along = distance * cosine >= _MIXED_INK * length
    return along and cosine >= math.cos(math.radians(_MIXED_TURN))


def _fills_view(image: np.ndarray, colour: np.ndarray) -> bool:
    """Whether `_FILLS_VIEW` of `image` (uint8 BGR) is of the hue and saturation of `colour`
    (BGR), in light or in shadow: its channels within `_SAME_COLOUR` of the colour's ratios."""
    ratios = image.astype(np.float32) / np.maximum(colour, 1.0).astype(np.float32)
    spread = ratios.max(axis=2) / np.maximum(ratios.min(axis=2), 1e-3)
    return np.count_nonzero(spread < _SAME_COLOUR) >= _FILLS_VIEW * spread.size


def _darkest_channel_hides_ink(ink: np.ndarray, paper: np.ndarray, gains: np.ndarray) -> bool:
    """Whether writing on coloured paper is under `_HIDDEN` as dark in each pixel's darkest
    channel as it is once the paper is balanced (`paper_balance`). `ink`: float or uint8
    `[n, 3]` BGR, the writing's pixels; `paper`: its paper's colour, `[3]` BGR; `gains`: `[3]`,
    the balance's. A pen sharing the paper's weakest channel hides there: a blue ballpoint on
    a yellow note is as dark as the note in its darkest channel (red, against the note's
    blue), a red pen on a blue note too; a black pen is not hidden (half as dark, as on grey
    paper as dark as the note's blue). Darkness is summed over the pixels, relative to the
    paper's darkest channel."""
    ink = ink.astype(np.float64)

    def darkness(scale: np.ndarray) -> float:
        level = float((paper * scale).min())
        return float(np.clip(level - (ink * scale).min(axis=1), 0, None).sum()) / max(level, 1.0)

    return darkness(np.ones(3)) < _HIDDEN * darkness(gains)


def light_over_dark(dark: np.ndarray, light: np.ndarray, board: np.ndarray | None) -> float:
    """How much a frame's light ink stands out, over how much its dark ink does, from the
    frame's grey images in which dark or light ink would be dark (`to_grey`), at about 40 rows
    (`_glance`), and the board with a wall round it in view (`_a_board_on_a_wall`). The ground is
    what most of each neighbourhood is (a median over ~15 % of the short side): ink is what
    stands out from it, darker for a pen, brighter for chalk. A sheet's edge on a table stands
    out both ways and cancels out. Measured on the bench's generated scenes (500, seed 5):
    paper 0.0-1.4, boards 1.5-8.0, the boards under 1.6 thin chalk with a shadow across them.
    """
    size = 2 * round(0.075 * min(dark.shape)) + 1
    # Each polarity against its own ground: the light case's grey is the inverted brightest
    # channel, so its ink is dark too, and on paper it stands out as little as noise does.
    # On bright paper a grey level's difference is rounding, not ink: summed over a page with
    # only a faint pencil line on it, the rounded noise stood out more one way than the
    # other, and the page was taken for a board. (In a dim frame, whose ink is a few grey
    # levels darker than its paper, it is ink.)
    rounding = int(percentile_u8(dark, 90) >= _BRIGHT_PAPER)
    darker = cv2.subtract(cv2.medianBlur(dark, size), cv2.add(dark, rounding))
    lighter = cv2.subtract(cv2.medianBlur(light, size), cv2.add(light, rounding))
    # A card or sheet on a dark table is light against it at the corners of its outline, as
    # chalk is; but it is wider than any stroke. Light that wide is not ink.
    # (In the light grey, the sheet is the darker half; a board's uneven light is no sheet.)
    size = 2 * round(_WIDEST_CHALK * min(light.shape)) + 1
    wider = np.ones((size, size), np.uint8)
    sheets = wide_dark(light, _SHEET_CONTRAST, size)
    if sheets is not None:
        lighter = cv2.subtract(lighter, cv2.dilate(sheets[0], wider))
    # So a board with its frame and the wall round it in view is dark against them at the
    # corners of its outline, as a pen is. It is much of the view, the wall round it most of
    # the view's edge (a table round a card is the other way about), and dark in every
    # channel (`_a_board_on_a_wall`): dark ink there would be on a dark ground.
    if board is not None:
        darker = cv2.subtract(darker, cv2.dilate(board, wider))
    return float(lighter.sum(dtype=np.float64)) / max(float(darker.sum(dtype=np.float64)), 1.0)


def _glance(grey: np.ndarray) -> np.ndarray:
    """`grey` shrunk to about 40 rows (area averaging by a whole factor, cut to whole blocks
    of it: several times faster than by a fractional one)."""
    factor = max(1, round(min(grey.shape) / 40))
    rows, columns = (side - side % factor for side in grey.shape)
    return _shrink(grey[:rows, :columns], factor)


def _a_board_on_a_wall(dark: np.ndarray, light: np.ndarray) -> np.ndarray | None:
    """The board in a view (`dark`, `light`: its greys in which dark or light ink is dark,
    `to_grey`, at about 40 rows), as uint8 0/255, when one is there with a wall round it: dark
    wider than chalk both ways (`edge.table.wide_dark`), `_BOARD_SHARE` of the view or more,
    under `_BOARD_EDGE` of the view's edge (rows and columns at the border: not a table round
    a card), and dark in every channel: `_BOARD_DARK` of it with its brightest channel under
    `_BOARD_BRIGHTEST` of the wall's median (not a yellow note on a white desk, dark only in
    its blue, nor a green note with a shadow beside it). Else None."""
    size = 2 * round(_WIDEST_CHALK * min(dark.shape)) + 1
    found = wide_dark(dark, _SHEET_CONTRAST, size)
    if found is None:
        return None
    wide = found[0]
    edge = np.concatenate((wide[0], wide[-1], wide[1:-1, 0], wide[1:-1, -1]))
    if wide.mean() < _BOARD_SHARE * 255 or edge.mean() >= _BOARD_EDGE * 255:
        return None
    brightest = cv2.bitwise_not(light)
    on_board = wide > 0
    wall = float(np.median(brightest[~on_board]))
    dark = np.count_nonzero(brightest[on_board] < _BOARD_BRIGHTEST * wall)
    return wide if dark >= _BOARD_DARK * np.count_nonzero(on_board) else None


def _smoothed(
    grey: np.ndarray, noise: float, noisy: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """A detection-size grey image ready for finding ink, its noise sigma per pixel
    (`surface_noise`) and its surface's texture block by block (`surface_texture`), given its
    sensor `noise` (`noise_level`) and whether that is `_noisy`. A dim frame's noise is a
    large part of its light: it is averaged down (its strokes are wider than the blur; a bright
    frame's faint pencil line would not be)."""
    texture = surface_texture(grey)
    sigma = surface_noise(grey, noise, texture)
    if noisy:
        return cv2.GaussianBlur(grey, (3, 3), 0), sigma / 2, texture
    return grey, sigma, texture


def _noisy(noise: float, paper_level: int) -> bool:
    """Whether a frame's noise (sigma, grey levels) is a large part of its paper's light (its
    grey's 90th percentile)."""
    return noise > _NOISY * paper_level


def _paper_and_ink(
    grey: np.ndarray, sigma: np.ndarray, darkest: np.ndarray | None = None, scale: int = 1
) -> tuple[np.ndarray, np.ndarray, "_InkContrast", np.ndarray]:
    """The paper estimate, the ink mask, the ink's contrast against that paper and the thin
    ink (`ink_and_thin_ink`, uint8 0/1; none without `darkest`), of a detection-size grey
    image whose surface's noise is `sigma` (grey levels per pixel, see `_smoothed`) and, if
    given, the darkest pixel of each of its `scale` x `scale` blocks in the frame
    (`darkest_of_blocks`).

    Two paper estimates: one closing over ordinary strokes (a tenth of the short side), which
    follows shadows and a sheet's edge closely, and one closing over a close-up's marker
    strokes (a third), which does not. Ink is what the first finds, plus the thick strokes only
    the second finds: pieces of its mask too thick to be a sheet's edge or a shadow's rim, and
    of each only what is at least `_OF_THE_STROKE` as dark as the piece's own ink (its 90th
    percentile): the second estimate does not follow a shadow or a table either, and where one
    touches the writing it is part of the piece.
    """
    short_side = min(grey.shape)
    stroke, widest = round(_STROKE * short_side), round(_WIDEST_STROKE * short_side)
    margin = _noise_margin(sigma)
    paper = paper_brightness(grey, stroke)
    contrast = _ink_contrast(grey, paper, margin)
    # In a dim frame a fifth of the paper's light is a few grey levels: as much as a shadow's
    # gradient or a JPEG's blocks differ by. Ink is then asked to be darker, up to twice.
    brightness = percentile_u8(grey, 90)
    level = _INK * min(2.0, max(1.0, _BRIGHT_PAPER / max(1, brightness)))
    thin_contrast = None
    if darkest is not None:
        # A pixel's white noise is `scale` times its block mean's (`sigma`), and the darkest
        # of a block's pixels is 1-1.5 of their sigmas darker than the mean: the margin is
        # taken `scale` times (5.7 sigmas of the darkest pixel's spread at 2, 5.8 at 3).
        thin_contrast = _ink_contrast(darkest, paper, cv2.multiply(margin, scale))
    ink, thin = ink_and_thin_ink(contrast, thin_contrast, level)
    mask = cv2.bitwise_and(ink, on_paper(grey, paper, stroke))
    # Only a stroke too wide for the first estimate leaves dark pixels it did not call ink:
    # without them (most frames) the second estimate is not worth its cost.
    dark = cv2.compare(grey, _UNEXPLAINED * brightness, cv2.CMP_LT)
    if not unexplained_dark(cv2.subtract(dark, mask * 255)):
        return paper, mask, contrast, thin
    wide_paper = paper_brightness(grey, widest)
    wide_contrast = _ink_contrast(grey, wide_paper, margin)
    wide = cv2.bitwise_and(ink_mask(wide_contrast), on_paper(grey, wide_paper, widest))
    thick = max(2, round(0.25 * _STROKE * short_side))
    core = cv2.erode(wide, np.ones((2 * thick + 1, 2 * thick + 1), np.uint8))
    if not core.any():
        return paper, mask, contrast, thin
    count, labels = cv2.connectedComponents(wide, connectivity=8)
    thick_pieces = np.zeros(count, np.uint8)
    thick_pieces[np.unique(labels[core > 0])] = 1
    thick_pieces[0] = 0
    wide_darkness = wide_contrast.darkness
    faintest = np.zeros(count, np.uint8)  # per piece: the faintest darkness of its stroke
    for piece in np.flatnonzero(thick_pieces):
        inside = labels == piece
        if table_beside_sheet(inside):
            thick_pieces[piece] = 0
        else:
            faintest[piece] = round(_OF_THE_STROKE * quantile(wide_darkness[inside], 0.9))
    thick_pieces[0] = 0
    strokes = np.take(thick_pieces, labels)
    strokes = cv2.bitwise_and(strokes, (wide_darkness >= np.take(faintest, labels)).view(np.uint8))
    paper = np.where(strokes > 0, wide_paper, paper)
    return paper, cv2.bitwise_or(mask, strokes), _ink_contrast(grey, paper, margin), thin


def on_paper(grey: np.ndarray, paper: np.ndarray, widest_stroke: int) -> np.ndarray:
    """uint8 0/1: the paper and what is written on it, not a dark table beside it. Pixels at
    least half as bright as the paper estimate, closed over anything narrower than a stroke:
    ink is enclosed, a table is too wide to close, and the closing keeps its edge straight (the
    paper estimate itself spills a few pixels across a sheet's edge, onto the table). Paper
    far darker than the brightest in view is a dark table, whose noise is as dark against
    its own brightness as ink is on paper."""
    lit = cv2.compare(cv2.add(grey, grey), paper, cv2.CMP_GE)
    bright = cv2.compare(paper, _DARKEST_PAPER * percentile_u8(paper, 95), cv2.CMP_GE)
    size = 2 * (widest_stroke // 2) + 3
    closed = cv2.morphologyEx(lit, cv2.MORPH_CLOSE, np.ones((size, size), np.uint8))
    return cv2.bitwise_and(closed, bright) // 255


@dataclass(frozen=True)
class _InkContrast:
    """A grey image against a paper estimate: its ink darkness (`ink_darkness`), and where it
    is darker than the paper by well over the noise (uint8 0/1, `_noise_margin`)."""

    darkness: np.ndarray
    above_noise: np.ndarray


def _noise_margin(sigma: np.ndarray) -> np.ndarray:
    """uint8: how much darker than the paper ink is (grey levels, per pixel), for a surface's
    noise `sigma` (float32 per pixel): a dim frame's noise is a large fraction of its paper's
    brightness, a desk's grain is more than a sheet's."""
    return np.clip(np.multiply(_NOISE_MARGIN, sigma), 0, 255).astype(np.uint8)


def _ink_contrast(grey: np.ndarray, paper: np.ndarray, margin: np.ndarray) -> _InkContrast:
    """The ink contrast of `grey` against `paper`, ink darker by more than `margin`."""
    above_noise = cv2.compare(cv2.subtract(paper, grey), margin, cv2.CMP_GT) // 255
    return _InkContrast(ink_darkness(grey, paper), above_noise)


def ink_mask(contrast: _InkContrast, level: float = _INK, hysteresis: bool = True) -> np.ndarray:
    """uint8 0/1: ink (darkness >= `level`), and faint ink (>= half that) touching it; in both,
    darker than the paper by well over its noise (`_InkContrast`). `hysteresis=False`: ink
    alone."""
    if not hysteresis:
        return _as_dark(contrast, level)
    return ink_and_thin_ink(contrast, None, level)[0]


def _as_dark(contrast: _InkContrast, level: float) -> np.ndarray:
    """uint8 0/1: where `contrast` is ink at `level` (of full black) and above the noise."""
    at_level = cv2.threshold(contrast.darkness, round(255 * level) - 1, 1, cv2.THRESH_BINARY)[1]
    return cv2.bitwise_and(at_level, contrast.above_noise)


def ink_and_thin_ink(
    contrast: _InkContrast, darkest: _InkContrast | None, level: float = _INK
) -> tuple[np.ndarray, np.ndarray]:
    """uint8 0/1 each: `ink_mask` of `contrast`, the block-averaged greys, and the thin ink:
    its faint ink that holds no ink there but holds ink in `darkest`, the same blocks'
    darkest pixels (`darkest_of_blocks`; none without it), the faint pieces labelled once.
    Thin ink is a pencil line a pixel wide, half as dark once averaged with the paper beside
    it. (Measured, session 38: lines of 3-5 MNIST training digits drawn along their centre
    line, 1 px, grey 160 on paper at 236, read 2 of 40 without it and 28 with it.)"""
    strong = _as_dark(contrast, level)
    # Hysteresis: a faint stroke (a pencil's, or a pen's thin stretch) is ink wherever it is
    # joined to ink; faint marks on their own are texture or noise.
    count, labels = cv2.connectedComponents(_as_dark(contrast, level / 2), connectivity=8)
    joined = np.zeros(count, np.uint8)
    joined[labels[strong > 0]] = 1
    joined[0] = 0
    ink = np.take(joined, labels)  # (np.take: faster than indexing by a label image)
    thin = np.zeros(count, np.uint8)
    if darkest is not None:
        thin[labels[_as_dark(darkest, level) > 0]] = 1
        thin[joined > 0] = 0
        thin[0] = 0
    return ink, np.take(thin, labels)


def noise_level(grey: np.ndarray) -> float:
    """The sensor noise's standard deviation in grey levels, from the differences between
    neighbouring pixels: their upper quartile (ink edges are few; a median of integer
    differences is too coarse), scaled to a sigma (for Gaussian noise: 1.15 * sqrt(2) sigma)."""
    step = cv2.absdiff(grey[:, 1:], grey[:, :-1])
    histogram = cv2.calcHist([step], [0], None, [256], [0, 256]).ravel().cumsum()
    upper_quartile = int(np.searchsorted(histogram, 0.75 * histogram[-1]))
    return max(0.5, upper_quartile / (1.15 * math.sqrt(2)))


def surface_texture(grey: np.ndarray) -> np.ndarray | None:
    """float32 [rows, columns]: the surface's texture (grey levels, a sigma) in each
    `_TEXTURE_BLOCK`-square block of `grey`, or None for a frame under three blocks across: the
    spread of each block's brighter half (90th percentile - median, 1.28 sigma for a normal
    distribution). Dark strokes covering up to half a block do not move it, and an opening over
    3x3 blocks drops the blocks a marker's edge fills."""
    rows, columns = grey.shape[0] // _TEXTURE_BLOCK, grey.shape[1] // _TEXTURE_BLOCK
    if min(rows, columns) < 3:
        return None
    size = _TEXTURE_BLOCK * _TEXTURE_BLOCK
    blocks = (
        grey[: rows * _TEXTURE_BLOCK, : columns * _TEXTURE_BLOCK]
        .reshape(rows, _TEXTURE_BLOCK, columns, _TEXTURE_BLOCK)
        .swapaxes(1, 2)
        .reshape(rows, columns, size)
    )
    median, upper = size // 2, (9 * size) // 10
    # A stable sort of uint8 is numpy's radix sort: a quarter of np.partition's time here.
    ranked = np.sort(blocks, axis=-1, kind="stable")
    spread = (ranked[..., upper].astype(np.float32) - ranked[..., median]) / 1.28
    return cv2.morphologyEx(spread, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))


def surface_noise(grey: np.ndarray, noise: float, texture: np.ndarray | None) -> np.ndarray:
    """float32 sigma per pixel (grey levels, grey's shape): the sensor's `noise`, or the
    surface's own `texture` (`surface_texture` of `grey`) where it is rougher (a wooden desk's
    grain, carpet, cardboard), whose blotches are as dark against their brightest neighbours
    as a pencil stroke is on paper."""
    if texture is None:
        return np.full(grey.shape, noise, np.float32)
    spread = cv2.resize(texture, grey.shape[::-1], interpolation=cv2.INTER_LINEAR)
    return np.maximum(spread, np.float32(noise))


def _left_of_print(pieces: "Pieces", printed: np.ndarray) -> bool:
    """Whether a line's ink is what is left of printed lines (`printed`, uint8 0/1) once they
    are taken out: at least `_ON_PRINT` of it within `_PRINT_REACH` px of them. A grid seen in
    perspective is not straight enough to be taken out whole: a crossing, a cell's side or a
    sliver along a line is left, and read, it is a 1 or a 7. Writing on a grid lies in its
    cells as much as on its lines."""
    size = 2 * _PRINT_REACH + 1
    x0, y0, x1, y1 = pieces.extent
    h, w = printed.shape
    top, left = max(0, y0 - _PRINT_REACH), max(0, x0 - _PRINT_REACH)
    region = printed[top : min(h, y1 + _PRINT_REACH), left : min(w, x1 + _PRINT_REACH)]
    near = cv2.dilate(region, np.ones((size, size), np.uint8))
    return np.count_nonzero(near[pieces.ys - top, pieces.xs - left]) >= _ON_PRINT * len(pieces.xs)


def _written_over(pieces: "Pieces", glue: np.ndarray | None, across: np.ndarray) -> bool:
    """Whether the line's ink holds writing over printed lines, told from the print by its
    colour (`glue`, uint8 0/1 or None: `written_over_print`; `group_lines` makes it part of
    the line's ink) or by its shape (`across`, uint8 0/1: `strokes_across`): then it is
    writing, however near the print the rest of its ink lies (`_left_of_print`). A small
    digit written on a ruled page keeps little ink clear of the rules once they are taken
    out, and the rest is over them: taken for what is left of the print, it was lost ("no
    ink found")."""
    over = bool(across[pieces.ys, pieces.xs].any())
    return over or (glue is not None and bool(glue[pieces.ys, pieces.xs].any()))


def _print_cut_by_the_frame(pieces: "Pieces", shape: tuple[int, ...], thickest: int) -> bool:
    """Whether a line, on a page with print, is a printed line's end that the frame's edge
    cuts off: one piece that reaches the edge of a frame of `shape`, straight (its ink's
    spread across its run under `_STUB_SPREAD` of `thickest`, the thickest print in px) and
    thin (its ink over its length under `_STUB_WIDTH` of it). A grid turned in view crosses
    the frame's corners in stubs too short to be found as print, and read, a stub is a 1. A
    1 written at the frame's edge on a page seen that close is a thicker stroke."""
    h, w = shape[:2]
    xs, ys = pieces.xs, pieces.ys
    if len(pieces.boxes) != 1 or len(xs) < 3:
        return False
    if not (xs.min() == 0 or ys.min() == 0 or xs.max() == w - 1 or ys.max() == h - 1):
        return False
    across, along, _ = spreads(xs, ys)
    length = math.sqrt(12) * along  # an even run's length, from its standard deviation
    return bool(across <= _STUB_SPREAD * thickest and len(xs) <= _STUB_WIDTH * thickest * length)


@dataclass(frozen=True)
class Pieces:
    """The ink pieces of one line: their boxes `[n, 4]` (x, y, w, h) and their pixels."""

    boxes: np.ndarray
    xs: np.ndarray
    ys: np.ndarray

    @property
    def extent(self) -> tuple[int, int, int, int]:
        """The pixels' extent (px): left, top, right, bottom (past the last)."""
        return (
            int(self.xs.min()),
            int(self.ys.min()),
            int(self.xs.max()) + 1,
            int(self.ys.max()) + 1,
        )


def group_lines(
    mask: np.ndarray,
    min_height: float,
    printed: np.ndarray | None = None,
    glue: np.ndarray | None = None,
    page_slant: float | None = None,
) -> list[Pieces]:
    """The ink pieces of each line (pixels of the mask and of `glue`): pieces that overlap
    vertically and are near, along a line tilted up to MAX_TILT, and pieces of one digit,
    joined: a stroke's halves apart only by a printed line it crosses too (`printed`, uint8
    0/1, or None), or joined by `glue` (uint8 0/1, or None: writing over printed lines,
    `written_over_print`), which is part of the line's ink: a small digit's strokes along a
    rule are much of its height, and the line is fitted to its ink. `page_slant`: the ruled
    page's slant (degrees, `_page_slant`) or None; across its rules, not the frame's rows,
    pieces alike in height are judged neighbours on a line, and lines one above the other
    told apart (`_lines_one_above_the_other`, `_by_whole_heights`)."""
    # Pieces a pixel or two apart (a fine pen's broken line, a pencil's gaps) are one piece,
    # unless they are two lines' (`_rows_linked`).
    joined = mask if glue is None else cv2.bitwise_or(mask, glue)
    linked = cv2.dilate(joined, np.ones((3, 3), np.uint8))
    count, labels, stats = pieces_with_boxes(linked)
    # Specks: noise, dust, a stub of an erased rule (sizes include the 2 px of linking).
    speck = max(3.0, _SPECK * min_height) + 2
    rows = _rows_linked(joined, linked, labels, stats, speck)
    if rows is not None:
        count, labels, stats = pieces_with_boxes(rows)
    boxes = stats[1:, :4].astype(np.float64)
    ids = np.arange(1, count)
    keep = np.maximum(boxes[:, 2], boxes[:, 3]) >= speck
    boxes, ids = boxes[keep], ids[keep]
    if len(boxes) > 400:  # a page of texture, not writing: keep the biggest pieces
        biggest = np.argsort(-boxes[:, 2] * boxes[:, 3])[:400]
        boxes, ids = boxes[biggest], ids[biggest]
    # Every pair at once: [i, j] compares piece i (rows) with piece j (columns).
    x0, y0 = boxes[:, 0], boxes[:, 1]
    x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
    heights = boxes[:, 3]
    column = np.newaxis
    near, overlap, gap, taller = _neighbours(x0, y0, x1, y1)
    small = heights < _SMALL_PIECE * heights[:, column]  # [i, j]: j small beside i
    alike = ~small & ~small.T
    # Neighbours on a line, and lines one above the other, are judged across a ruled page's
    # rules: on a page turned 3 degrees a list's line overlapped in the frame's rows the next
    # one, staggered, begun where it ends ("576718" over "6486" read as one line "6486?76718").
    # Not a small piece beside a big one (a 2's foot a grid line cut off lies level with the
    # 2 in the frame, not along the rules), nor a digit's pieces one above the other (a piece
    # under a wide one is under its end, not under its lowest point across the rules).
    across = boxes
    if page_slant is not None:
        across = _across_rules(labels, ids, boxes, page_slant)
        along_rules = _neighbours(x0, across[:, 1], x1, across[:, 1] + across[:, 3])[0]
        near = np.where(alike, along_rules, near)
    # Pieces of one digit (a pencil's broken strokes) lie within a fraction of its height;
    # pieces of two lines one above the other do not make one digit, whatever their gap.
    stacked = (gap <= _PIECE_GAP * taller) & (-overlap <= _PIECE_GAP * taller)
    # A small piece (a flag, a dot, a broken stroke) inside a bigger one's reach joins it.
    reach = _REACH * heights[:, column]
    within = (
        small
        & (x0 >= x0[:, column] - reach)
        & (x1 <= x1[:, column] + reach)
        & (y0 >= y0[:, column] - reach)
        & (y1 <= y1[:, column] + reach)
    )
    far_longer = _far_longer_bands(stats[ids], heights)
    if far_longer.any():
        judged = _near_a_bands_ink(labels, ids, boxes, far_longer, near | stacked | within)
        near &= judged
        stacked &= judged
        within &= judged
    if ((stacked | within) & ~near).any():  # (most frames have no piece above another)
        unprinted = printed is None or not printed.any()
        off_print = np.ones(len(boxes), bool) if unprinted else _off_print(boxes, printed)
        if not unprinted:
            # A flat piece at a printed line's end is what of it the line's test left (a
            # sum's bar drawn thicker or hooked there), not a stroke of a digit above or below.
            ends = _ends_of_print(boxes, printed, (stacked & ~near).any(axis=1))
            flat = heights[:, column] <= _FLAT_END * taller
            stacked &= ~((ends[:, column] & flat) | (ends & flat.T))
        # A speck near or within reach of two lines of pieces alike in height, one above the
        # other (a digit's fragment, left apart when the rows of a list written cramped are
        # cut apart, `_rows_linked`), joins the one it lies beside most: it made them one.
        rows = _lines_one_above_the_other(near & alike, across, off_print)
        beside = (near | near.T | within) & small
        for piece in np.flatnonzero(np.count_nonzero(beside, axis=0) >= 2):
            holders = np.flatnonzero(beside[:, piece])
            if rows[np.ix_(holders, holders)].any():
                nearest = holders[np.argmax(overlap[holders, piece])]
                for links in (near, within):
                    links[holders, piece] = links[piece, holders] = False
                within[nearest, piece] = True
        apart = _lines_one_above_the_other(near, across, off_print)
        stacked &= ~apart
        # A speck at one line's foot is within reach of a digit of a list's next line, written
        # close under it: it stays with its own line. (Not beside print: a rule taken through a
        # line's digits leaves their halves two lines apart, which such pieces join again.)
        within &= ~(apart & off_print[:, column] & off_print)
        # A piece stacked on two such lines at once (a sum's bar between its rows, what of
        # it a printed line's test left) joins neither: it would join them all.
        for piece in np.flatnonzero(np.count_nonzero(stacked, axis=1) >= 2):
            on = np.flatnonzero(stacked[piece])
            if apart[np.ix_(on, on)].any():
                stacked[piece] = stacked[:, piece] = False
    near |= stacked
    if printed is not None:
        near |= _cut_by_a_printed_line(
            labels, ids, boxes, printed, gap, -overlap, _PIECE_GAP * taller
        )
    near |= within
    groups = joined_groups(near | near.T)
    if printed is not None and printed.any():
        # (Again while lines grow: a digit beside a line joined so is judged by its height.)
        while len(fewer := _by_whole_heights(groups, across)) < len(groups):
            groups = fewer
    lines = []
    for members in groups:
        member_boxes = boxes[members]
        left, top = member_boxes[:, :2].min(axis=0).astype(int)
        right, bottom = (member_boxes[:, :2] + member_boxes[:, 2:]).max(axis=0).astype(int)
        if bottom - top < min_height:
            continue
        member = np.zeros(count, bool)
        member[ids[members]] = True
        inked = np.take(member, labels[top:bottom, left:right]) & (
            joined[top:bottom, left:right] > 0
        )
        ys, xs = np.nonzero(inked)
        lines.append(Pieces(member_boxes, xs + left, ys + top))
    return lines


def _far_longer_bands(stats: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """bool [n, n]: [i, j] where piece i is a band (`edge.table.bands`) at least `_FAR_LONGER`
    times as long as piece j is tall. `stats`: the pieces' `cv2.connectedComponentsWithStats`
    rows, `heights` their heights (px, [n])."""
    long = lengths(stats)[:, np.newaxis] >= _FAR_LONGER * heights
    return bands(stats)[:, np.newaxis] & long


def _near_a_bands_ink(
    labels: np.ndarray,
    ids: np.ndarray,
    boxes: np.ndarray,
    far_longer: np.ndarray,
    joined: np.ndarray,
) -> np.ndarray:
    """bool [n, n]: False where a piece and a band far longer than it is tall (`far_longer`,
    [i, j]: band i, piece j; `_far_longer_bands`) would be `joined` but the piece lies further
    from the band's ink than `_SAME_LINE_GAP` of its own height; True elsewhere. `labels`: the
    pieces' labels, `ids` [n] each piece's label, `boxes` [n, 4] their boxes (x, y, width,
    height, px). A sheet's outline (the sharp shadow a note casts under a lamp, a card's edge
    in stretches) holds the writing in its box and is as tall as the sheet: judged by its box
    and its height, it joined the writing into one line the size of the note. An underline
    or a sum's bar lies by its digits' ink."""
    keep = np.ones_like(joined)
    h, w = labels.shape
    for band, piece in zip(*np.nonzero(far_longer & (joined | joined.T)), strict=True):
        x, y, bw, bh = boxes[piece]
        r = math.ceil(_SAME_LINE_GAP * bh)
        region = labels[
            max(0, int(y) - r) : min(h, int(y + bh) + r),
            max(0, int(x) - r) : min(w, int(x + bw) + r),
        ]
        if not np.any(region == ids[band]):
            keep[band, piece] = keep[piece, band] = False
    return keep


def _ends_of_print(boxes: np.ndarray, printed: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """bool [n]: which of the `asked` pieces (bool [n]; `boxes` [n, 4], x, y, w, h) are at
    least twice as wide as tall with a printed line's pixels (`printed`, uint8 0/1) right
    beside an end, in their rows."""
    ends = np.zeros(len(boxes), bool)
    flat = asked & (boxes[:, 2] >= 2 * boxes[:, 3])
    for index in np.flatnonzero(flat):
        x, y, w, h = boxes[index].astype(int)
        rows = printed[y : y + h]
        ends[index] = rows[:, max(0, x - 2) : x].any() or rows[:, x + w : x + w + 2].any()
    return ends


def _rows_linked(
    joined: np.ndarray, linked: np.ndarray, labels: np.ndarray, stats: np.ndarray, smallest: float
) -> np.ndarray | None:
    """`linked` (uint8 0/1: `joined`, the ink, dilated 3x3; its pieces `labels` and `stats`,
    those under `smallest` px both ways specks) with its pieces that link two rows of writing
    cut apart, or None when none does.

    Two lines of numbers written a pixel or two apart at the finder's size are one piece, one
    line: a list written cramped. Such a piece is `_TWO_ROWS` times the writing's height (the
    pieces' median) or more, and its parts linked side by side only (`joined` dilated 1x3)
    stand in two bands, no part across the row between them, each band holding a part
    `_WHOLE` of the writing's height or more (a digit, not a digit's or a pencil stroke's
    fragments). Cut, its parts are judged as all pieces are: a digit's pieces one above the
    other join again (`stacked`) unless they are two lines' (`_lines_one_above_the_other`).
    Written closer still, each row's digits are linked too, and the writing is a piece or two:
    its height is then its rows' (the median of the parts `_LINKED_ROW` times as wide as tall,
    two or more), and each band must hold such a part (a digit's loops one above the other,
    an underline under a number, are no rows; at twice as wide, one of real-dev's digits
    squeezed to 0.6 of its height, as a camera sees it from the side, was cut in two)."""
    heights = stats[:, cv2.CC_STAT_HEIGHT]
    writing = np.maximum(stats[:, cv2.CC_STAT_WIDTH], heights) >= smallest  # (not specks)
    writing[0] = False
    if not writing.any():
        return None
    linked_rows = np.count_nonzero(writing) < 3
    if not linked_rows:
        digit = float(np.median(heights[writing]))  # the writing's height
        if not (heights[writing] >= _TWO_ROWS * digit).any():
            return None
    side = cv2.dilate(joined, np.ones((1, 3), np.uint8))
    count, parts, part_stats = pieces_with_boxes(side)
    part_heights = part_stats[:, cv2.CC_STAT_HEIGHT]
    wide = part_stats[:, cv2.CC_STAT_WIDTH] >= _LINKED_ROW * part_heights
    wide &= part_heights >= smallest
    wide[0] = False
    if linked_rows:
        if np.count_nonzero(wide) < 2:
            return None
        digit = float(np.median(part_heights[wide]))
    tall = writing & (heights >= _TWO_ROWS * digit)
    if not tall.any():
        return None
    # Each part's piece, read at its pixels (a part lies within one piece).
    of = np.zeros(count, int)
    inked = parts > 0
    of[parts[inked]] = labels[inked]
    tops = part_stats[:, cv2.CC_STAT_TOP]
    bottoms = tops + part_stats[:, cv2.CC_STAT_HEIGHT]
    whole = bottoms - tops >= _WHOLE * digit
    if linked_rows:
        whole &= wide
    cut = []
    for piece in np.flatnonzero(tall):
        members = np.flatnonzero(of == piece)
        top, bottom = tops[members], bottoms[members]
        for row in np.unique(bottom):  # a row between bands: under some parts, across none
            above, below = bottom <= row, top >= row
            if (
                (above | below).all()
                and (whole[members] & above).any()
                and (whole[members] & below).any()
            ):
                cut.append(piece)
                break
    if not cut:
        return None
    rows = linked.copy()
    apart = np.isin(labels, cut)
    rows[apart] = side[apart]
    return rows


def _neighbours(
    x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of boxes (left, top, right, bottom edges, px, [n] each) at once, [i, j]
    comparing box i with box j: whether they are neighbours on a line tilted up to MAX_TILT
    (they overlap vertically, are near, and the line between their centres is no steeper than
    the tilt), and their vertical overlap, gap sideways and taller height (px, [n, n])."""
    heights = y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    column = np.newaxis
    overlap = np.minimum(y1[:, column], y1) - np.maximum(y0[:, column], y0)
    shorter = np.minimum(heights[:, column], heights)
    gap = np.maximum(x0 - x1[:, column], x0[:, column] - x1)
    taller = np.maximum(heights[:, column], heights)
    slope = (
        np.abs(cy - cy[:, column])
        <= np.tan(np.radians(MAX_TILT + 5)) * np.abs(cx - cx[:, column]) + 0.25 * shorter
    )
    near = (overlap >= _SAME_LINE_OVERLAP * shorter) & (gap <= _SAME_LINE_GAP * taller) & slope
    return near, overlap, gap, taller


def _off_print(boxes: np.ndarray, printed: np.ndarray) -> np.ndarray:
    """bool [n]: which pieces (`boxes` [n, 4], x, y, w, h) have no printed line's pixel
    (`printed`, uint8 0/1) within `_TOUCHING` px of their box."""
    grown = boxes.astype(int) + np.array([-_TOUCHING, -_TOUCHING, 2 * _TOUCHING, 2 * _TOUCHING])
    return np.array(
        [not printed[max(0, y) : y + h, max(0, x) : x + w].any() for x, y, w, h in grown], bool
    )


def _lines_one_above_the_other(
    near: np.ndarray, boxes: np.ndarray, off_print: np.ndarray
) -> np.ndarray:
    """bool [n, n]: pairs of pieces (`boxes` [n, 4], x, y, w, h) on two lines of writing one
    above the other: lines of two pieces or more (`near` [n, n], bool: neighbours on a line)
    or of one piece away from printed lines (`off_print`, bool [n]: a piece a printed line
    cuts may be half a digit), either `_WIDE_LINE` times as wide as tall and `_WHOLE` of the
    pieces' median height (a number's digits written close, linked: a list written cramped,
    `_rows_linked`) or `_WHOLE` of the tallest pieces' height (their 90th percentile: a digit,
    or two written touching and narrow; a digit's pieces one above the other are each a part
    of its height), or of one piece on a printed line `_ROW_ON_PRINT` times as wide as tall
    and `_WHOLE` of the median height (a number's digits linked by the rule they rest on: a
    ruled notebook's list, five lines read as one block); as tall as each other within
    `_AS_TALL`, and not on one line. Numbers on neighbouring rules, staggered, nearly touch
    at the detection size, and a digit's pieces one above the other were joined across them
    into one slanted line; a list's lines written 0.3 heights apart, into one block read as
    nothing (real-dev's writers' pages of three lines 1.3 heights apart, `bench --real-lines
    --rows 3 --row-pitch 1.3`)."""
    groups = joined_groups(near)
    line = np.empty(len(boxes), int)
    for index, members in enumerate(groups):
        line[members] = index
    left, top, right, bottom = _extents(groups, boxes)
    _, overlap, _, taller = _neighbours(left, top, right, bottom)
    heights = bottom - top
    shorter = np.minimum(heights[:, np.newaxis], heights)
    widths = right - left
    lines = np.array([len(g) >= 2 for g in groups])
    one = np.array([len(g) == 1 for g in groups])
    alone = one & np.array([off_print[g[0]] for g in groups])
    whole = heights >= _WHOLE * np.median(boxes[:, 3])
    wide = (widths >= _WIDE_LINE * heights) & whole
    lines |= alone & (wide | (heights >= _WHOLE * np.percentile(boxes[:, 3], 90)))
    # On a printed line, a piece twice as wide as tall is a number's digits linked by the rule
    # they rest on, not half a digit the rule cuts.
    lines |= one & (widths >= _ROW_ON_PRINT * heights) & whole
    apart = (
        lines[:, np.newaxis]
        & lines
        & (taller <= _AS_TALL * shorter)
        & (overlap < _SAME_LINE_OVERLAP * shorter)
    )
    np.fill_diagonal(apart, False)
    return apart[np.ix_(line, line)]


def _across_rules(
    labels: np.ndarray, ids: np.ndarray, boxes: np.ndarray, slant: float
) -> np.ndarray:
    """The pieces `ids` of `labels` (their `boxes`, [n, 4], x, y, w, h) with their tops and
    heights taken across a page's rules turned `slant` degrees (clockwise as y grows down):
    each pixel's y less the rules' rise at its x, over the piece's pixels. (A box's corners
    would widen a digit by its width times the rise: 2 px at 6 degrees.)"""
    rise = math.tan(math.radians(slant))
    ys, xs = np.nonzero(labels)
    of = labels[ys, xs]
    level = ys - rise * xs
    count = int(labels.max()) + 1
    top, bottom = np.full(count, np.inf), np.full(count, -np.inf)
    np.minimum.at(top, of, level)
    np.maximum.at(bottom, of, level + 1)
    return np.stack([boxes[:, 0], top[ids], boxes[:, 2], bottom[ids] - top[ids]], axis=1)


def _extents(
    groups: list[list[int]], boxes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The left, top, right and bottom edges (px, [len(groups)] each) of each group of pieces
    (indices into `boxes` [n, 4], x, y, w, h)."""
    starts, ends = boxes[:, :2], boxes[:, :2] + boxes[:, 2:]
    left, top = np.array([starts[g].min(axis=0) for g in groups]).reshape(-1, 2).T
    right, bottom = np.array([ends[g].max(axis=0) for g in groups]).reshape(-1, 2).T
    return left, top, right, bottom


def joined_groups(near: np.ndarray) -> list[list[int]]:
    """The groups of indices (each ascending) that `near` (bool [n, n], symmetric) joins,
    pair by pair, ordered by their first members."""
    parent = list(range(len(near)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in np.argwhere(np.triu(near, 1)):  # each joined pair once
        parent[root(int(j))] = root(int(i))
    groups: dict[int, list[int]] = {}
    for i in range(len(near)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _by_whole_heights(groups: list[list[int]], boxes: np.ndarray) -> list[list[int]]:
    """`groups` of pieces (indices into `boxes` [n, 4], x, y, w, h), those on one line joined
    (each ascending): neighbours on a line judged by the groups' whole heights, where one of
    the two is a digit cut into pieces one above the other (taller than `_CUT_APART` times
    its tallest piece: a grid's level line through it, a pencil's gap) and both are about as
    tall (within `_AS_TALL`). `group_lines` judges pieces by their own heights, and a digit's
    halves on squared paper are half its height: the gap to the next digit is too wide for
    them (held-out `569` on a grid read `6`, `0`). Judged so with no likeness of heights, a
    sheet's edge or a table's wedge joined the writing: 1,950 held-out scenes read 4 more
    right and 7 more wrong (session 39)."""
    left, tops, right, bottoms = _extents(groups, boxes)
    heights = bottoms - tops
    near, _, _, taller = _neighbours(left, tops, right, bottoms)
    cut_apart = heights > _CUT_APART * np.array([boxes[g, 3].max() for g in groups])
    near &= cut_apart[:, np.newaxis] | cut_apart
    near &= taller <= _AS_TALL * np.minimum(heights[:, np.newaxis], heights)
    return [sorted(i for g in joined for i in groups[g]) for joined in joined_groups(near)]


def _page_slant(rules: list[Chord]) -> float | None:
    """The slant of a ruled page (degrees, clockwise as y grows down) from the rules that cross
    the frame (`straight_lines`), or None: the median of the near-level rules, two or more,
    agreeing within `RULE_AGREEMENT` of their median; or of those that agree, when some do
    not, if `_OUTVOTING` or more agree and their middle half within `_CLOSE_RULES` degrees.
    Writing follows the page's rules, so this is the slant of a short line whose own pieces
    do not spread far enough along it to say (one or two digits on a turned, ruled page), and
    the way lines one above the other are told apart (`group_lines`). A page's texture or a
    table's edges give "rules" at any angle, which do not agree (a dark table's grain round a
    card: 11 within 5 degrees of their median, spread over 9 degrees, 2 not); lines Hough
    finds through a list's staggered lines of writing cross the rules (2 of 10)."""
    ends = np.array(rules, np.float64).reshape(-1, 2, 2)
    slants = slants_of(ends[:, 1] - ends[:, 0])
    level = slants[np.abs(slants) <= MAX_TILT]
    if len(level) < 2:
        return None
    agree = level[np.abs(level - np.median(level)) <= RULE_AGREEMENT]
    if len(agree) == len(level):
        return float(np.median(level))
    # Lines across the rules (Hough's through the writing) are outvoted by rules agreeing
    # closely; a texture's "rules" agree loosely, or not at all.
    if len(agree) < _OUTVOTING:
        return None
    low, high = np.percentile(agree, [25, 75])
    return float(np.median(agree)) if high - low <= _CLOSE_RULES else None


def _direction(pieces: Pieces, page_slant: float | None) -> float | None:
    """The slant of the line through `pieces` (degrees, clockwise as y grows down): through
    its big pieces' centres when they spread along it, else the ruled page's (`page_slant`),
    else None: not known."""
    boxes = pieces.boxes
    # Fitted through the line's big pieces only (digits, not a flag or a dot), and only when
    # they spread along the line: the two strokes of one 4 say nothing about the line's slope.
    big = boxes[boxes[:, 3] >= 0.5 * boxes[:, 3].max()]
    centres = big[:, :2] + big[:, 2:] / 2
    weights = big[:, 3] ** 2
    spread = centres[:, 0].max() - centres[:, 0].min()
    if len(big) < 2 or spread <= 1.2 * big[:, 3].max():
        return page_slant
    # Weighted means, as np.average works them out (at a fraction of its overhead).
    total = weights.sum()
    mx = (centres[:, 0] * weights).sum() / total
    my = (centres[:, 1] * weights).sum() / total
    sxx = ((centres[:, 0] - mx) ** 2 * weights).sum() / total
    sxy = ((centres[:, 0] - mx) * (centres[:, 1] - my) * weights).sum() / total
    return float(np.clip(math.degrees(math.atan2(sxy, sxx)), -MAX_TILT, MAX_TILT))


def _one_piece(pieces: Pieces) -> bool:
    """Whether a line's ink is one big piece (at least half the tallest's height, as
    `_direction` counts them): a digit, or digits written touching."""
    boxes = pieces.boxes
    return np.count_nonzero(boxes[:, 3] >= 0.5 * boxes[:, 3].max()) == 1


def _fit(pieces: Pieces, scale: int, angle: float) -> LineGeometry:
    """The line through `pieces` (mask pixels) along `angle` (degrees, clockwise as y grows
    down) as frame-pixel geometry: its length and height from the ink's extent along and
    across it."""
    theta = math.radians(angle)
    xs, ys = pieces.xs + 0.5, pieces.ys + 0.5  # pixel centres
    along = xs * math.cos(theta) + ys * math.sin(theta)
    across = -xs * math.sin(theta) + ys * math.cos(theta)
    start, end = along.min() - 0.5, along.max() + 0.5
    low, high = quantile(across, 0.005), quantile(across, 0.995)
    low, high = low - 0.5, high + 0.5
    mid_along, mid_across = (start + end) / 2, (low + high) / 2
    cx = mid_along * math.cos(theta) - mid_across * math.sin(theta)
    cy = mid_along * math.sin(theta) + mid_across * math.cos(theta)
    return LineGeometry(
        cx=cx * scale - 0.5,
        cy=cy * scale - 0.5,
        angle=angle,
        length=(end - start) * scale,
        height=max(high - low, 1.0) * scale,
    )


def _cut(
    frame: np.ndarray,
    grey: Callable[[np.ndarray], np.ndarray],
    paper_small: np.ndarray,
    scale: int,
    geometry: LineGeometry,
    erased: np.ndarray | None = None,
    box_lines: np.ndarray | None = None,
) -> Line:
    """The line's image, from the ink darkness of its own region of `frame` at full resolution,
    in the grey the finder searched (`grey`, `grey_of` as the finder called it), with the
    pixels `erased` (uint8 0/1 at detection size, or None) made paper and those of
    `box_lines` (likewise: printed boxes' lines) shown `_BOX_SHOWN` as dark."""
    to_line = geometry.to_line()
    width = geometry.image_width()
    to_frame = cv2.invertAffineTransform(to_line)
    corners = np.array([[0, 0, 1], [width, 0, 1], [0, 32, 1], [width, 32, 1]], np.float64)
    points = corners @ to_frame.T
    h, w = frame.shape[:2]
    left = int(np.clip(np.floor(points[:, 0].min()) - 2, 0, w - 1))
    top = int(np.clip(np.floor(points[:, 1].min()) - 2, 0, h - 1))
    right = int(np.clip(np.ceil(points[:, 0].max()) + 2, left + 1, w))
    bottom = int(np.clip(np.ceil(points[:, 1].max()) + 2, top + 1, h))
    bounds = (left, top, right, bottom)
    darkness = ink_darkness(
        grey(frame[top:bottom, left:right]), _frame_region(paper_small, scale, bounds)
    )
    near = cv2.INTER_NEAREST
    if erased is not None:
        darkness[_frame_region(erased, scale, bounds, near) > 0] = 0
    if box_lines is not None:
        printed = _frame_region(box_lines, scale, bounds, near) > 0
        darkness[printed] = (darkness[printed] * _BOX_SHOWN).astype(np.uint8)
    shifted = LineGeometry(
        geometry.cx - left, geometry.cy - top, geometry.angle, geometry.length, geometry.height
    )
    box_points = points[:, :2]
    box = (
        int(max(0, box_points[:, 0].min())),
        int(max(0, box_points[:, 1].min())),
        int(min(w, box_points[:, 0].max()) - max(0, box_points[:, 0].min())),
        int(min(h, box_points[:, 1].max()) - max(0, box_points[:, 1].min())),
    )
    return Line(geometry, line_image(darkness, shifted), to_frame, box)


def _cut_turned(
    frame: np.ndarray,
    grey: Callable[[np.ndarray], np.ndarray],
    paper_small: np.ndarray,
    scale: int,
    pieces: Pieces,
    erased: np.ndarray | None,
    box_lines: np.ndarray | None,
    angle: float,
) -> Line:
    """`_cut` of the line through `pieces` along `angle` (degrees): `Line.turned`."""
    return _cut(frame, grey, paper_small, scale, _fit(pieces, scale, angle), erased, box_lines)


def _frame_region(
    small: np.ndarray,
    scale: int,
    region: tuple[int, int, int, int],
    interpolation: int = cv2.INTER_LINEAR,
) -> np.ndarray:
    """An image made at detection size (the paper estimate, what is erased) over a frame
    region, at frame resolution."""
    left, top, right, bottom = region
    if scale == 1:
        return small[top:bottom, left:right]
    # Detection pixel i covers frame pixels [i * scale, (i + 1) * scale): its centre is at
    # (i + 0.5) * scale - 0.5.
    matrix = np.array(
        [[1 / scale, 0, (left + 0.5) / scale - 0.5], [0, 1 / scale, (top + 0.5) / scale - 0.5]]
    )
    return cv2.warpAffine(
        small,
        matrix,
        (right - left, bottom - top),
        flags=interpolation | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
