"""Frame -> digit candidates: where each handwritten digit is, and its MNIST-style 28x28 crop.

The steps, each there because of something the camera adds:
1. ink darkness relative to the paper *around it* (a background estimate that strokes cannot
   survive), so gradients, vignetting and soft shadows do not read as ink;
2. long straight lines (printed rules, paper edges) are erased, so a digit touching a rule is
   not swallowed into one page-wide blob; ink clearly darker than the rule it lies on stays;
3. ink is grouped (faint ink kept where it joins clearly dark ink, a fine pen's broken line
   linked up), fragments of one digit (a pen lift, a rule crossing) are merged, and what
   cannot be a digit is dropped: specks, blobs, cut-off shapes, dashes, the outlines of dark
   objects;
4. each digit is formatted the MNIST way (20x20 box, centre of mass at the centre, a fine
   pen thickened to MNIST's), which is what the model was trained on.
All of it looks at the frame shrunk by a whole factor to about 240 rows (a quarter of the pixels
of a 640x480 frame: on a Pi the time goes where the pixels are); a digit written 40 px tall in
the frame is 20 px tall there, what MNIST's 20x20 box needs. Per-pixel work is left to OpenCV;
Python loops only over digits and rules. All functions are pure: numpy arrays in, numpy out.
"""

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from edge.events import Box

CROP_SIZE = 28
_BOX = 20  # MNIST fits each digit in a 20x20 box inside the 28x28 image
_CENTRE = 14.0  # where MNIST puts the centre of mass (measured on its test set, row and column)
# MNIST pen width in 28x28 pixels, as pen_width() measures it: 5th-95th percentile 1.2-3.6,
# median 2.1. A crop whose pen is thinner than MNIST's thinnest is thickened to the median.
_THINNEST_PEN = 1.2
_MEDIAN_PEN = 2.1
_DETECT_ROWS = 240  # the frame is shrunk by the whole factor that brings it closest to this
_SPECK_AREA = 6  # frame px; smaller components are sensor noise or dust, even before merging
_LINK_GAP = 0.0125  # ink this close (of the frame height: 6 px at 480) is one component
# Pieces this close (of the taller one's height) are one digit: a fine pen's line broken where
# two strokes meet. The scenes' neighbouring digits are at least 0.2 digit heights apart.
_CLOSE_PIECES = 0.12
# The digits of a reading are written about the same size: a piece under half as tall as the
# median candidate in the frame (with 3 or more) is a stray stroke or a fragment, not a digit.
_SHORTEST = 0.5
# Faint ink (a fine pencil line, the blurred end of a stroke) counts where it carries on from
# ink at least `ink_contrast` dark; alone it is paper texture or noise. Rules are looked for in
# a more sensitive mask still: a faint printed line is only patchily dark enough to be ink.
_FAINT_INK = 0.7  # of ink_contrast
_FAINT_REACH = 3  # detection px: how far faint ink carries on from clear ink (6 px at 480)
_RULE_INK = 0.5  # of ink_contrast
_RULE_BAND = 3  # px erased beyond a rule's measured width: the fit is a pixel off here and there
# Ink lying along a rule is told from the rule by being darker than the rule itself is along
# its length: by this many grey levels, this fraction of the rule's darkness, or this many
# times the rule's own variation (median absolute deviation), whichever is most.
_RULE_MARGIN = 12.0
_RULE_MARGIN_REL = 0.1
_RULE_MARGIN_MAD = 3.0
# The paper estimate's smoothing, as a fraction of its closing size: smooth enough to hide
# the closing's blocks, sharp enough to follow a shadow's edge (wider smoothing lifts the
# paper estimate on the dark side of the edge, which then reads as a band of faint ink).
_PAPER_SMOOTH = 0.3
_FULL_INK = 60  # percentile of a digit's ink darkness that is scaled to full white
# Wider than this (width / height) may be two digits written touching or nearly (the linking
# joins ink a few px apart); the cut is looked for in the middle of the width, not the ends.
_PAIR_ASPECT = 1.2
_CUT_BANDS = (0.25, 0.42, 0.58, 0.75)  # of the width: three bands, one cut in each
_SQUARE_3 = np.ones((3, 3), np.uint8)
_COLUMN_2 = np.ones((2, 1), np.uint8)


class FrameError(ValueError):
    """The frame cannot be segmented (wrong type or shape); skip it and carry on."""


