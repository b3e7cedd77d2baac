"""Camera-like frames of handwritten digits on paper, with the true box of every digit.

The finder and the reader are judged on these instead of on clean MNIST: MNIST digits become
ink (black, blue or pencil; a marker, MNIST's own pen or a fine ballpoint) on off-white paper,
possibly ruled, seen through a tilted camera (perspective), under uneven light with a soft
shadow, sometimes with the paper's edge and the table in view, then defocused, noisy and
JPEG-compressed. Those are the `plain` scenes; each other of CONDITIONS changes one thing
people meet (digits written close or touching, coloured ink, a card on a table, a sticky
note on a light desk, printed boxes and grids, chalk on a board, a dim room, a page turned on
the desk). Everything is drawn from
the caller's random generator, so a seed gives the same scene on every machine."""

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import cv2
import numpy as np

from edge.events import Box

Range = tuple[float, float]

# What each condition's scenes show (the ranges are SceneSettings' defaults).
CONDITIONS = {
    "plain": "pen or pencil on paper, neighbouring digits 0.2-0.7 digit heights apart",
    "close": "neighbouring digits 0.0-0.1 digit heights apart",
    "touching": "neighbouring digits' strokes touch or overlap (gaps -0.2-0.0 heights)",
    "coloured-ink": "a red, blue or green pen",
    "sheet-on-table": (
        "a sheet or card with its outline in view, on a darker table, its shadow on it half"
        " the time"
    ),
    "boxes-grid": "digits in printed boxes, in comb boxes or on squared paper",
    "chalkboard": "light chalk on a dark green or black board",
    "dim": "paper at 6-15 % brightness, with noise",
    "tilted": "the paper turned 10-30 degrees",
    # (Last: each condition's scenes come from its own stream, spawned in this order.)
    "sticky-note": (
        "a yellow, pink, blue, green or orange note on a white or light desk, its shadow on it"
        " half the time"
    ),
}

# 30 MNIST test digits of each class (seed 0), so the demo runs where MNIST is not installed.
# MNIST is by Yann LeCun, Corinna Cortes and Christopher Burges, licensed CC BY-SA 3.0.
# Made with: rng = np.random.default_rng(0); test_indices = sorted(concatenation over k of
# rng.choice(np.flatnonzero(y_test == k), 30, replace=False)); np.savez_compressed(path,
# images=x_test[test_indices], labels=y_test[test_indices], test_indices=test_indices).
SAMPLE_DIGITS = Path(__file__).parent / "data" / "mnist_sample.npz"

# BGR colours. Ink and paper are what a phone photo of a school notebook shows.
_INKS = {
    "black gel pen": (35.0, 30.0, 30.0),
    "blue ballpoint": (125.0, 55.0, 25.0),
    "pencil": (95.0, 95.0, 95.0),  # about half the contrast of a pen
}
# Saturated pens: a red pen is dark only in its blue and green channels, so a plain grey
# conversion loses much of it (the finder reads each pixel's darkest channel).
_COLOURED_INKS = {
    "red pen": (40.0, 40.0, 200.0),
    "blue pen": (170.0, 75.0, 25.0),
    "green pen": (55.0, 130.0, 30.0),
}
_PAPER = (226.0, 236.0, 242.0)
_CARD_TINTS = ((0.72, 0.95, 1.0), (1.0, 0.93, 0.86))  # a yellow note, a light blue index card
_TABLES = ((40.0, 55.0, 75.0), (95.0, 90.0, 88.0), (20.0, 20.0, 20.0))
_CARD_TABLES = (*_TABLES, (120.0, 118.0, 115.0))  # and a mid-grey desk
# Sticky notes' colours (times the paper's, BGR): yellow, pink, blue, green, orange; in their
# darkest channel they are as dark as a grey table, and darker than the desk they lie on.
_NOTE_TINTS = {
    "yellow": (0.5, 0.95, 1.0),
    "pink": (0.8, 0.6, 1.0),
    "blue": (1.0, 0.85, 0.6),
    "green": (0.6, 1.0, 0.7),
    "orange": (0.35, 0.72, 1.0),
}
_LIGHT_DESKS = (
    (238.0, 238.0, 236.0),
    (205.0, 205.0, 205.0),
    (150.0, 190.0, 215.0),
)  # white, grey, pale wood
_BOARDS = ((62.0, 88.0, 48.0), (38.0, 38.0, 40.0))  # a green and a black chalkboard
_CHALKS = ((228.0, 232.0, 232.0), (150.0, 225.0, 235.0))  # white and yellow chalk
_STROKE_BODY = 0.3  # MNIST grey (0-1) inside a stroke rather than on its soft edge
_PEN_STEP = 0.05  # how far down MNIST's grey an ordinary pen's cut moves to keep a stroke whole
# Of an MNIST stroke, the share a pen path must cover when drawn with the stroke's width (on
# MNIST's test digits 80% of paths do; most of the others have a loop filled in).
_FAITHFUL_PATH = 0.9
_RULE_COLOURS = ((225.0, 195.0, 160.0), (170.0, 130.0, 95.0))  # faint and dark printed rules
# Printed boxes and grids: black, grey, a pale and a dark blue print.
_PRINT_COLOURS = (
    (70.0, 70.0, 70.0),
    (150.0, 150.0, 150.0),
    (215.0, 185.0, 150.0),
    (150.0, 95.0, 55.0),
)
# How much room a printed box leaves around its digit, in digit heights: under 1 the digit
# touches or crosses the box's lines, as a hurried hand does.
_BOX_FITS = {"roomy": (1.3, 1.7), "snug": (1.08, 1.2), "touching": (0.85, 0.95)}
_TOUCH_REACH = 0.35  # touching digits slide together at most this far (digit heights)


class DigitsDoNotFit(ValueError):
    """The digits cannot all be written on the paper in view, even at the smallest size."""


_REDRAWS = 20  # draws of a random scene before digits that do not fit are an error


