"""Frame -> digit candidates: where each handwritten digit is, and its MNIST-style 28x28 crop.

The steps, each there because of something the camera adds:
1. ink darkness relative to the paper *around it* (a background estimate that strokes cannot
   survive), so gradients, vignetting and soft shadows do not read as ink;
2. long straight lines (printed rules, paper edges) are erased, so a digit touching a rule is
   not swallowed into one page-wide blob;
3. ink is grouped (a fine pen's broken line linked up), fragments of one digit (a pen lift,
   a rule crossing) are merged, and what cannot be a digit is dropped: specks, blobs,
   cut-off shapes, dashes, the outlines of dark objects;
4. each digit is formatted the MNIST way (20x20 box, centre of mass at the centre, a fine
   pen thickened to MNIST's), which is what the model was trained on.
All functions are pure: numpy arrays in, numpy arrays out.
"""

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
_SPECK_AREA = 6  # px; smaller components are sensor noise or dust, even before merging
_LINK_GAP = 0.0125  # ink this close (of the frame height: 6 px at 480) is one component


class FrameError(ValueError):
    """The frame cannot be segmented (wrong type or shape); skip it and carry on."""


@dataclass(frozen=True)
class SegmentSettings:
    """What counts as a digit. Sizes are in frame pixels unless a fraction of the frame."""

    ink: Literal["dark", "light"] = "dark"  # dark pen on paper, or light chalk/screen digits
    ink_contrast: float = 0.2  # ink is at least this much darker than the paper around it...
    core_contrast: float = 0.35  # ...and somewhere in each digit at least this much
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


def segment_digits(
    frame: np.ndarray, settings: SegmentSettings = SegmentSettings()
) -> list[Candidate]:
    """Digit candidates, left to right (edge.reading puts them in reading order)."""
    grey = to_grey(frame)
    if settings.ink == "light":
        grey = 255 - grey
    darkness = ink_darkness(grey, max(3, round(settings.max_stroke * grey.shape[0])))
    mask = (darkness >= round(255 * settings.ink_contrast)).astype(np.uint8)
    faint = (darkness >= round(128 * settings.ink_contrast)).astype(np.uint8)
    mask, rules = erase_rules(mask, faint, settings)
    candidates = []
    for group in _digit_groups(mask, rules, darkness, grey, settings):
        candidates.append(Candidate(group.box, _crop(group, darkness)))
    return sorted(candidates, key=lambda c: (c.box[0], c.box[1]))


def to_grey(frame: np.ndarray) -> np.ndarray:
    """A uint8 grey image from a grey, BGR or BGRA frame; FrameError names what is wrong."""
    if not isinstance(frame, np.ndarray):
        raise FrameError(f"a frame must be a numpy array, got {type(frame).__name__}")
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