@dataclass(frozen=True)
class SegmentSettings:
    """What counts as a digit. Sizes are in frame pixels unless a fraction of the frame."""

    ink: Literal["dark", "light"] = "dark"  # dark pen on paper, or light chalk/screen digits
    ink_contrast: float = 0.2  # ink is at least this much darker than the paper around it...
    # ...and somewhere in each digit at least this much: a fine pencil line, thin and a little
    # out of focus, is only about a third darker than the paper; an erased ghost, a quarter.
    core_contrast: float = 0.3
    min_height: int = 12  # px; smaller digits hold too few pixels to read
    max_height: float = 0.9  # of the frame height
    max_aspect: float = 2.2  # width / height; wider is a dash, scribble or touching digits
    max_stroke: float = 0.1  # widest pen stroke, as a fraction of the frame height
    min_rule: float = 0.3  # a straight line this long (fraction of frame width) is a rule
    max_rule_tilt_deg: float = 25.0

    def __post_init__(self) -> None:
        if self.ink not in ("dark", "light"):
            raise ValueError(f"SegmentSettings.ink = {self.ink!r}: use 'dark' or 'light'")
        if not 0 < self.ink_contrast <= self.core_contrast < 1:
            raise ValueError(
                f"SegmentSettings: need 0 < ink_contrast ({self.ink_contrast}) <= core_contrast "
                f"({self.core_contrast}) < 1"
            )
        for name in ("max_height", "max_stroke", "min_rule"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"SegmentSettings.{name} = {getattr(self, name)}: need 0 < x <= 1")
        if self.min_height < 4 or self.max_aspect <= 0:
            raise ValueError("SegmentSettings: min_height must be >= 4 and max_aspect > 0")


@dataclass(frozen=True)
class Candidate:
    """Something that looks like one digit: its box in the frame and its model-ready crop."""

    box: Box
    crop: np.ndarray  # uint8 [28, 28], white digit on black, MNIST-formatted
    # Wide enough to be two digits written touching: makes the ways to cut it in two (left,
    # right) on demand. Their crops cost what the digit's own does, and the reader needs them
    # only for a wide candidate it cannot read as one digit (see edge.pipeline).
    cuts: "Callable[[], tuple[tuple[Candidate, Candidate], ...]] | None" = None


@dataclass(frozen=True)
class _Page:
    """The frame as the segmenter sees it, shrunk by `scale`: the paper's brightness and the
    ink's darkness."""

    scale: int  # frame pixels per detection pixel, each way
    paper: np.ndarray  # uint8 paper brightness at detection size
    darkness: np.ndarray  # uint8 ink darkness at detection size (0 paper, 255 black)


def segment_digits(
    frame: np.ndarray, settings: SegmentSettings = SegmentSettings()
) -> list[Candidate]:
    """Digit candidates, left to right (edge.reading puts them in reading order)."""
    grey = to_grey(frame)
    if settings.ink == "light":
        grey = cv2.bitwise_not(grey)
    page = _look_at(grey, settings)
    ink = round(255 * settings.ink_contrast)
    mask = _at_least(page.darkness, ink)
    faint = _at_least(page.darkness, round(_FAINT_INK * ink))
    rules = find_rules(_at_least(page.darkness, round(_RULE_INK * ink)), settings)
    erased = None
    if rules:
        mask, faint, erased = erase_rules(mask, faint, page.darkness, rules)
    mask = _hysteresis(faint, mask)
    candidates = [_candidate(group, page) for group in _digit_groups(mask, erased, page, settings)]
    return sorted(candidates, key=lambda c: (c.box[0], c.box[1]))


def to_grey(frame: np.ndarray) -> np.ndarray:
    """A uint8 grey image from a grey, BGR or BGRA frame; FrameError names what is wrong."""
    if not isinstance(frame, np.ndarray):
        raise FrameError(f"a frame must be a numpy array, got {type(frame).__name__}")
    if frame.size == 0:
        raise FrameError(f"the frame is empty (shape {frame.shape}); check the source")
    if frame.dtype != np.uint8:
        raise FrameError(f"a frame must be uint8, got {frame.dtype}; convert or rescale it first")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[..., 0]
    if frame.ndim == 2:
        grey = frame
    elif frame.ndim == 3 and frame.shape[2] in (3, 4):
        code = cv2.COLOR_BGR2GRAY if frame.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        grey = cv2.cvtColor(frame, code)
    else:
        raise FrameError(f"a frame must be (H, W) grey or (H, W, 3) BGR, got shape {frame.shape}")
    if min(grey.shape) < 32:
        raise FrameError(
            f"a frame must be at least 32x32 pixels, got {grey.shape[1]}x{grey.shape[0]}"
        )
    return np.ascontiguousarray(grey)