TALLEST_DIGIT = 0.4  # of the frame height: two rows of digits this tall still fit
SMALLEST_SCENE = 64  # px, each side: smaller leaves no room for a page with digits on it


class SceneTooSmall(ValueError):
    """A scene size below SMALLEST_SCENE on a side."""


@dataclass(frozen=True)
class SceneSettings:
    """Ranges the scene's random choices are drawn from; (low, high) pairs are inclusive."""

    width: int = 640
    height: int = 480
    digit_height: Range = (0.085, 0.23)  # of the frame height (40-110 px at 480), before tilt
    gap: Range = (0.2, 0.7)  # space between neighbouring digits, in digit heights
    stroke: Range = (0.2, 0.55)  # ink threshold on the MNIST grey: low = thick pen, high = thin
    fine_pen_prob: float = 0.25  # a ballpoint's thin line instead of MNIST's broad stroke...
    fine_pen: Range = (0.0025, 0.0055)  # ...this wide, as a fraction of the frame width
    tilt_deg: float = 8.0  # rotation of the paper in the image, each way
    perspective: float = 0.07  # how far the frame corners move, as a fraction of the frame
    light: float = 0.4  # strength of the brightness gradient and vignette (0 = flat)
    shadow_prob: float = 0.5
    # A card or note on a desk lies a little lifted (a note curls) and casts a shadow on the
    # desk beside one or two of its edges: so far off them, of the frame's short side, and so
    # dark (of the desk's light).
    cast_shadow_prob: float = 0.5
    cast_shadow: Range = (0.004, 0.02)
    cast_shadow_dark: Range = (0.15, 0.45)
    rules_prob: float = 0.5
    paper_edge_prob: float = 0.3
    blur_sigma: Range = (0.0, 1.4)
    noise_sigma: Range = (1.0, 6.0)  # grey levels
    jpeg_quality: Range = (50.0, 95.0)
    # The conditions' own ranges.
    close_gap: Range = (0.0, 0.1)  # "close": digit heights between neighbours' boxes
    touching_gap: Range = (-0.2, 0.0)  # "touching": boxes overlap, then strokes are made to meet
    steep_tilt_deg: Range = (10.0, 30.0)  # "tilted": the paper's turn, either way
    dim_brightness: Range = (0.06, 0.15)  # "dim": the paper's grey level, of full white
    dim_noise_sigma: Range = (1.5, 4.0)  # "dim": sensor noise, grey levels

    def __post_init__(self) -> None:
        if self.width < SMALLEST_SCENE or self.height < SMALLEST_SCENE:
            raise SceneTooSmall(
                f"scene size {self.width}x{self.height} is below the "
                f"{SMALLEST_SCENE}x{SMALLEST_SCENE} minimum"
            )
        ranges = ("digit_height", "gap", "stroke", "fine_pen", "blur_sigma", "noise_sigma")
        ranges += ("cast_shadow", "cast_shadow_dark")
        conditions = ("close_gap", "steep_tilt_deg", "dim_brightness", "dim_noise_sigma")
        for name in (*ranges, "jpeg_quality", *conditions):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"SceneSettings.{name} = {(low, high)}: need 0 <= low <= high")
        if not -0.5 <= self.touching_gap[0] <= self.touching_gap[1] <= 0:
            raise ValueError(
                f"SceneSettings.touching_gap = {self.touching_gap}: need -0.5 <= low <= high <= 0"
            )
        if self.dim_brightness[1] > 1:
            raise ValueError(f"SceneSettings.dim_brightness = {self.dim_brightness}: at most 1")
        if self.digit_height[1] > TALLEST_DIGIT:
            raise ValueError(
                f"SceneSettings.digit_height up to {self.digit_height[1]} of the frame height "
                f"does not fit two rows; keep it at most {TALLEST_DIGIT}"
            )


@dataclass(frozen=True)
class Scene:
    """A BGR frame and, in reading order, the true ink box and label of each digit on it; the
    condition (one of CONDITIONS) it was made in."""

    frame: np.ndarray
    boxes: tuple[Box, ...]
    labels: tuple[int, ...]
    condition: str = "plain"

    @property
    def text(self) -> str:
        return "".join(map(str, self.labels))


def sample_digits() -> tuple[np.ndarray, np.ndarray]:
    """The bundled MNIST sample: uint8 images [300, 28, 28] (white on black) and their labels."""
    with np.load(SAMPLE_DIGITS, allow_pickle=False) as sample:
        return sample["images"], sample["labels"]