def ink_darkness(grey: np.ndarray, max_stroke_px: int) -> np.ndarray:
    """0 where the page is as bright as the paper around it, 255 where it is black (uint8).

    The paper's brightness is the grey image with every dark feature narrower than
    `max_stroke_px` closed over, smoothed; worked out at a quarter size, which is plenty for
    light that changes slowly and makes it cheap on a Pi.
    """
    h, w = grey.shape
    factor = 4 if min(h, w) >= 128 else 1
    small = cv2.resize(grey, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
    size = 2 * (max_stroke_px // (2 * factor)) + 3  # odd, wider than the widest stroke
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    paper = cv2.blur(paper, (size, size))
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    smooth = cv2.GaussianBlur(grey, (3, 3), 0)  # sensor noise and JPEG ringing
    darkness = 255 - cv2.divide(smooth, np.maximum(paper, 1), scale=255)
    # Where there is hardly any light (a dark table, a black frame) the ratio is noise, not ink.
    darkness[paper < 40] = 0
    return darkness


def erase_rules(
    mask: np.ndarray, faint: np.ndarray, settings: SegmentSettings
) -> tuple[np.ndarray, np.ndarray]:
    """The ink mask without long straight near-horizontal lines (printed rules, paper edges),
    and the band that was erased (1 on a rule).

    Rules are looked for in `faint`, a more sensitive ink mask, where a rule that is only
    patchily dark enough to be ink is still one line; erasing it there leaves no stray dashes
    to cling to the digits. Where a digit's stroke crosses a rule, the gap is closed again.
    """
    h, w = mask.shape
    # Found at half size (a quarter of the pixels to vote) on ink thickened up and down, so a
    # thin rule tilted between Hough's one-degree steps still reads as one line.
    small = cv2.resize(faint, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    small = cv2.dilate((small > 0).astype(np.uint8), np.ones((3, 1), np.uint8))
    length = settings.min_rule * w / 2
    segments = cv2.HoughLinesP(
        small, 1, np.pi / 180, threshold=int(length / 2), minLineLength=length, maxLineGap=2
    )
    rules = np.zeros_like(mask)
    if segments is None:
        return mask, rules
    max_slope = np.tan(np.radians(settings.max_rule_tilt_deg))
    found: list[tuple[float, float, int]] = []
    for x0, y0, x1, y1 in 2 * segments.reshape(-1, 4):  # OpenCV 4 adds a middle axis, 5 not
        if abs(y1 - y0) > max_slope * abs(x1 - x0):
            continue  # too steep for a rule
        mid_x, mid_y = (x0 + x1) / 2, (y0 + y1) / 2
        if any(abs(mid_y - (a * mid_x + b)) <= width / 2 + 2 for a, b, width in found):
            continue  # another piece of a rule already found
        rule = _fit_rule(faint, (x0, y0), (x1, y1))
        if rule is not None and abs(rule[0]) <= max_slope:
            found.append(rule)
    if not found:
        return mask, rules
    for slope, intercept, width in found:
        # Across the whole frame: Hough's segment stops short where the rule fades.
        ends = (0, round(intercept)), (w - 1, round(intercept + slope * (w - 1)))
        cv2.line(rules, *ends, 1, width + 1)
    widest = max(width for _, _, width in found) + 2
    kept = mask & (1 - rules)
    # A stroke crossing a rule has ink right above and below the erased band: bridge it.
    bridge = cv2.getStructuringElement(cv2.MORPH_RECT, (1, widest + 4))
    return kept | (cv2.morphologyEx(kept, cv2.MORPH_CLOSE, bridge) & rules), rules


def _fit_rule(
    mask: np.ndarray, start: tuple[int, int], end: tuple[int, int]
) -> tuple[float, float, int] | None:
    """Slope, intercept (y = slope * x + intercept) and pen width of the rule Hough found;
    None when too little ink lies along it to fit.

    Hough's angle is quantized to a degree, 10 px off across a frame; a least-squares fit to
    the ink near the segment is exact. Digit strokes crossing the rule are outliers, dropped,
    and the width is the typical ink run across the line, which a digit touching it hardly moves.
    """
    (x0, y0), (x1, y1) = start, end
    left, top = min(x0, x1), max(min(y0, y1) - 5, 0)
    around = mask[top : max(y0, y1) + 6, left : max(x0, x1) + 1]
    near = np.zeros_like(around)
    cv2.line(near, (x0 - left, y0 - top), (x1 - left, y1 - top), 1, 9)
    ys, xs = np.nonzero(near & around)
    if len(xs) < 10:
        return None
    xs, ys = xs + left, ys + top
    slope, intercept = _least_squares_line(xs, ys)
    residual = np.abs(ys - (slope * xs + intercept))
    on_rule = residual <= max(1.5, 2.5 * float(np.median(residual)))
    slope, intercept = _least_squares_line(xs[on_rule], ys[on_rule])
    per_column = np.bincount(xs[on_rule])
    return slope, intercept, int(np.median(per_column[per_column > 0]))


def _least_squares_line(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    """y = slope * x + intercept through the points (np.polyfit's answer at a fifth the cost)."""
    x_mean, y_mean = xs.mean(), ys.mean()
    dx = xs - x_mean
    slope = float((dx * (ys - y_mean)).sum() / max(float((dx * dx).sum()), 1e-9))
    return slope, float(y_mean - slope * x_mean)


@dataclass
class _Group:
    """Connected components believed to be one digit."""

    labels: list[int]
    x0: int
    y0: int
    x1: int  # exclusive
    y1: int
    area: int
    mask: np.ndarray | None = None  # set once the group is kept, cut to the box

    @property
    def box(self) -> Box:
        return self.x0, self.y0, self.x1 - self.x0, self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def absorb(self, other: "_Group") -> None:
        self.labels += other.labels
        self.x0, self.y0 = min(self.x0, other.x0), min(self.y0, other.y0)
        self.x1, self.y1 = max(self.x1, other.x1), max(self.y1, other.y1)
        self.area += other.area


def _digit_groups(
    mask: np.ndarray,
    rules: np.ndarray,
    darkness: np.ndarray,
    grey: np.ndarray,
    settings: SegmentSettings,
) -> list[_Group]:
    """Connected ink, pieces of one digit merged, minus everything that cannot be a digit."""
    frame_h, frame_w = mask.shape
    # Ink a few pixels apart is linked: a fine pen's line breaks up where it is fainter than
    # the threshold. Gaps between neighbouring digits are wider than this.
    reach = int(_LINK_GAP * frame_h / 2)  # two pieces each grown by `reach` meet
    linked = cv2.dilate(mask, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(linked, connectivity=8)
    labels *= mask  # each piece keeps its own pixels, not the linking margin
    areas = np.bincount(labels.ravel(), minlength=count)
    groups = []
    for label, (x, y, w, h, _) in enumerate(stats[1:count].tolist(), start=1):
        if areas[label] < _SPECK_AREA:
            continue
        # The linked box is the ink's box grown by `reach`; ink that close to the frame's
        # edge counts as touching it.
        x0, y0 = (x + reach if x > 0 else 0), (y + reach if y > 0 else 0)
        x1 = x + w - reach if x + w < frame_w else frame_w
        y1 = y + h - reach if y + h < frame_h else frame_h
        groups.append(_Group([label], x0, y0, x1, y1, int(areas[label])))
    groups = _merge_fragments(groups, rules, settings)
    core = round(255 * settings.core_contrast)
    kept = []
    for group in groups:
        if not settings.min_height <= group.height <= settings.max_height * frame_h:
            continue
        if group.width > settings.max_aspect * group.height:
            continue
        if group.x0 == 0 or group.y0 == 0 or group.x1 == frame_w or group.y1 == frame_h:
            continue  # cut off by the frame's edge: a partial digit reads as a wrong one
        box = np.s_[group.y0 : group.y1, group.x0 : group.x1]
        group.mask = np.isin(labels[box], group.labels)
        if darkness[box][group.mask].max() < core:
            continue  # faint smudge, pencil ghost, shadow edge
        if stroke_width(group.mask) > 0.6 * group.height:
            continue  # a solid blob (a pen cap, a finger's shadow), not a written stroke
        if not _on_paper(grey, group):
            continue  # the outline of a dark object, or the gaps in a bright one
        kept.append(group)
    return kept


def _on_paper(grey: np.ndarray, group: _Group) -> bool:
    """Whether the page between the strokes is about as bright as the page around the box.

    The paper estimate closes over anything up to the widest pen stroke, so of a dark object
    larger than that (a coin, a phone) only the outline reads as ink, and can look like a 0.
    """
    assert group.mask is not None
    between = cv2.dilate(group.mask.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    if between.sum() < 0.1 * between.size:
        return True  # a "1" fills its own box: nothing between the strokes to compare
    h, w = grey.shape
    margin = max(3, group.height // 6)
    y0, x0 = max(group.y0 - margin, 0), max(group.x0 - margin, 0)
    around = grey[y0 : min(group.y1 + margin, h), x0 : min(group.x1 + margin, w)]
    outside = np.ones(around.shape, bool)
    outside[group.y0 - y0 : group.y1 - y0, group.x0 - x0 : group.x1 - x0] = False
    inside = grey[group.y0 : group.y1, group.x0 : group.x1][between]
    ratio = float(np.median(inside)) / max(float(np.median(around[outside])), 1.0)
    return 0.6 <= ratio <= 1.6  # wide enough for a shadow's edge across the box


def _merge_fragments(
    groups: list[_Group], rules: np.ndarray, settings: SegmentSettings
) -> list[_Group]:
    """Merge the pieces of one digit until no two pieces belong together.

    Only a piece that could be a digit's body takes others in: a paper edge or a shadow running
    off the frame would otherwise swallow every digit near it.
    """
    frame_h, frame_w = rules.shape

    def can_absorb(group: _Group) -> bool:
        inside = group.x0 > 0 and group.y0 > 0 and group.x1 < frame_w and group.y1 < frame_h
        return inside and group.height <= settings.max_height * frame_h

    merged = True
    while merged:
        merged = False
        groups.sort(key=lambda g: g.area, reverse=True)
        for i, big in enumerate(groups):
            if not can_absorb(big):
                continue
            for j in range(len(groups) - 1, i, -1):
                if _same_digit(big, groups[j], rules):
                    big.absorb(groups.pop(j))
                    merged = True
    return groups


def _same_digit(big: _Group, small: _Group, rules: np.ndarray) -> bool:
    """Pieces one above the other (a rule erased through a 7, a 5's flag written apart), or a
    small piece beside or in a big one (the open end of a 0). Pieces side by side at the same
    height are never merged unless one is small: that is what neighbouring digits look like.
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
    return (
        small.area < 0.5 * big.area
        and small.height < 0.5 * big.height
        and x_overlap >= -0.15 * big.height
        and y_overlap >= -0.1 * big.height
    )


def _blank_rows_between(a: _Group, b: _Group, rules: np.ndarray) -> int:
    """Rows of paper between two pieces one above the other, not counting an erased rule's
    rows: a rule erased through a digit leaves a gap the writer did not."""
    upper, lower = (a, b) if a.y0 < b.y0 else (b, a)
    column = (max(a.x0, b.x0) + min(a.x1, b.x1)) // 2  # middle of their common columns, or gap
    return int(np.count_nonzero(rules[upper.y1 : lower.y0, column] == 0))


def stroke_width(mask: np.ndarray) -> float:
    """Typical pen width in pixels of the shapes in a boolean mask (0 for an empty mask).

    Twice the distance to the background along the strokes' middle, minus the centre pixel.
    """
    padded = np.pad(mask.astype(np.uint8), 1)
    distance = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_5)
    ridge = (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8))) & (distance > 0)
    if not ridge.any():
        return 0.0
    return max(1.0, 2.0 * float(np.median(distance[ridge])) - 1.0)


def _crop(group: _Group, darkness: np.ndarray) -> np.ndarray:
    """The group's ink, white on black with full-strength strokes, MNIST-formatted."""
    assert group.mask is not None
    h, w = darkness.shape
    pad = 2  # keep the soft edge the threshold cut off; MNIST's strokes have one
    y0, x0 = max(group.y0 - pad, 0), max(group.x0 - pad, 0)
    y1, x1 = min(group.y1 + pad, h), min(group.x1 + pad, w)
    own = np.zeros((y1 - y0, x1 - x0), np.uint8)
    top, left = group.y0 - y0, group.x0 - x0
    own[top : top + group.height, left : left + group.width] = group.mask
    support = cv2.dilate(own, np.ones((2 * pad + 1, 2 * pad + 1), np.uint8))
    ink = darkness[y0:y1, x0:x1].astype(np.float32) * support
    # Pencil and a bright pen differ in darkness, not in what they wrote: scale so the stroke's
    # core is full white, like MNIST's.
    full = float(np.percentile(ink[own > 0], 60))
    ink = np.clip(ink * (255.0 / max(full, 1.0)), 0, 255).astype(np.uint8)
    return to_mnist_crop(ink)


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
    width = pen_width(ink) * scale
    if 0 < width < _THINNEST_PEN:
        ink = _tight(_thicken(ink, (_MEDIAN_PEN - width) / scale))
        scale = _BOX / max(ink.shape)
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    shrinking = scale < 1
    small = cv2.resize(ink, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    mass = small.astype(np.float64)
    total = mass.sum()
    ys, xs = np.indices(small.shape)
    shift = np.float32(
        [
            [1, 0, _CENTRE - (xs * mass).sum() / total],
            [0, 1, _CENTRE - (ys * mass).sum() / total],
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


def _tight(ink: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    if len(rows) == 0:
        raise ValueError("ink is blank: there is no digit to crop")
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _thicken(ink: np.ndarray, added_px: float) -> np.ndarray:
    """The strokes about `added_px` pixels wider (grey dilation keeps the soft edge)."""
    radius = max(1, round(added_px / 2))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(np.pad(ink, radius), kernel)