def _look_at(grey: np.ndarray, settings: SegmentSettings) -> _Page:
    h, w = grey.shape
    scale = max(1, round(min(h, w) / _DETECT_ROWS))
    if scale > 1:
        # Averaging blocks of pixels also evens out sensor noise and JPEG ringing.
        small = cv2.resize(grey, (w // scale, h // scale), interpolation=cv2.INTER_AREA)
    else:
        small = cv2.GaussianBlur(grey, (3, 3), 0)
    paper = paper_brightness(small, max(3, round(settings.max_stroke * h / scale)))
    return _Page(scale, paper, ink_darkness(small, paper))


def paper_brightness(grey: np.ndarray, max_stroke_px: int) -> np.ndarray:
    """How bright the paper is under every pixel: the grey image with every dark feature
    narrower than `max_stroke_px` closed over, smoothed; worked out at half size, which is
    plenty for light that changes slowly."""
    h, w = grey.shape
    factor = 2 if min(h, w) >= 64 else 1
    small = cv2.resize(grey, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
    size = 2 * (max_stroke_px // (2 * factor)) + 3  # odd, wider than the widest stroke
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    smooth = 2 * round(_PAPER_SMOOTH * size / 2) + 1
    paper = cv2.blur(paper, (smooth, smooth))
    return cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)


def ink_darkness(grey: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """0 where the page is as bright as the paper under it, 255 where it is black (uint8)."""
    darkness = cv2.bitwise_not(cv2.divide(grey, paper, scale=255))
    # Where there is hardly any light (a dark table, a black frame) the ratio is noise, not ink.
    lit = cv2.threshold(paper, 39, 255, cv2.THRESH_BINARY)[1]
    return cv2.bitwise_and(darkness, lit)


def _at_least(image: np.ndarray, level: int) -> np.ndarray:
    """uint8 0/1: where the uint8 image is at least `level`."""
    return cv2.threshold(image, level - 1, 1, cv2.THRESH_BINARY)[1]


def _hysteresis(faint: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """`ink` and the `faint` pixels it reaches within _FAINT_REACH pixels through `faint`
    (uint8 0/1 masks): faint ink carries on from clear ink; it does not start on its own."""
    for _ in range(_FAINT_REACH):
        ink = cv2.bitwise_and(cv2.dilate(ink, _SQUARE_3), faint)
    return ink


@dataclass(frozen=True)
class Rule:
    """A printed line across the page: y = slope * x + intercept, `width` px thick."""

    slope: float
    intercept: float
    width: int

    def y(self, x: float) -> float:
        return self.slope * x + self.intercept


def find_rules(faint: np.ndarray, settings: SegmentSettings) -> list[Rule]:
    """Long straight near-horizontal lines (printed rules, paper edges) in a sensitive 0/1 ink
    mask, where a rule that is only patchily dark enough to be ink is still one line."""
    h, w = faint.shape
    # Voted for at half size (a quarter of the pixels), on ink thickened down by a pixel so a
    # thin rule tilted between Hough's one-degree steps still reads as one line.
    factor = 2 if min(h, w) >= 128 else 1
    small = faint
    if factor > 1:
        small = cv2.resize(faint, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
        small = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY)[1]
    small = cv2.dilate(small, _COLUMN_2)
    length = settings.min_rule * w / factor
    segments = cv2.HoughLinesP(
        small, 1, np.pi / 180, threshold=int(length / 2), minLineLength=length, maxLineGap=2
    )
    if segments is None:
        return []
    max_slope = np.tan(np.radians(settings.max_rule_tilt_deg))
    found: list[Rule] = []
    for x0, y0, x1, y1 in factor * segments.reshape(-1, 4):  # OpenCV 4 adds a middle axis
        if abs(y1 - y0) > max_slope * abs(x1 - x0):
            continue  # too steep for a rule
        mid_x, mid_y = (x0 + x1) / 2, (y0 + y1) / 2
        if any(abs(mid_y - rule.y(mid_x)) <= rule.width / 2 + 2 for rule in found):
            continue  # another piece of a rule already found
        rule = _fit_rule(faint, (x0, y0), (x1, y1))
        if rule is None or abs(rule.slope) > max_slope:
            continue
        if all(abs(rule.y(w / 2) - other.y(w / 2)) > other.width / 2 + 2 for other in found):
            found.append(rule)
    return found


def _fit_rule(mask: np.ndarray, start: tuple[int, int], end: tuple[int, int]) -> Rule | None:
    """The rule Hough found, fitted; None when too little ink lies along it to fit.

    Hough's angle is quantized, several pixels off across a frame; a least-squares fit to the
    ink near the segment, then to the ink along the fitted line across the whole frame, is
    exact. Digit strokes crossing the rule are outliers, dropped, and the width is the typical
    ink run across the line, which a digit touching it hardly moves.
    """
    (x0, y0), (x1, y1) = start, end
    slope = (y1 - y0) / (x1 - x0) if x1 != x0 else 0.0
    line = slope, y0 - slope * x0
    w = mask.shape[1]
    columns, reach = (min(x0, x1), max(x0, x1) + 1), 4
    # Near the segment found, then near the fitted line across the frame, once more with a
    # wider window if the rule fills the window (a thick rule, or a paper edge).
    for _ in range(3):
        xs, ys = _ink_along(mask, line, reach, columns)
        if len(xs) < 10:
            return None
        # A column with more ink than the rule's typical run holds a digit's stroke too (its
        # foot resting on the rule): left out, it cannot pull the line towards the digit.
        per_column = np.bincount(xs)
        thin = per_column[xs] <= _median(per_column[per_column > 0]) + 1
        if np.count_nonzero(thin) >= 10:
            xs, ys = xs[thin], ys[thin]
        line = _least_squares_line(xs, ys)
        residual = np.abs(ys - (line[0] * xs + line[1]))
        on_rule = residual <= max(1.5, 2.5 * _median(residual))
        xs, ys = xs[on_rule], ys[on_rule]
        line = _least_squares_line(xs, ys)
        per_column = np.bincount(xs)
        width = round(_median(per_column[per_column > 0]))
        if columns == (0, w) and width < 2 * reach - 1:
            break
        columns, reach = (0, w), max(reach, width // 2 + 3)
    return Rule(*line, width)


def _ink_along(
    mask: np.ndarray, line: tuple[float, float], reach: int, columns: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Columns and rows of the ink within `reach` rows of the line y = slope * x + intercept,
    in columns[0]:columns[1]."""
    k, i = np.nonzero(_straightened(mask, line, reach, columns))
    xs = i + columns[0]
    return xs, np.round(line[0] * xs + line[1] - reach).astype(np.intp) + k


def _straightened(
    image: np.ndarray, line: tuple[float, float], reach: int, columns: tuple[int, int] | None = None
) -> np.ndarray:
    """The band of the image within `reach` rows of the line y = slope * x + intercept, sheared
    straight: row k of it is `k - reach` rows off the line (0 beyond the image)."""
    slope, intercept = line
    x0, x1 = columns or (0, image.shape[1])
    shear = np.float32([[1, 0, x0], [slope, 1, slope * x0 + intercept - reach]])
    return cv2.warpAffine(
        image, shear, (x1 - x0, 2 * reach + 1), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    )


def _least_squares_line(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    """y = slope * x + intercept through the points (np.polyfit's answer at a fifth the cost)."""
    n = len(xs)
    sx, sy = float(xs.sum()), float(ys.sum())
    sxx, sxy = float(xs @ xs), float(xs @ ys)
    slope = (n * sxy - sx * sy) / max(n * sxx - sx * sx, 1e-9)
    return slope, (sy - slope * sx) / n


def erase_rules(
    mask: np.ndarray, faint: np.ndarray, darkness: np.ndarray, rules: list[Rule]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 0/1 ink and faint-ink masks without the rules, and the band that was erased.

    What is clearly darker than the rule it lies on is ink written along it (a 7's bar, a 4's
    crossbar) and stays. Where a digit's stroke crosses a rule, the gap is closed again.
    """
    h, w = mask.shape
    band = np.zeros((h, w), np.uint8)  # the number of the rule each pixel lies on
    floor = np.full(256, 255, np.uint8)  # darkness that is ink, on each rule
    for number, rule in enumerate(rules, start=1):
        # Across the whole frame: Hough's segment stops short where the rule fades.
        ends = (0, round(rule.intercept)), (w - 1, round(rule.y(w - 1)))
        cv2.line(band, *ends, number, rule.width + _RULE_BAND)
        level, spread = _rule_darkness(darkness, rule)
        margin = max(_RULE_MARGIN, _RULE_MARGIN_REL * level, _RULE_MARGIN_MAD * spread)
        floor[number] = min(255, round(level + margin))
    off_rule = cv2.threshold(band, 0, 1, cv2.THRESH_BINARY_INV)[1]
    on_rule = 1 - off_rule
    written = cv2.bitwise_and(on_rule, cv2.compare(darkness, cv2.LUT(band, floor), cv2.CMP_GE))
    kept = cv2.bitwise_or(cv2.bitwise_and(mask, off_rule), written)
    # A stroke crossing a rule has ink right above and below the erased band: bridge it.
    widest = max(rule.width for rule in rules) + 2
    bridge = cv2.getStructuringElement(cv2.MORPH_RECT, (1, widest + 4))
    kept = cv2.max(kept, cv2.bitwise_and(cv2.morphologyEx(kept, cv2.MORPH_CLOSE, bridge), on_rule))
    faint = cv2.bitwise_or(cv2.bitwise_and(faint, off_rule), kept)
    return kept, faint, cv2.subtract(on_rule, written)


def _rule_darkness(darkness: np.ndarray, rule: Rule) -> tuple[float, float]:
    """How dark the rule itself is, and how much that varies: down its length, the median of
    the darkest pixel across it, and the median absolute deviation from that."""
    across = _straightened(darkness, (rule.slope, rule.intercept), rule.width // 2 + 1)
    darkest = cv2.reduce(across, 0, cv2.REDUCE_MAX).ravel().astype(np.float32)
    level = _median(darkest)
    return level, _median(np.abs(darkest - level))


@dataclass
class _Group:
    """Connected components believed to be one digit (a box in detection pixels)."""

    labels: list[int]
    x0: int
    y0: int
    x1: int  # exclusive
    y1: int
    area: int  # ink pixels
    mask: np.ndarray | None = None  # set once the group is kept, cut to the box

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def touches_edge(self, frame_h: int, frame_w: int) -> bool:
        return self.x0 == 0 or self.y0 == 0 or self.x1 == frame_w or self.y1 == frame_h

    def absorb(self, other: "_Group") -> None:
        self.labels += other.labels
        self.x0, self.y0 = min(self.x0, other.x0), min(self.y0, other.y0)
        self.x1, self.y1 = max(self.x1, other.x1), max(self.y1, other.y1)
        self.area += other.area

    def ink(self, labels: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        """Where the group's pixels are in rows y0:y1, columns x0:x1 of the label image."""
        around = labels[y0:y1, x0:x1]
        found = around == self.labels[0]
        for label in self.labels[1:]:
            found |= around == label
        return found


def _digit_groups(
    mask: np.ndarray, rules: np.ndarray | None, page: _Page, settings: SegmentSettings
) -> list[_Group]:
    """Connected ink, pieces of one digit merged, minus everything that cannot be a digit."""
    frame_h, frame_w = mask.shape
    scale = page.scale
    # Ink a few pixels apart is linked: a fine pen's line breaks up where it is fainter than
    # the threshold. Gaps between neighbouring digits are wider than this. A kernel of even
    # size reaches one pixel further up and left than down and right.
    size = max(2, round(_LINK_GAP * frame_h)) + 1  # links gaps up to size - 1 pixels
    before, after = size // 2, size - 1 - size // 2
    linked = cv2.dilate(mask, np.ones((size, size), np.uint8))
    # Each component covers at least size x size pixels, which bounds how many there can be.
    wide = mask.size // (size * size) >= np.iinfo(np.uint16).max
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        linked, 8, cv2.CV_32S if wide else cv2.CV_16U, cv2.CCL_BBDT
    )
    labels = cv2.bitwise_and(labels, labels, mask=mask)  # each piece's own pixels, no margin
    if wide:
        areas = np.bincount(labels.ravel(), minlength=count)
    else:
        areas = cv2.calcHist([labels], [0], None, [count], [0, count]).ravel()
    speck = max(2, round(_SPECK_AREA / scale**2))
    groups = []
    for label in np.flatnonzero(areas >= speck).tolist():
        if label == 0:
            continue
        x, y, w, h = stats[label, :4].tolist()
        # The linked box is the ink's box grown by the kernel; ink that close to the frame's
        # edge counts as touching it.
        x0, y0 = (x + before if x > 0 else 0), (y + before if y > 0 else 0)
        x1 = x + w - after if x + w < frame_w else frame_w
        y1 = y + h - after if y + h < frame_h else frame_h
        groups.append(_Group([label], x0, y0, x1, y1, int(areas[label])))
    groups = _merge_fragments(groups, labels, rules, settings)
    core = round(255 * settings.core_contrast)
    min_height = settings.min_height / scale
    kept = []
    for group in groups:
        if not min_height <= group.height <= settings.max_height * frame_h:
            continue
        if group.width > settings.max_aspect * group.height:
            continue
        if group.touches_edge(frame_h, frame_w):
            continue  # cut off by the frame's edge: a partial digit reads as a wrong one
        group.mask = group.ink(labels, group.y0, group.y1, group.x0, group.x1)
        box = np.s_[group.y0 : group.y1, group.x0 : group.x1]
        if cv2.minMaxLoc(page.darkness[box], group.mask.view(np.uint8))[1] < core:
            continue  # faint smudge, pencil ghost, shadow edge
        if _solid(group.mask, 0.6 * group.height):
            continue  # a solid blob (a pen cap, a finger's shadow), not a written stroke
        if not _on_paper(page.paper, group):
            continue  # the outline of a dark object, or the gaps in a bright one
        kept.append(group)
    if len(kept) >= 3:
        typical = sorted(group.height for group in kept)[len(kept) // 2]
        kept = [group for group in kept if group.height >= _SHORTEST * typical]
    return kept


def _solid(mask: np.ndarray, widest: float) -> bool:
    """Whether the shapes in a boolean mask are drawn with a pen wider than `widest` px."""
    distance = _distance_to_background(mask)
    # No stroke is wider than twice the largest distance to the background in it.
    if 2 * cv2.minMaxLoc(distance)[1] - 1 <= widest:
        return False
    return _width_along_ridge(distance) > widest


def _on_paper(paper: np.ndarray, group: _Group) -> bool:
    """Whether the paper under the digit is about as bright as the paper around it.

    The paper estimate closes over anything up to the widest pen stroke, so of a dark object
    larger than that (a coin, a phone) only the outline reads as ink, and can look like a 0;
    the paper estimate inside it is as dark as the object. Likewise for the gaps in a bright
    object on a dark table.
    """
    h, w = paper.shape
    margin = max(2, group.height // 6)
    y0, x0 = max(group.y0 - margin, 0), max(group.x0 - margin, 0)
    y1, x1 = min(group.y1 + margin, h), min(group.x1 + margin, w)
    dy, dx = group.height // 4, group.width // 4
    middle = paper[group.y0 + dy : group.y1 - dy, group.x0 + dx : group.x1 - dx]
    sides = (
        paper[y0:y1, x0 : group.x0],  # left
        paper[y0:y1, group.x1 : x1],  # right
        paper[y0 : group.y0, x0:x1],  # above
        paper[group.y1 : y1, x0:x1],  # below
    )
    around = sorted(cv2.mean(side)[0] for side in sides if side.size)
    half = len(around) // 2
    ratio = cv2.mean(middle)[0] / max((around[half] + around[~half]) / 2, 1.0)
    return 0.6 <= ratio <= 1.6  # wide enough for a shadow's edge across the box


def _merge_fragments(
    groups: list[_Group], labels: np.ndarray, rules: np.ndarray | None, settings: SegmentSettings
) -> list[_Group]:
    """Merge the pieces of one digit until no two pieces belong together.

    Pieces that run off the frame are left alone: a paper edge or a shadow would otherwise
    swallow every digit near it.
    """
    frame_h, frame_w = labels.shape
    merging, left_alone = [], []
    for group in groups:
        (left_alone if group.touches_edge(frame_h, frame_w) else merging).append(group)
    merged = True
    while merged:
        merged = False
        merging.sort(key=lambda g: g.area, reverse=True)
        for i, big in enumerate(merging):
            if big.height > settings.max_height * frame_h:
                continue
            for j in range(len(merging) - 1, i, -1):
                if _same_digit(big, merging[j], labels, rules):
                    big.absorb(merging.pop(j))
                    merged = True
    return merging + left_alone


def _same_digit(big: _Group, small: _Group, labels: np.ndarray, rules: np.ndarray | None) -> bool:
    """Pieces one above the other (a rule erased through a 7, a 5's flag written apart), a
    small piece beside or in a big one (the open end of a 0), or pieces all but touching.
    Pieces side by side at the same height are otherwise never merged: that is what
    neighbouring digits look like.
    """
    x_overlap = min(big.x1, small.x1) - max(big.x0, small.x0)
    y_overlap = min(big.y1, small.y1) - max(big.y0, small.y0)
    tallest, shortest = max(big.height, small.height), min(big.height, small.height)
    if y_overlap < 0:
        blank = _blank_rows_between(big, small, rules)
        if blank > 0.1 * tallest:
            return False  # a row apart
        if blank == 0 and x_overlap > 0:
            return True  # cut apart by a rule: a slanted 1, a 7's stem
    if x_overlap >= 0.5 * min(big.width, small.width) and y_overlap <= 0.5 * shortest:
        return True  # one above the other
    if -0.05 * tallest <= y_overlap <= 0.3 * shortest and x_overlap >= -0.2 * tallest:
        return True  # one diagonally above the other, just touching rows
    if (
        small.area < 0.5 * big.area
        and small.height < 0.5 * big.height
        and x_overlap >= -0.15 * big.height
        and y_overlap >= -0.1 * big.height
    ):
        return True
    near = _CLOSE_PIECES * tallest
    return min(x_overlap, y_overlap) >= -near and _gap(big, small, labels) <= near


def _gap(a: _Group, b: _Group, labels: np.ndarray) -> float:
    """The shortest distance in pixels between the ink of two groups."""
    y0, y1 = min(a.y0, b.y0), max(a.y1, b.y1)
    x0, x1 = min(a.x0, b.x0), max(a.x1, b.x1)
    not_a = (~a.ink(labels, y0, y1, x0, x1)).view(np.uint8)
    distance = cv2.distanceTransform(not_a, cv2.DIST_L2, cv2.DIST_MASK_3)
    in_b = b.ink(labels, y0, y1, x0, x1).view(np.uint8)
    if not in_b.any():
        return np.inf
    return cv2.minMaxLoc(distance, in_b)[0] - 1.0


def _blank_rows_between(a: _Group, b: _Group, rules: np.ndarray | None) -> int:
    """Rows of paper between two pieces one above the other, not counting an erased rule's
    rows (`rules`: the erased band, None on a page without rules): a rule erased through a
    digit leaves a gap the writer did not."""
    upper, lower = (a, b) if a.y0 < b.y0 else (b, a)
    if rules is None:
        return lower.y0 - upper.y1
    column = (max(a.x0, b.x0) + min(a.x1, b.x1)) // 2  # middle of their common columns, or gap
    return int(np.count_nonzero(rules[upper.y1 : lower.y0, column] == 0))


def stroke_width(mask: np.ndarray) -> float:
    """Typical pen width in pixels of the shapes in a boolean mask (0 for an empty mask).

    Twice the distance to the background along the strokes' middle, minus the centre pixel.
    """
    return _width_along_ridge(_distance_to_background(mask))


def _distance_to_background(mask: np.ndarray) -> np.ndarray:
    """Each pixel's distance to the nearest background pixel; beyond the mask is background."""
    shapes = np.ascontiguousarray(mask, dtype=bool).view(np.uint8)
    padded = cv2.copyMakeBorder(shapes, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    return cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_5)


def _width_along_ridge(distance: np.ndarray) -> float:
    ridge = (distance >= cv2.dilate(distance, _SQUARE_3)) & (distance > 0)
    along = distance[ridge]
    if along.size == 0:
        return 0.0
    return max(1.0, 2.0 * _median(along) - 1.0)


def _cut_candidates(group: _Group, page: _Page) -> tuple[tuple[Candidate, Candidate], ...]:
    return tuple((_candidate(left, page), _candidate(right, page)) for left, right in _cuts(group))


def _cuts(group: _Group) -> list[tuple[_Group, _Group]]:
    """A wide group cut in two at the column the least ink crosses in each of a few bands
    across its middle: where two touching digits meet is not always where the ink is thinnest
    (two 0s touch along their sides), so the classifier is shown each cut."""
    assert group.mask is not None
    crossing = np.count_nonzero(group.mask, axis=0)
    cuts = []
    for low, high in itertools.pairwise(_CUT_BANDS):
        start, stop = round(low * group.width), round(high * group.width)
        cut = start + int(np.argmin(crossing[start:stop]))
        left, right = _part(group, 0, cut), _part(group, cut, group.width)
        if left is not None and right is not None:
            cuts.append((left, right))
    return cuts


def _part(group: _Group, x0: int, x1: int) -> _Group | None:
    """The group's ink in its columns x0:x1, cut to the ink's box; None if there is none."""
    assert group.mask is not None
    mask = group.mask[:, x0:x1]
    bx, by, bw, bh = cv2.boundingRect(mask.view(np.uint8))
    if bw == 0:
        return None
    own = mask[by : by + bh, bx : bx + bw]
    x0, y0 = group.x0 + x0 + bx, group.y0 + by
    return _Group(group.labels, x0, y0, x0 + bw, y0 + bh, cv2.countNonZero(own.view(np.uint8)), own)


def _candidate(group: _Group, page: _Page) -> Candidate:
    """The group's box in the frame and its ink, white on black with full-strength strokes,
    MNIST-formatted.

    The crop is made from the ink darkness at detection size: a digit is 20 px or more tall
    there, enough for MNIST's 20x20 box, and shrinking the frame has already anti-aliased the
    strokes the way MNIST's are (measured on the scenes: as accurate as full-size crops, at a
    quarter of the pixels).
    """
    assert group.mask is not None
    h, w = page.darkness.shape
    # The soft edge the threshold cut off, which MNIST's strokes have too: 2 frame px around.
    edge = max(1, round(2 / page.scale))
    own = group.mask.view(np.uint8)
    y0, x0 = group.y0, group.x0
    pad = (
        min(edge, y0),
        min(edge, h - y0 - own.shape[0]),
        min(edge, x0),
        min(edge, w - x0 - own.shape[1]),
    )
    own = cv2.copyMakeBorder(own, *pad, cv2.BORDER_CONSTANT, value=0)
    y0, x0 = y0 - pad[0], x0 - pad[2]
    darkness = page.darkness[y0 : y0 + own.shape[0], x0 : x0 + own.shape[1]]
    support = cv2.dilate(own, np.ones((2 * edge + 1, 2 * edge + 1), np.uint8))
    ink = cv2.bitwise_and(darkness, darkness, mask=support)
    # Pencil and a bright pen differ in darkness, not in what they wrote: scale so the stroke's
    # core is full white, like MNIST's.
    full = _histogram_percentile(darkness, own, _FULL_INK)
    ink = cv2.convertScaleAbs(ink, alpha=255.0 / max(full, 1.0))
    bx, by, bw, bh = cv2.boundingRect(_at_least(ink, 128))  # the stroke's half-strength edge
    if bw == 0:
        bx, by, bw, bh = cv2.boundingRect(own)
    scale = page.scale
    box = ((x0 + bx) * scale, (y0 + by) * scale, bw * scale, bh * scale)
    wide = group.width > _PAIR_ASPECT * group.height
    cuts = functools.partial(_cut_candidates, group, page) if wide else None
    return Candidate(box, to_mnist_crop(ink), cuts)


def to_mnist_crop(ink: np.ndarray) -> np.ndarray:
    """One digit's ink (uint8, white on black, any size) -> uint8 [28, 28] formatted like MNIST.

    As MNIST did: fit in a 20x20 box keeping the aspect ratio, then shift so the centre of mass
    is at the centre. Also as MNIST looks: a pen far thinner than MNIST's is thickened first,
    so a fine pen on a big digit does not become a faint hairline. A marker is left as it is:
    thinning it breaks its thinner parts (a 7's bar) and measured worse on scenes.
    """
    if ink.dtype != np.uint8 or ink.ndim != 2:
        raise ValueError(f"ink must be a 2-D uint8 image, got {ink.dtype} {ink.shape}")
    ink = _tight(ink)
    scale = _BOX / max(ink.shape)
    width = _pen_estimate(ink) * scale
    if 0 < width < _THINNEST_PEN:
        ink = _tight(_thicken(ink, (_MEDIAN_PEN - width) / scale))
        scale = _BOX / max(ink.shape)
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    shrinking = scale < 1
    small = cv2.resize(ink, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    mass = cv2.moments(small)
    if mass["m00"] == 0:
        raise ValueError("ink is blank: there is no digit to crop")
    shift = np.float32(
        [
            [1, 0, _CENTRE - mass["m10"] / mass["m00"]],
            [0, 1, _CENTRE - mass["m01"] / mass["m00"]],
        ]
    )
    return cv2.warpAffine(small, shift, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR)


def pen_width(ink: np.ndarray) -> float:
    """Stroke width in pixels of a white-on-black uint8 image, measured on a copy at least 80 px
    across: at MNIST's own size a distance transform only knows widths of 1 and 3 pixels."""
    zoom = max(1.0, 80 / max(ink.shape))
    if zoom > 1:
        ink = cv2.resize(ink, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_LINEAR)
    return stroke_width(ink >= 128) / zoom


def _pen_estimate(ink: np.ndarray) -> float:
    """pen_width's answer at a sixth of the cost: a stroke's area is its length times its
    width, its outline twice its length. (On the scenes' crops: correlation 0.97 with
    pen_width, 4% above it, hence the 0.96; the thin-or-not decision agrees on 99%.)"""
    strokes = _at_least(ink, 128)
    outlines, _ = cv2.findContours(strokes, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    length = sum(cv2.arcLength(outline, True) for outline in outlines) / 2
    return 0.96 * cv2.countNonZero(strokes) / length if length else 0.0


def _tight(ink: np.ndarray) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(ink)  # of the pixels that are not 0
    if w == 0:
        raise ValueError("ink is blank: there is no digit to crop")
    return ink[y : y + h, x : x + w]


def _thicken(ink: np.ndarray, added_px: float) -> np.ndarray:
    """The strokes about `added_px` pixels wider (grey dilation keeps the soft edge)."""
    radius = max(1, round(added_px / 2))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    padded = cv2.copyMakeBorder(ink, radius, radius, radius, radius, cv2.BORDER_CONSTANT, value=0)
    return cv2.dilate(padded, kernel)


def _histogram_percentile(image: np.ndarray, mask: np.ndarray, q: float) -> float:
    """np.percentile (linear interpolation) of a uint8 image's pixels where `mask` is not 0."""
    counts = cv2.calcHist([image], [0], mask, [256], [0, 256]).ravel().cumsum()
    position = (counts[-1] - 1) * q / 100
    low = int(np.searchsorted(counts, position, side="right"))  # value at rank floor(position)
    high = int(np.searchsorted(counts, np.floor(position) + 1, side="right"))
    return float(low + (position - np.floor(position)) * (high - low))


def _median(values: np.ndarray) -> float:
    """np.median of a non-empty 1-D array, at a fraction of the cost (it runs for every digit)."""
    middle = (values.size - 1) // 2
    if values.size % 2:
        return float(np.partition(values, middle)[middle])
    part = np.partition(values, (middle, middle + 1))
    return (float(part[middle]) + float(part[middle + 1])) / 2