def mixed_scenes(
    images: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    count: int,
    conditions: Sequence[str] = tuple(CONDITIONS),
    settings: SceneSettings = SceneSettings(),
    max_digits: int = 4,
) -> list[Scene]:
    """`count` scenes, an equal share of each condition (the earlier ones in CONDITIONS take
    the remainder), interleaved so any leading part of the list is a mix.

    Plain scenes come from `rng` itself, so they are the scenes `random_scene` gives with that
    seed; every other condition from its own generator spawned from `rng`, so a condition's
    scenes are the same whichever others are asked for.
    """
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown or not conditions:
        raise ValueError(
            f"scene conditions must be some of {', '.join(CONDITIONS)}; got {list(conditions)}"
        )
    chosen = [c for c in CONDITIONS if c in conditions]
    streams = dict(zip(CONDITIONS, [rng, *rng.spawn(len(CONDITIONS) - 1)], strict=True))
    shares = [count // len(chosen) + (i < count % len(chosen)) for i in range(len(chosen))]
    groups = [
        [
            random_scene(images, labels, streams[condition], settings, max_digits, condition)
            for _ in range(share)
        ]
        for condition, share in zip(chosen, shares, strict=True)
    ]
    return [scene for turn in zip_longest(*groups) for scene in turn if scene is not None]


def random_scene(
    images: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    settings: SceneSettings = SceneSettings(),
    max_digits: int = 4,
    condition: str = "plain",
) -> Scene:
    """A scene of 1 to `max_digits` digits picked from `images` (MNIST layout, white on black);
    at least 2 when the condition is about neighbours ("close", "touching").

    Four by default: a meter reading, a house number, a year, which is what the product reads.
    Where the digits drawn do not fit on the paper in view (a small card far off, the paper's
    edge across the view), the scene is drawn again, up to `_REDRAWS` times; then
    DigitsDoNotFit (a ValueError) is raised: settings that leave no room.
    """
    if len(images) == 0 or len(images) != len(labels):
        raise ValueError(
            f"need as many labels as images, and some: got {len(images)}, {len(labels)}"
        )
    if max_digits < 1:
        raise ValueError(f"max_digits must be at least 1, got {max_digits}")
    fewest = 2 if condition in ("close", "touching") and max_digits >= 2 else 1

    def draw() -> Scene:
        picked = rng.choice(len(images), size=int(rng.integers(fewest, max_digits + 1)))
        return render_scene(images[picked], labels[picked], rng, settings, condition)

    for _ in range(_REDRAWS - 1):
        with contextlib.suppress(DigitsDoNotFit):
            return draw()
    return draw()


def render_scene(
    digits: np.ndarray,
    labels: Sequence[int],
    rng: np.random.Generator,
    settings: SceneSettings = SceneSettings(),
    condition: str = "plain",
) -> Scene:
    """Write `digits` (uint8 [N, 28, 28], white on black) on paper and photograph them.

    Digits fill rows left to right, top to bottom (in printed boxes: one row of boxes), so the
    scene's boxes and labels follow the given order. `condition` is one of CONDITIONS. Raises
    ValueError for bad digits or labels, and DigitsDoNotFit (a ValueError) when the digits
    cannot all fit on the paper in view, even written smaller.
    """
    if digits.dtype != np.uint8 or digits.ndim != 3 or digits.shape[1:] != (28, 28):
        raise ValueError(f"digits must be uint8 [N, 28, 28], got {digits.dtype} {digits.shape}")
    if len(digits) != len(labels) or len(digits) == 0:
        raise ValueError(f"need one label per digit, and some: got {len(digits)}, {len(labels)}")
    if any(not digit.any() for digit in digits):
        raise ValueError("a digit image is blank; nothing to write")
    if condition not in CONDITIONS:
        raise ValueError(f"unknown scene condition {condition!r}: one of {', '.join(CONDITIONS)}")
    size = (settings.width, settings.height)
    board = condition == "chalkboard"
    to_frame = _camera_homography(rng, settings, steep=condition == "tilted")
    on_a_desk = condition in ("sheet-on-table", "sticky-note")
    # Otherwise paper may end in view; a board fills it.
    if on_a_desk:
        sheet: _Sheet | None = _card(rng, settings)
    elif board:
        sheet = None
    else:
        sheet = _paper_edge(rng, settings)
    layout = _layout(condition, rng, settings)
    written = _write_digits(digits, to_frame, sheet, rng, settings, layout)

    reflectance = _board(rng, settings) if board else _paper(rng, settings)
    if condition == "sheet-on-table" and rng.random() < 0.4:
        reflectance *= np.float32(_CARD_TINTS[rng.integers(len(_CARD_TINTS))])
    if condition == "sticky-note":
        reflectance *= np.float32(list(_NOTE_TINTS.values())[rng.integers(len(_NOTE_TINTS))])
    if layout.printed is not None:
        _print(reflectance, layout.printed, written, rng, settings)
    elif not board and rng.random() < settings.rules_prob:
        _rule(reflectance, rng, settings)
    ink = _ink(condition, rng)
    alpha = _chalk(written.alpha, rng) if board else written.alpha
    reflectance += alpha[..., None] * (ink - reflectance)
    if sheet is not None and not on_a_desk:
        _show_table(reflectance, sheet, rng)
    # Where the tilted frame sees past the drawn page, the page's edge pixels carry on (rules
    # stay lines, the table stays table) rather than mirroring digits into view.
    frame = cv2.warpPerspective(
        reflectance, to_frame, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    if on_a_desk:  # a textured table carried on that way would streak
        desks = _LIGHT_DESKS if condition == "sticky-note" else _CARD_TABLES
        _lay_on_table(frame, sheet, to_frame, rng, settings, desks)
    frame *= _illumination(rng, settings)[..., None]
    noise = settings.noise_sigma
    if condition == "dim":  # the paper, most of the frame, comes down to the drawn level
        frame *= rng.uniform(*settings.dim_brightness) * 255.0 / np.median(frame.mean(axis=2))
        noise = settings.dim_noise_sigma
    boxes = tuple(_ink_box(mask, to_frame, size) for mask in written.masks)
    labels = tuple(int(x) for x in labels)
    return Scene(_photograph(frame, rng, settings, noise), boxes, labels, condition)


def _camera_homography(
    rng: np.random.Generator, settings: SceneSettings, steep: bool = False
) -> np.ndarray:
    """Paper -> frame: the paper (frame-sized) turned by a small angle (or, `steep`, by
    settings.steep_tilt_deg either way) and seen at a slant."""
    w, h = settings.width, settings.height
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-settings.perspective, settings.perspective, (4, 2)) * (w, h)
    if steep:
        degrees = rng.uniform(*settings.steep_tilt_deg) * rng.choice((-1.0, 1.0))
    else:
        degrees = rng.uniform(-settings.tilt_deg, settings.tilt_deg)
    angle = np.radians(degrees)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = np.float32([w / 2, h / 2])
    seen = (corners - centre) @ rotation.T + centre + jitter
    return cv2.getPerspectiveTransform(corners, seen.astype(np.float32))


@dataclass(frozen=True)
class _Sheet:
    """Where the paper ends, in paper pixels; beyond it the table shows."""

    left: float
    top: float
    right: float
    bottom: float


def _paper_edge(rng: np.random.Generator, settings: SceneSettings) -> _Sheet | None:
    """Sometimes one edge of the paper inside the frame."""
    if rng.random() >= settings.paper_edge_prob:
        return None
    w, h = settings.width, settings.height
    side = ("left", "right", "top", "bottom")[rng.integers(4)]
    span = w if side in ("left", "right") else h
    depth = rng.uniform(0.08, 0.15) * span
    return {
        "left": _Sheet(depth, 0, w, h),
        "right": _Sheet(0, 0, w - depth, h),
        "top": _Sheet(0, depth, w, h),
        "bottom": _Sheet(0, 0, w, h - depth),
    }[side]


def _card(rng: np.random.Generator, settings: SceneSettings) -> _Sheet:
    """A card or half sheet lying on the table, all four edges in view."""
    w, h = settings.width, settings.height
    width, height = rng.uniform(0.45, 0.8) * w, rng.uniform(0.4, 0.75) * h
    left = rng.uniform(0.04 * w, 0.96 * w - width)
    top = rng.uniform(0.04 * h, 0.96 * h - height)
    return _Sheet(left, top, left + width, top + height)


@dataclass(frozen=True)
class _Printed:
    """Lines printed on the paper before anyone wrote on it."""

    kind: str  # "boxes" (a square per digit), "comb" (a strip of cells), "squared" (grid paper)
    cell: float  # a cell's height in digit heights (squared paper: the grid's pitch)
    aspect: float  # a cell's width / height
    spacing: float  # boxes: the space between boxes, in cell widths
    ticks: bool  # comb: the cells' walls are short ticks up from the bottom line, no top line
    colour: tuple[float, float, float]
    thickness: int


@dataclass(frozen=True)
class _Layout:
    """How a condition lays the digits out."""

    gap: Range  # between neighbouring digits' boxes, in digit heights
    touching: bool = False  # each digit slides left until its ink meets its neighbour's
    printed: _Printed | None = None
    # Gaps between the digits' ink rather than their MNIST boxes, which hold faint grey a pen's
    # cut drops (plain scenes keep the boxes, so that they stay as they were).
    ink_gaps: bool = True


def _layout(condition: str, rng: np.random.Generator, settings: SceneSettings) -> _Layout:
    if condition == "close":
        return _Layout(settings.close_gap)
    if condition == "touching":
        return _Layout(settings.touching_gap, touching=True)
    if condition == "boxes-grid":
        kind = ("boxes", "comb", "squared")[rng.integers(3)]
        if kind == "squared":
            cell = rng.uniform(0.45, 0.8)
        else:
            cell = rng.uniform(*_BOX_FITS[("roomy", "snug", "touching")[rng.integers(3)]])
        printed = _Printed(
            kind,
            cell,
            aspect=1.0 if kind != "comb" else rng.uniform(0.75, 1.0),
            spacing=rng.uniform(0.15, 0.6) if kind == "boxes" else 0.0,
            ticks=kind == "comb" and rng.random() < 0.4,
            colour=_PRINT_COLOURS[rng.integers(len(_PRINT_COLOURS))],
            thickness=int(rng.integers(1, 4)),
        )
        return _Layout(settings.gap, printed=printed)
    return _Layout(settings.gap, ink_gaps=condition != "plain")


@dataclass(frozen=True)
class _Written:
    """The digits on the page: ink opacity, one ink mask per digit, the digit height they were
    written at, and the cells they were written in (printed boxes; paper pixels l, t, r, b)."""

    alpha: np.ndarray
    masks: list[np.ndarray]
    height: float
    cells: list[tuple[float, float, float, float]]


def _write_digits(
    digits: np.ndarray,
    to_frame: np.ndarray,
    sheet: _Sheet | None,
    rng: np.random.Generator,
    settings: SceneSettings,
    layout: _Layout,
) -> _Written:
    """Lay the digits out in rows (or in a row of printed cells) on the paper."""
    w, h = settings.width, settings.height
    area = _writable_area(to_frame, sheet, settings)
    left, top, right, bottom = _in_view(area, to_frame, sheet, settings)
    pen = rng.uniform(*settings.stroke)
    fine = rng.uniform(*settings.fine_pen) * w if rng.random() < settings.fine_pen_prob else None
    sizes = rng.uniform(0.9, 1.1, len(digits))
    height = rng.uniform(*settings.digit_height) * h
    in_cells = layout.printed is not None and layout.printed.kind != "squared"
    # Many digits at a large size need more rows than fit: write smaller, as a person would.
    while True:
        gap = rng.uniform(*layout.gap) * height
        glyphs = [
            _glyph(digit, height * size, pen, fine)
            for digit, size in zip(digits, sizes, strict=True)
        ]
        if layout.ink_gaps:
            glyphs = [inked_part(glyph) for glyph in glyphs]
        if in_cells:
            cell_h = layout.printed.cell * height
            cell_w = max(layout.printed.aspect * cell_h, 1.0)
            spacing = layout.printed.spacing * cell_w
            strip = len(glyphs) * (cell_w + spacing) - spacing
            fits = strip <= right - left and cell_h <= bottom - top
        else:
            rows = _rows([glyph.shape[1] for glyph in glyphs], gap, right - left)
            pitch = 1.6 * height
            fits = len(rows) * pitch <= bottom - top
        if fits:
            break
        if height * 0.85 < settings.digit_height[0] * h:
            raise DigitsDoNotFit(
                f"{len(digits)} digits at least {settings.digit_height[0] * h:.0f} px high do not "
                f"fit in a {w}x{h} scene; pass fewer digits or a smaller SceneSettings.digit_height"
            )
        height *= 0.85

    alpha = np.zeros((h, w), np.float32)
    masks: list[np.ndarray] = []
    cells: list[tuple[float, float, float, float]] = []
    if in_cells:
        x0 = rng.uniform(left, max(left, right - strip))
        y0 = rng.uniform(top, max(top, bottom - cell_h))
        for index, glyph in enumerate(glyphs):
            cx = x0 + index * (cell_w + spacing)
            cells.append((cx, y0, cx + cell_w, y0 + cell_h))
            # Anywhere in its box; a digit bigger than its box crosses the lines.
            gx = round(cx + (cell_w - glyph.shape[1]) * rng.uniform(0.3, 0.7))
            gy = round(y0 + (cell_h - glyph.shape[0]) * rng.uniform(0.3, 0.7))
            masks.append(_lay(alpha, glyph, gx, gy))
        return _Written(alpha, masks, height, cells)

    y0 = rng.uniform(top, bottom - len(rows) * pitch) + 0.2 * height
    for row_number, row in enumerate(rows):
        row_width = sum(glyphs[i].shape[1] for i in row) + gap * (len(row) - 1)
        x = rng.uniform(left, max(left, right - row_width))
        baseline = y0 + row_number * pitch + height
        before = None
        for index in row:
            glyph = glyphs[index]
            gy = round(baseline - glyph.shape[0] + rng.uniform(-0.08, 0.08) * height)
            gx = round(x)
            if layout.touching and before is not None:
                gx = touching_x(before, glyph, gx, gy, height)
                x = float(gx)
            masks.append(_lay(alpha, glyph, gx, gy))
            before = (glyph, gx, gy)
            x += glyph.shape[1] + gap
    return _Written(alpha, masks, height, cells)


def inked_part(glyph: np.ndarray) -> np.ndarray:
    """The glyph (float ink opacity, 0-1) cut to its ink and the ink's soft edge (above 0.05)."""
    ys, xs = np.nonzero(glyph > 0.05)
    return glyph[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _lay(alpha: np.ndarray, glyph: np.ndarray, gx: int, gy: int) -> np.ndarray:
    """Add a glyph's ink to the page (overlapping ink merges) and return its own ink mask."""
    page = alpha[gy : gy + glyph.shape[0], gx : gx + glyph.shape[1]]
    np.maximum(page, glyph, out=page)
    mask = np.zeros(alpha.shape, bool)
    mask[gy : gy + glyph.shape[0], gx : gx + glyph.shape[1]] = glyph > 0.5
    return mask


def touching_x(
    before: tuple[np.ndarray, int, int], glyph: np.ndarray, gx: int, gy: int, height: float
) -> int:
    """Where a glyph at (gx, gy) goes for its ink to meet the ink of the glyph `before` it.

    Glyphs are float ink opacity [h, w] (ink where > 0.5) placed by their top-left corner;
    `before` is (glyph, x, y). Returns gx if the two already meet, else the first x further
    left where a row of the two touches (within _TOUCH_REACH x `height` px of gx, and never
    past the left third of `before`). Used by the "touching" scenes and by the reader's training
    strings, so both join digits the same way."""
    left_glyph, bx, by = before
    first, last = max(by, gy), min(by + left_glyph.shape[0], gy + glyph.shape[0])
    if first >= last:
        return gx
    theirs = left_glyph[first - by : last - by] > 0.5
    ours = glyph[first - gy : last - gy] > 0.5
    both = theirs.any(axis=1) & ours.any(axis=1)
    if not both.any():
        return gx
    their_right = bx + theirs.shape[1] - 1 - np.argmax(theirs[:, ::-1], axis=1)
    our_left = np.argmax(ours, axis=1)
    touch = int((their_right - our_left)[both].max())  # one pixel of ink in common
    lowest = max(round(gx - _TOUCH_REACH * height), bx + left_glyph.shape[1] // 3)
    return max(min(gx, touch), lowest)


def _rows(widths: list[int], gap: float, room: float) -> list[list[int]]:
    """Indices of the glyphs on each row when rows are filled left to right."""
    rows: list[list[int]] = [[]]
    used = 0.0
    for index, width in enumerate(widths):
        if rows[-1] and used + gap + width > room:
            rows.append([])
            used = 0.0
        used += (gap if rows[-1] else 0.0) + width
        rows[-1].append(index)
    return rows


Rect = tuple[float, float, float, float]  # left, top, right, bottom


def _writable_area(to_frame: np.ndarray, sheet: _Sheet | None, settings: SceneSettings) -> Rect:
    """The part of the paper that lands well inside the frame and on the paper: l, t, r, b."""
    w, h = settings.width, settings.height
    inset = np.float32(
        [[0.08 * w, 0.08 * h], [0.92 * w, 0.08 * h], [0.92 * w, 0.92 * h], [0.08 * w, 0.92 * h]]
    )
    on_paper = cv2.perspectiveTransform(inset[None], np.linalg.inv(to_frame))[0]
    left = max(on_paper[0, 0], on_paper[3, 0])
    right = min(on_paper[1, 0], on_paper[2, 0])
    top = max(on_paper[0, 1], on_paper[1, 1])
    bottom = min(on_paper[2, 1], on_paper[3, 1])
    limits = _sheet_limits(sheet, settings)
    return (
        max(left, limits[0]),
        max(top, limits[1]),
        min(right, limits[2]),
        min(bottom, limits[3]),
    )


def _sheet_limits(sheet: _Sheet | None, settings: SceneSettings) -> Rect:
    """How far writing may go: a margin off each edge of the sheet in view, else unlimited."""
    if sheet is None:
        return -np.inf, -np.inf, np.inf, np.inf
    w, h = settings.width, settings.height
    margin = 0.05 * min(w, h)
    return (
        sheet.left + margin if sheet.left > 0 else -np.inf,
        sheet.top + margin if sheet.top > 0 else -np.inf,
        sheet.right - margin if sheet.right < w else np.inf,
        sheet.bottom - margin if sheet.bottom < h else np.inf,
    )


def _in_view(
    area: Rect, to_frame: np.ndarray, sheet: _Sheet | None, settings: SceneSettings
) -> Rect:
    """`area` if all of it lands inside the frame's inner 84 % and it is at least half as tall,
    else the largest rectangle about its centre that lands inside and keeps off the sheet's
    edges. On a page turned far, the bounds `_writable_area` takes from the corners are too
    flat or partly out of view; within the plain scenes' 8 degrees they never are, so those
    scenes are as they were."""
    w, h = settings.width, settings.height
    limits = _sheet_limits(sheet, settings)
    low_x, low_y = max(limits[0], 2.0), max(limits[1], 2.0)
    high_x, high_y = min(limits[2], w - 2.0), min(limits[3], h - 2.0)

    def seen_whole(rect: Rect) -> bool:
        left, top, right, bottom = rect
        if left < low_x or top < low_y or right > high_x or bottom > high_y:
            return False
        corners = np.float32([[left, top], [right, top], [right, bottom], [left, bottom]])
        seen = cv2.perspectiveTransform(corners[None], to_frame)[0]
        inside = (seen >= (0.08 * w - 1, 0.08 * h - 1)) & (seen <= (0.92 * w + 1, 0.92 * h + 1))
        return bool(inside.all())

    if seen_whole(area) and area[3] - area[1] >= 0.42 * h:
        return area
    cx, cy = (area[0] + area[2]) / 2, (area[1] + area[3]) / 2
    best, most = area, 0.0
    for half_width in np.linspace(0.04, 0.5, 24) * w:
        fits, fails = 0.0, 0.5 * h  # the half height: bisected
        for _ in range(12):
            half_height = (fits + fails) / 2
            rect = (cx - half_width, cy - half_height, cx + half_width, cy + half_height)
            fits, fails = (half_height, fails) if seen_whole(rect) else (fits, half_height)
        if half_width * fits > most:
            best, most = (cx - half_width, cy - fits, cx + half_width, cy + fits), half_width * fits
    return best


def _glyph(digit: np.ndarray, height: float, pen: float, fine: float | None) -> np.ndarray:
    """Ink opacity of one MNIST digit written `height` px tall; `pen` sets the stroke width,
    or with a fine pen, `fine` px wide, along the middle of the stroke."""
    x, y, w, h = cv2.boundingRect(digit)  # of the pixels that are not 0
    tight = digit[y : y + h, x : x + w].astype(np.float32) / 255.0
    scale = height / tight.shape[0]
    size = (max(1, round(tight.shape[1] * scale)), max(1, round(height)))
    smooth = cv2.resize(tight, size, interpolation=cv2.INTER_CUBIC)
    # MNIST's soft grey edge becomes a pen's crisp one; where along the edge the cut falls sets
    # how thick the pen is.
    alpha = np.clip((smooth - unbroken_pen(smooth, pen)) / 0.15 + 0.5, 0.0, 1.0)
    if fine is None:
        return alpha
    path = pen_path(smooth)
    if path is None:
        return alpha  # no fine-pen path gives this digit back: the pen in hand writes it
    width = max(1, round(fine))
    nib = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))
    line = cv2.dilate(path, nib).astype(np.float32)
    return cv2.GaussianBlur(line, (0, 0), 0.6)  # the anti-aliased edge a lens gives it


def unbroken_pen(stroke: np.ndarray, pen: float) -> float:
    """The cut on an MNIST-style stroke image (float, 0-1) nearest `pen` that leaves its
    strokes whole. A thin pen cuts high on MNIST's grey, and where MNIST's own line was faint
    that cuts it into dots and dashes, which no pen writes: such a digit gets a lower cut."""
    whole = _pieces(stroke > _STROKE_BODY)
    while pen > _STROKE_BODY and _pieces(stroke > pen) > whole:
        pen = max(_STROKE_BODY, pen - _PEN_STEP)
    return pen


def _pieces(ink: np.ndarray) -> int:
    return cv2.connectedComponents(ink.view(np.uint8), connectivity=8)[0] - 1


def pen_path(stroke: np.ndarray) -> np.ndarray | None:
    """The path a fine pen takes to write an MNIST-style stroke image (float, 0-1, any size):
    uint8 0/1, one pixel wide, as unbroken as the stroke whatever its thickness. None when
    no path gives the digit back: where MNIST's broad pen filled a loop in (a 6, a 9), the
    centre line of the blob loses the loop, and a 6 drawn as a "C" is no longer a 6.

    Smoothed first (by 3% of the height): the centre line of MNIST's ragged outline grows
    spurs a pen never drew.
    """
    body = cv2.GaussianBlur(stroke, (0, 0), 0.03 * stroke.shape[0]) > _STROKE_BODY
    path = _centre_line(body.astype(np.uint8))
    # Faithful when the path, drawn again with the stroke's own pen, covers the stroke.
    width = round(stroke_width(body)) + 2
    redrawn = cv2.dilate(path, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width)))
    covered = np.count_nonzero(redrawn[body]) / max(np.count_nonzero(body), 1)
    return path if covered >= _FAITHFUL_PATH else None


def _centre_line(shape: np.ndarray) -> np.ndarray:
    """The one-pixel, connected centre line of the strokes in a uint8 0/1 image: Zhang and Suen's
    thinning (1984), which peels the outline away without ever breaking a stroke or opening a
    loop, the way a pen's path is one unbroken line."""
    line = shape
    while True:
        before = line
        for deletable in _ZHANG_SUEN:
            code = cv2.filter2D(line, -1, _NEIGHBOURS, borderType=cv2.BORDER_CONSTANT)
            line = line & ~deletable[code]
        if np.array_equal(line, before):
            return line


def _zhang_suen_tables() -> tuple[np.ndarray, np.ndarray]:
    """For each of the 256 neighbourhoods (bit k set: neighbour k, clockwise from north, is
    ink), whether the centre pixel goes in the first and in the second sub-iteration."""
    first, second = np.zeros(256, np.uint8), np.zeros(256, np.uint8)
    for code in range(256):
        p = [(code >> k) & 1 for k in range(8)]  # north, NE, east, SE, south, SW, west, NW
        n, e, s, w = p[0], p[2], p[4], p[6]
        ends = sum(p[k] == 0 and p[(k + 1) % 8] == 1 for k in range(8))
        peelable = 2 <= sum(p) <= 6 and ends == 1
        first[code] = peelable and n * e * s == 0 and e * s * w == 0
        second[code] = peelable and n * e * w == 0 and n * s * w == 0
    return first, second


_ZHANG_SUEN = _zhang_suen_tables()
# Correlation weights that sum a pixel's neighbours into that code (fits in uint8: 0-255).
_NEIGHBOURS = np.float32([[128, 1, 2], [64, 0, 4], [32, 16, 8]])


def stroke_width(mask: np.ndarray) -> float:
    """Typical pen width in pixels of the shapes in a boolean mask (0 for an empty mask): twice
    the distance to the background along the strokes' middle, minus the centre pixel."""
    shapes = np.ascontiguousarray(mask, dtype=bool).view(np.uint8)
    padded = cv2.copyMakeBorder(shapes, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    distance = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_5)
    ridge = (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8))) & (distance > 0)
    along = distance[ridge]
    if along.size == 0:
        return 0.0
    return max(1.0, 2.0 * float(np.median(along)) - 1.0)


def _paper(rng: np.random.Generator, settings: SceneSettings) -> np.ndarray:
    """Off-white BGR paper with a faint blotchy texture."""
    w, h = settings.width, settings.height
    tint = np.array(_PAPER, np.float32) * rng.uniform(0.92, 1.04)
    blotches = cv2.resize(rng.normal(0, 3, (h // 16, w // 16)).astype(np.float32), (w, h))
    return np.clip(tint + blotches[..., None], 0, 255).astype(np.float32)


def _rule(paper: np.ndarray, rng: np.random.Generator, settings: SceneSettings) -> None:
    """Printed horizontal lines every ~1.3 digit heights, faint or dark, drawn in place."""
    colour = _RULE_COLOURS[rng.integers(len(_RULE_COLOURS))]
    pitch = rng.uniform(0.7, 1.0) * settings.digit_height[1] * settings.height
    thickness = int(rng.integers(1, 4))
    # Not on the page's first or last rows, which the warp would smear across the border.
    for y in np.arange(rng.uniform(4, pitch + 4), settings.height - 4, pitch):
        cv2.line(paper, (0, int(y)), (settings.width, int(y)), colour, thickness, cv2.LINE_AA)


def _print(
    paper: np.ndarray,
    printed: _Printed,
    written: _Written,
    rng: np.random.Generator,
    settings: SceneSettings,
) -> None:
    """Draw printed boxes, a comb strip or a squared grid on the paper, in place."""
    colour, thick = printed.colour, printed.thickness
    w, h = settings.width, settings.height

    def line(x0: float, y0: float, x1: float, y1: float) -> None:
        start, end = (round(x0), round(y0)), (round(x1), round(y1))
        cv2.line(paper, start, end, colour, thick, cv2.LINE_AA)

    if printed.kind == "squared":
        pitch = printed.cell * written.height
        # Not on the page's first or last rows, which the warp would smear across the border.
        for x in np.arange(rng.uniform(4, pitch + 4), w - 4, pitch):
            line(x, 4, x, h - 5)
        for y in np.arange(rng.uniform(4, pitch + 4), h - 4, pitch):
            line(4, y, w - 5, y)
        return
    cells = written.cells
    if printed.kind == "boxes":
        for left, top, right, bottom in cells:
            cv2.rectangle(
                paper,
                (round(left), round(top)),
                (round(right), round(bottom)),
                colour,
                thick,
                cv2.LINE_AA,
            )
        return
    left, top, right, bottom = cells[0][0], cells[0][1], cells[-1][2], cells[0][3]
    line(left, bottom, right, bottom)
    walls = [cell[0] for cell in cells] + [right]
    wall_top = bottom - 0.35 * (bottom - top) if printed.ticks else top
    for x in walls:
        line(x, wall_top, x, bottom)
    if not printed.ticks:
        line(left, top, right, top)


def _board(rng: np.random.Generator, settings: SceneSettings) -> np.ndarray:
    """A green or black board, lighter where old chalk was wiped off."""
    w, h = settings.width, settings.height
    colour = np.array(_BOARDS[rng.integers(len(_BOARDS))], np.float32) * rng.uniform(0.85, 1.15)
    wiped = cv2.resize(rng.normal(0, 1, (h // 32, w // 32)).astype(np.float32), (w, h))
    dust = rng.uniform(3.0, 10.0) * np.abs(wiped) + rng.normal(0, 2, (h, w)).astype(np.float32)
    return np.clip(colour + dust[..., None], 0, 255).astype(np.float32)


def _chalk(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Chalk's grainy stroke: the board's texture shows through in specks."""
    grain = np.clip(rng.normal(0.75, 0.3, alpha.shape), 0.0, 1.0).astype(np.float32)
    return cv2.GaussianBlur(alpha * grain, (0, 0), 0.6)


def _ink(condition: str, rng: np.random.Generator) -> np.ndarray:
    """The BGR colour the digits are written in."""
    if condition == "chalkboard":
        chalk = _CHALKS[0] if rng.random() < 0.8 else _CHALKS[1]
        return np.array(chalk) * rng.uniform(0.85, 1.05)
    if condition == "coloured-ink":
        pens = list(_COLOURED_INKS.values())
        return np.array(pens[rng.integers(len(pens))]) * rng.uniform(0.85, 1.1)
    pens = list(_INKS.values())
    return np.array(pens[rng.integers(len(pens))]) * rng.uniform(0.8, 1.2)


def on_a_note(ink: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str, str]:
    """Writing of opacity `ink` (float32 `[h, w]`, 0-1; h and w at least SMALLEST_SCENE) on a
    sticky note filling the view, photographed: uint8 `[h, w, 3]` BGR, the note's colour (one
    of the sticky-note scenes': yellow, pink, blue, green, orange) and the pen (one of the
    plain and coloured-ink scenes': a black gel pen, a blue ballpoint, a pencil, a red, blue
    or green pen), drawn from `rng`. The light, defocus, noise and JPEG are the scenes'
    (`SceneSettings` defaults)."""
    height, width = ink.shape
    settings = SceneSettings(width=width, height=height)
    note = list(_NOTE_TINTS)[rng.integers(len(_NOTE_TINTS))]
    pens = {**_INKS, **_COLOURED_INKS}
    pen = list(pens)[rng.integers(len(pens))]
    reflectance = _paper(rng, settings) * np.float32(_NOTE_TINTS[note])
    reflectance += ink[..., None] * (np.float32(pens[pen]) - reflectance)
    frame = reflectance * _illumination(rng, settings)[..., None]
    return _photograph(frame, rng, settings), note, pen


def _show_table(page: np.ndarray, sheet: _Sheet, rng: np.random.Generator) -> None:
    """Replace the page beyond the sheet's edges by a flat table colour, in place."""
    outside = np.ones(page.shape[:2], bool)
    outside[round(sheet.top) : round(sheet.bottom), round(sheet.left) : round(sheet.right)] = False
    page[outside] = np.array(_TABLES[rng.integers(len(_TABLES))], np.float32)


def _lay_on_table(
    frame: np.ndarray,
    sheet: _Sheet,
    to_frame: np.ndarray,
    rng: np.random.Generator,
    settings: SceneSettings,
    desks: Sequence[tuple[float, float, float]],
) -> None:
    """Show the frame's sheet lying on a desk (one of `desks`, BGR) with grain and blotches,
    and maybe the shadow the sheet casts on it (`SceneSettings.cast_shadow_prob`), in place:
    the desk is drawn in the frame itself, the sheet's outline anti-aliased."""
    w, h = settings.width, settings.height
    colour = np.array(desks[rng.integers(len(desks))], np.float32)
    colour *= rng.uniform(0.85, 1.15)
    blotches = cv2.resize(rng.normal(0, 6, (h // 8, w // 8)).astype(np.float32), (w, h))
    grain = rng.normal(0, 3, (h, w)).astype(np.float32)
    table = np.clip(colour + (blotches + grain)[..., None], 0, 255)
    on_paper = np.zeros((h, w), np.float32)
    on_paper[round(sheet.top) : round(sheet.bottom), round(sheet.left) : round(sheet.right)] = 1
    seen = cv2.warpPerspective(on_paper, to_frame, (w, h), flags=cv2.INTER_LINEAR)
    if rng.random() < settings.cast_shadow_prob:
        # Lit from one side, the sheet's shadow shows past its edges on the other: soft, or
        # sharp under a small lamp (then a dark outline along those edges).
        offset = rng.uniform(*settings.cast_shadow) * min(w, h)
        towards = rng.uniform(0, 2 * np.pi)
        shift = np.float32([[1, 0, offset * np.cos(towards)], [0, 1, offset * np.sin(towards)]])
        shadow = cv2.warpAffine(seen, shift, (w, h))
        shadow = cv2.GaussianBlur(shadow, (0, 0), max(0.5, offset * rng.uniform(0.4, 1.0)))
        table *= (1 - rng.uniform(*settings.cast_shadow_dark) * shadow)[..., None]
    seen = seen[..., None]
    frame *= seen
    frame += (1 - seen) * table


def _illumination(rng: np.random.Generator, settings: SceneSettings) -> np.ndarray:
    """Multiplicative light falling on the frame: a gradient, a vignette and maybe a shadow."""
    w, h = settings.width, settings.height
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    xs, ys = xs / w - 0.5, ys / h - 0.5
    direction = rng.uniform(0, 2 * np.pi)
    gradient = xs * np.cos(direction) + ys * np.sin(direction)  # -0.7 .. 0.7
    light = 1.0 + settings.light * rng.uniform(0.3, 1.0) * gradient
    light -= settings.light * rng.uniform(0.0, 0.8) * (xs**2 + ys**2)
    if rng.random() < settings.shadow_prob:
        # A hand or phone between lamp and paper: a soft-edged dark blob from one side.
        shadow = np.zeros((h, w), np.float32)
        centre = (int(rng.uniform(-0.1, 1.1) * w), int(rng.choice([-0.15, 1.15]) * h))
        axes = (int(rng.uniform(0.3, 0.6) * w), int(rng.uniform(0.4, 0.7) * h))
        cv2.ellipse(shadow, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        softness = int(0.15 * min(w, h)) | 1
        shadow = cv2.GaussianBlur(shadow, (softness, softness), 0)
        light *= 1.0 - rng.uniform(0.25, 0.5) * shadow
    return np.clip(light, 0.25, 1.2)


def _ink_box(mask: np.ndarray, to_frame: np.ndarray, size: tuple[int, int]) -> Box:
    """Where a digit's ink lands in the frame: its paper pixels pushed through the homography."""
    ys, xs = np.nonzero(mask)
    points = np.stack([xs, ys], axis=1).astype(np.float32)[None]
    seen = cv2.perspectiveTransform(points, to_frame)[0]
    x0, y0 = np.floor(seen.min(axis=0)).astype(int)
    x1, y1 = np.ceil(seen.max(axis=0)).astype(int)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, size[0] - 1), min(y1, size[1] - 1)
    return int(x0), int(y0), int(x1 - x0 + 1), int(y1 - y0 + 1)


def _photograph(
    frame: np.ndarray,
    rng: np.random.Generator,
    settings: SceneSettings,
    noise_sigma: Range | None = None,
) -> np.ndarray:
    """What the sensor and encoder add: defocus, noise (settings.noise_sigma unless given)
    and JPEG blocks."""
    sigma = rng.uniform(*settings.blur_sigma)
    if sigma > 0.3:
        frame = cv2.GaussianBlur(frame, (0, 0), sigma)
    noise = rng.uniform(*(noise_sigma or settings.noise_sigma))
    frame = frame + rng.normal(0, noise, frame.shape)
    image = np.clip(frame, 0, 255).astype(np.uint8)
    quality = int(rng.uniform(*settings.jpeg_quality))
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not JPEG-encode a scene")
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)
