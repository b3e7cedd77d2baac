"""Training lines: strings of 1-12 handwritten digits, written as a camera sees ink, cut out the
way the device cuts lines out of frames (`edge.ink.line_image`).

A string is composed from MNIST *training* digits (and, for the styles MNIST lacks, stroke-drawn
digits from `train.glyphs`) with gaps from overlapping (-0.2 digit heights) to wide (+0.8), so
neighbours touch as real writing does; baseline, size, slant and pen vary per digit. It is then
put on paper (white, grey, yellow; plain, ruled, squared, boxed or underlined; or a chalkboard)
in black, blue, red, green or pencil, lit unevenly, sometimes dim, blurred, noisy and JPEG'd.
Segmentation-free training on strings composed from isolated digits follows Hochuli et al.,
"Handwritten digit segmentation: is it still necessary?" (2018).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from edge.ink import LINE_HEIGHT, LineGeometry, ink_darkness, line_image, paper_brightness
from edge.scenes import touching_x
from train.glyphs import draw_digit, with_continental_strokes, with_lifted_bar

MAX_DIGITS = 12
# How many digits a training line holds: short read-outs (meters, scores, codes) are the commonest.
_LENGTH_WEIGHTS = np.array([20, 12, 12, 12, 10, 9, 8, 7, 5, 4, 4, 3], np.float64)
_DRAWN_SHARE = 0.15  # digits drawn from strokes rather than taken from MNIST
_EMPTY_SHARE = 0.06  # lines of no digits (a dash, a blob, a word): the reader reads nothing
# Letters that no one reads as a digit, for words that are not numbers (labels, printed text).
_LETTERS = "acdehkmnprtuvwxyACEFHKMNPRTUVWXY"
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)
MAX_WIDTH = 512  # px of line image; a longer line is squeezed to this
# Grey levels of the paper in its darkest channel: white, grey, yellow (blue channel), tinted.
_PAPERS = (245.0, 232.0, 200.0, 150.0, 215.0)


@dataclass(frozen=True)
class StringStyle:
    """How strings are composed: training's, or the evaluation's fixed ranges."""

    max_digits: int = MAX_DIGITS
    gaps: tuple[float, float] = (-0.2, 0.8)  # between neighbours, in digit heights
    close_share: float = 0.3  # strings written tight (gaps up to 0.1 heights)
    touching_share: float = 0.1  # strings whose neighbours slide together until strokes meet
    empty_share: float = _EMPTY_SHARE
    camera: bool = True  # photographed (papers, inks, rules, light, blur, noise, JPEG) or clean
    drawn_share: float = _DRAWN_SHARE  # digits drawn from strokes rather than taken from MNIST
    label_share: float = 0.08  # strings with a word beside them (a label, a unit), not read
    continental_share: float = 0.25  # MNIST 1s given a flag, 7s a bar (`with_continental_strokes`)
    lifted_bar_share: float = 0.25  # MNIST 5s whose bar is lifted clear of the stem
    sign_share: float = 0.0  # strings with handwritten +, -, = or x signs between digits, not read


# The evaluation strings of issue #11: 1-8 digits, gaps -0.15..+0.6 digit heights, written in
# black on white paper; and the same strings photographed as training's are.
_EVALUATION = {
    "max_digits": 8,
    "gaps": (-0.15, 0.6),
    "close_share": 0.35,
    "touching_share": 0.0,
    "empty_share": 0.0,
    "drawn_share": 0.0,
    "label_share": 0.0,
    "continental_share": 0.0,
    "lifted_bar_share": 0.0,
    "sign_share": 0.0,
}
EVALUATION = StringStyle(**_EVALUATION, camera=False)
CAMERA_EVALUATION = StringStyle(**_EVALUATION)


@dataclass(frozen=True)
class TrainingLine:
    image: np.ndarray  # uint8 [LINE_HEIGHT, W], white ink on black
    labels: tuple[int, ...]


class Digits:
    """MNIST digits to compose strings from: uint8 `images` [N, 28, 28] (white on black) and
    their `labels`, indexed by digit."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images = images
        self.labels = labels
        self.by_digit = [np.flatnonzero(labels == d) for d in range(10)]


def random_line(
    digits: Digits, rng: np.random.Generator, style: StringStyle | None = None
) -> TrainingLine:
    """One line: a random string written, photographed and cut out as the device would."""
    style = style or StringStyle()
    height = float(rng.uniform(20, 46))
    if rng.random() < style.empty_share:
        ink, box, text = _distractor_only(height, rng)
    else:
        weights = _LENGTH_WEIGHTS[: style.max_digits]
        count = 1 + int(rng.choice(style.max_digits, p=weights / weights.sum()))
        text = tuple(int(d) for d in rng.integers(0, 10, count))
        ink, box = compose(text, height, digits, style, rng)
    grey = _photograph(ink, box, height, rng) if style.camera else _on_white_paper(ink, rng)
    darkness = ink_darkness(grey, paper_brightness(grey, round(0.45 * height) + 3))
    image = line_image(darkness, _finder_geometry(box, rng))
    if image.shape[1] > MAX_WIDTH:
        image = cv2.resize(image, (MAX_WIDTH, LINE_HEIGHT), interpolation=cv2.INTER_AREA)
    return TrainingLine(image, text)


def mnist_line(image: np.ndarray) -> np.ndarray:
    """One MNIST image (uint8 [28, 28], white on black) as a one-digit line image."""
    darkness = cv2.copyMakeBorder(image, 28, 28, 28, 28, cv2.BORDER_CONSTANT, value=0)
    x, y, w, h = cv2.boundingRect(darkness)
    return line_image(darkness, LineGeometry(x + w / 2, y + h / 2, 0.0, w, h))


def _glyph(
    digit: int, height: float, digits: Digits, style: StringStyle, rng: np.random.Generator
) -> np.ndarray:
    """Ink opacity (float32 0-1) of one digit written about `height` px tall."""
    size = height * rng.uniform(0.85, 1.1)
    pen_kind = rng.random()
    if rng.random() < style.drawn_share:
        pen = size * (rng.uniform(0.05, 0.1) if pen_kind < 0.7 else rng.uniform(0.12, 0.25))
        glyph = draw_digit(digit, max(8, round(size)), pen, rng)
    else:
        source = digits.images[rng.choice(digits.by_digit[digit])]
        x, y, w, h = cv2.boundingRect(source)
        tight = source[y : y + h, x : x + w].astype(np.float32) / 255.0
        scale = size / h
        width = max(1, round(w * scale * rng.uniform(0.8, 1.2)))
        smooth = cv2.resize(tight, (width, max(1, round(size))), interpolation=cv2.INTER_CUBIC)
        cut = rng.uniform(0.15, 0.6)
        glyph = np.clip((smooth - cut) / 0.15 + 0.5, 0.0, 1.0)
        if pen_kind > 0.8:  # marker: strokes up to a quarter of the height
            grow = max(1, round(size * rng.uniform(0.04, 0.12)))
            glyph = cv2.dilate(glyph, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
        elif pen_kind < 0.15 and min(glyph.shape) > 6:  # fine pen: the stroke thinned down
            glyph = cv2.erode(glyph, np.ones((2, 2), np.uint8))
        # (Only drawn for when asked: the evaluation strings must stay the same strings.)
        if digit in (1, 7) and style.continental_share and rng.random() < style.continental_share:
            glyph = with_continental_strokes(glyph, digit, rng)
        if digit == 5 and style.lifted_bar_share and rng.random() < style.lifted_bar_share:
            glyph = with_lifted_bar(glyph, rng)
    return _slanted(glyph, rng.uniform(-0.3, 0.3))


def _slanted(glyph: np.ndarray, shear: float) -> np.ndarray:
    h, w = glyph.shape
    extra = int(abs(shear) * h) + 1
    matrix = np.float32([[1, -shear, extra if shear > 0 else 0], [0, 1, 0]])
    matrix[0, 2] = shear * h if shear > 0 else 0
    return cv2.warpAffine(glyph, matrix, (w + extra, h), flags=cv2.INTER_LINEAR)


def compose(
    text: tuple[int, ...],
    height: float,
    digits: Digits,
    style: StringStyle,
    rng: np.random.Generator,
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The string's ink on a canvas with room around it, and the box of its ink."""
    glyphs = [_glyph(d, height, digits, style, rng) for d in text]
    # (Only drawn for when asked: the evaluation strings must stay the same strings.)
    signs = set()
    if style.sign_share and len(text) >= 2 and rng.random() < style.sign_share:
        signs = set(rng.choice(len(text) - 1, min(2, len(text) - 1), replace=False).tolist())
    low, high = style.gaps
    spacing = rng.random()
    touching = spacing < style.touching_share
    if touching:  # boxes overlap, then each digit slides left until its strokes meet the last's
        gaps = rng.uniform(low, 0.0, len(text))
    elif spacing < style.touching_share + style.close_share:  # tight: touching or nearly
        gaps = rng.uniform(low, min(high, 0.1), len(text))
    else:
        gaps = rng.uniform(max(low, -0.05), high, len(text))
    margin = int(1.1 * height)
    width = int(sum(g.shape[1] for g in glyphs) + max(0.0, gaps.sum()) * height) + 2 * margin
    width += len(signs) * int(2.2 * height)  # a sign and the room round it
    canvas = np.zeros((int(height * 1.6) + 2 * margin, width), np.float32)
    x = float(margin)
    drift = rng.uniform(-0.04, 0.04)  # baseline slope
    before = None
    for index, (glyph, gap) in enumerate(zip(glyphs, gaps, strict=True)):
        h, w = glyph.shape
        base = margin + height * 1.2 + drift * (x - margin) + rng.normal(0, 0.04 * height)
        top, left = int(base - h), int(x)
        top = min(max(top, 0), canvas.shape[0] - h)
        if touching and before is not None:
            left = touching_x(before, glyph, left, top, height)
            x = float(left)
        region = canvas[top : top + h, left : left + w]
        np.maximum(region, glyph[: region.shape[0], : region.shape[1]], out=region)
        before = (glyph, left, top)
        x += w + gap * height
        if index in signs:  # a sign about the digits' middle, clear of them both sides
            sign = _sign(height, rng)
            x += max(gap, 0.0) * height + rng.uniform(0.1, 0.4) * height
            middle = base - height * rng.uniform(0.4, 0.6)
            top = min(max(int(middle - sign.shape[0] / 2), 0), canvas.shape[0] - sign.shape[0])
            region = canvas[top : top + sign.shape[0], int(x) : int(x) + sign.shape[1]]
            np.maximum(region, sign[: region.shape[0], : region.shape[1]], out=region)
            x += sign.shape[1] + rng.uniform(0.1, 0.4) * height
            before = None
    if style.label_share and rng.random() < style.label_share:
        canvas = _labelled(canvas, margin, margin + height * 1.2, height, rng)
    ys, xs = np.nonzero(canvas > 0.3)
    box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    return canvas, box


def _sign(height: float, rng: np.random.Generator) -> np.ndarray:
    """Ink opacity (float32 0-1) of a handwritten +, -, = or x between digits `height` px
    tall (a child's sum): 0.35-0.95 of their height, in a pen as wide as theirs may be,
    strokes a little tilted and uneven. A sign is no digit: the reader learns it as blank."""
    size = height * rng.uniform(0.35, 0.95)
    pen = max(1, round(min(height * rng.uniform(0.04, 0.14), 0.2 * size)))
    pad = pen + 2
    side = int(size) + 2 * pad
    ink = np.zeros((side, side), np.uint8)
    kind = "+-=x"[rng.integers(4)]
    centre = np.array([side / 2, side / 2]) + rng.normal(0, 0.05 * size, 2)

    def stroke(angle: float, length: float, offset: tuple[float, float] = (0.0, 0.0)) -> None:
        direction = np.array([np.cos(angle), np.sin(angle)])
        middle = centre + np.array(offset)
        ends = [
            middle + way * length / 2 * direction + rng.normal(0, 0.04 * size, 2) for way in (-1, 1)
        ]
        start, end = (tuple(round(float(v)) for v in point) for point in ends)
        cv2.line(ink, start, end, 255, pen, cv2.LINE_AA)

    tilt = rng.normal(0, 0.12)
    if kind in "+-":
        stroke(tilt, size * rng.uniform(0.6, 1.0))
    if kind == "+":
        stroke(np.pi / 2 + rng.normal(0, 0.12), size, (rng.normal(0, 0.1 * size), 0.0))
    if kind == "=":
        apart = size * rng.uniform(0.15, 0.3)
        for way in (-1, 1):
            stroke(tilt + rng.normal(0, 0.05), size * rng.uniform(0.6, 1.0), (0.0, way * apart))
    if kind == "x":
        for angle in (np.pi / 4, -np.pi / 4):
            stroke(angle + rng.normal(0, 0.12), size * rng.uniform(0.7, 1.0))
    rows, columns = np.nonzero(ink)
    ink = ink[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
    return ink.astype(np.float32) / 255


def _labelled(
    canvas: np.ndarray, margin: int, baseline: float, height: float, rng: np.random.Generator
) -> np.ndarray:
    """The string's canvas with a word written before or after it on its baseline ("Nr.", a
    unit, a name): a line holds words beside numbers, which the reader learns to pass over."""
    word = np.zeros((canvas.shape[0], int(6 * height)), np.float32)
    _write_word(word, (0, int(baseline)), height * rng.uniform(0.5, 1.0), rng)
    columns = np.flatnonzero(word.max(axis=0) > 0.3)
    inked = np.flatnonzero(canvas.max(axis=0) > 0.3)
    if not len(columns) or not len(inked):
        return canvas
    word = word[:, : columns.max() + 1]
    digits = canvas[:, inked.min() : inked.max() + 1]
    gap, edge = (
        np.zeros((canvas.shape[0], int(n)), np.float32)
        for n in (rng.uniform(0.25, 0.8) * height, margin)
    )
    parts = (word, gap, digits) if rng.random() < 0.6 else (digits, gap, word)
    return np.hstack([edge, *parts, edge])


def _distractor_only(
    height: float, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[int, int, int, int], tuple[int, ...]]:
    """Ink that is not writing: a dash, a blob, specks or a word, on a canvas like `compose`'s."""
    margin = int(1.1 * height)
    length = int(height * rng.uniform(0.5, 4))
    canvas = np.zeros((int(height * 1.6) + 2 * margin, length + 3 * margin), np.float32)
    centre = (margin + length // 2, margin + int(height * 0.8))
    kind = rng.integers(4)
    if kind == 3:  # a word: a label, printed text
        _write_word(canvas, (margin, centre[1] + int(height * 0.4)), height, rng)
    elif kind == 0:  # a dash or a line
        cv2.line(
            canvas,
            (margin, centre[1]),
            (margin + length, centre[1] + int(rng.normal(0, 3))),
            1.0,
            max(1, int(height * rng.uniform(0.05, 0.15))),
        )
    elif kind == 1:  # a blob
        axes = (int(height * rng.uniform(0.3, 0.8)), int(height * rng.uniform(0.3, 0.8)))
        cv2.ellipse(canvas, centre, axes, 0, 0, 360, 1.0, -1)
    else:  # specks
        for _ in range(rng.integers(3, 12)):
            point = (
                margin + int(rng.uniform(0, length)),
                centre[1] + int(rng.normal(0, height / 3)),
            )
            cv2.circle(canvas, point, max(1, int(height * 0.04)), 1.0, -1)
    ys, xs = np.nonzero(canvas > 0.3)
    box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    return canvas, box, ()


def _write_word(
    ink: np.ndarray, origin: tuple[int, int], height: float, rng: np.random.Generator
) -> None:
    """A few letters (none that reads as a digit) in a Hershey font, about `height` px tall,
    drawn into the float ink opacity image `ink` (in place)."""
    word = "".join(rng.choice(list(_LETTERS), int(rng.integers(2, 7))))
    font = _FONTS[rng.integers(len(_FONTS))]
    scale = height / 22.0 * rng.uniform(0.6, 1.0)
    thickness = max(1, int(scale * rng.uniform(1, 3)))
    drawn = np.zeros(ink.shape, np.uint8)
    cv2.putText(drawn, word, origin, font, scale, 255, thickness, cv2.LINE_AA)
    np.maximum(ink, drawn.astype(np.float32) / 255.0, out=ink)


def _bleed_through(
    page: np.ndarray, height: float, ground: float, rng: np.random.Generator
) -> None:
    """Faint printed text from the other side of the sheet (or under it), in place."""
    rows, cols = page.shape
    size = height * rng.uniform(0.2, 0.4)
    text = np.zeros((rows, cols), np.float32)
    for row in np.arange(rng.uniform(0, size * 2), rows, size * rng.uniform(1.6, 2.2)):
        for col in np.arange(-rng.uniform(0, size * 6), cols, size * 6):
            _write_word(text, (int(col), int(row)), size, rng)
    page -= text * ground * rng.uniform(0.07, 0.2)


def _printed_lines(
    page: np.ndarray,
    box: tuple[int, int, int, int],
    height: float,
    ground: float,
    ink_level: float,
    rng: np.random.Generator,
) -> None:
    """Rules, a grid, boxes or an underline printed on the page (in place), or nothing; never
    darker than the writing's ink (printed lines are drawn for writing to stand out on)."""
    kind = rng.choice(6, p=[0.4, 0.18, 0.14, 0.1, 0.1, 0.08])
    colour = ground - (ground - ink_level) * rng.uniform(0.15, 0.9)  # faint rules to dark boxes
    thick = int(rng.integers(1, 3))
    x, y, w, h = box
    rows, cols = page.shape[:2]
    if kind == 1:  # ruled: a rule near the baseline, others a line-spacing apart
        spacing = height * rng.uniform(1.2, 1.8)
        start = y + h + rng.uniform(-0.15, 0.2) * height
        for k in range(-3, 4):
            row = int(start + k * spacing)
            cv2.line(page, (0, row), (cols, row), colour, thick)
    elif kind == 2:  # squared
        cell = height * rng.uniform(0.5, 1.1)
        offset = rng.uniform(0, cell, 2)
        for col in np.arange(offset[0], cols, cell):
            cv2.line(page, (int(col), 0), (int(col), rows), colour, thick)
        for row in np.arange(offset[1], rows, cell):
            cv2.line(page, (0, int(row)), (cols, int(row)), colour, thick)
    elif kind == 3:  # boxes: one around the string, or a comb of cells
        pad = rng.uniform(0.05, 0.35) * height
        top, bottom = int(y - pad), int(y + h + pad)
        cv2.rectangle(page, (int(x - pad), top), (int(x + w + pad), bottom), colour, thick)
        if rng.random() < 0.5:
            for col in np.arange(x - pad, x + w + pad, height * rng.uniform(0.8, 1.2))[1:]:
                cv2.line(page, (int(col), top), (int(col), bottom), colour, thick)
    elif kind == 4:  # underline, sometimes written by hand
        row = int(y + h + rng.uniform(0.05, 0.3) * height)
        cv2.line(
            page,
            (int(x - rng.uniform(0, 0.5) * height), row),
            (int(x + w + rng.uniform(0, 0.5) * height), row),
            colour,
            thick + int(rng.integers(0, 2)),
        )
    elif kind == 5:  # a neighbouring line of writing's strokes reach into the margin
        row = (
            int(y - rng.uniform(0.3, 0.6) * height)
            if rng.random() < 0.5
            else int(y + h + rng.uniform(0.3, 0.6) * height)
        )
        for col in np.arange(x, x + w, height * 0.7):
            cv2.line(
                page,
                (int(col), row),
                (int(col + height * 0.3), row + int(rng.normal(0, 3))),
                ground * 0.2,
                max(1, int(height * 0.08)),
            )


def _on_white_paper(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The ink in black on white paper, with a scanner's faint noise."""
    page = 235.0 - 205.0 * ink + rng.standard_normal(ink.shape, np.float32) * 2.0
    return np.clip(page, 0, 255).astype(np.uint8)


def _photograph(
    ink: np.ndarray, box: tuple[int, int, int, int], height: float, rng: np.random.Generator
) -> np.ndarray:
    """The ink as a grey photo of paper, as `edge.ink.to_grey` sees it (ink dark).

    Rendered in grey: of a colour photo the device keeps each pixel's darkest channel, in which
    a blue, red or green pen on white or grey paper is a dark line on light ground and yellow
    paper a mid grey; a chalkboard, seen for light ink, is the same picture inverted (light
    board), with chalk's broken strokes.
    """
    rows, cols = ink.shape
    if rng.random() < 0.08:  # chalk on a board
        ground = 255.0 - rng.uniform(30, 90)
        ink = ink * (rng.random(ink.shape, np.float32) < rng.uniform(0.6, 0.95))
        ink = cv2.GaussianBlur(ink, (0, 0), 0.7)
        level = rng.uniform(10, 70)
    else:
        ground = rng.choice(_PAPERS) * rng.uniform(0.9, 1.03)
        pencil = rng.random() < 0.2
        level = ground * (rng.uniform(0.4, 0.75) if pencil else rng.uniform(0.05, 0.3))
    page = np.full((rows, cols), ground, np.float32)
    if rng.random() < 0.1:
        _bleed_through(page, height, ground, rng)
    _printed_lines(page, box, height, ground, level, rng)
    page -= ink * (ground - level)
    # Light: a gradient across the page, sometimes a shadow's soft edge, sometimes a dim room;
    # worked out on a coarse grid (light changes slowly) and scaled up.
    coarse = (max(2, rows // 8), max(2, cols // 8))
    yy, xx = np.mgrid[0 : coarse[0], 0 : coarse[1]].astype(np.float32) * 8
    direction = rng.normal(size=2)
    ramp = (xx * direction[0] + yy * direction[1]) / (np.hypot(*direction) * max(rows, cols))
    light = 1.0 - rng.uniform(0, 0.4) * (ramp - ramp.min())
    if rng.random() < 0.3:
        across = (xx - cols * rng.uniform(0.2, 0.8)) * np.cos(direction[0])
        edge = across + (yy - rows / 2) * np.sin(direction[0])
        light *= 1.0 - rng.uniform(0.2, 0.5) / (1 + np.exp(-edge / (0.15 * height)))
    if rng.random() < 0.15:
        light *= rng.uniform(0.06, 0.3)
    page *= cv2.resize(light.astype(np.float32), (cols, rows), interpolation=cv2.INTER_LINEAR)
    sigma = rng.uniform(0, 1.6) * height / 30
    if sigma > 0.3:
        page = cv2.GaussianBlur(page, (0, 0), sigma)
    page += rng.standard_normal(page.shape, np.float32) * rng.uniform(1, 7)
    photo = np.clip(page, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        quality = int(rng.uniform(30, 95))
        encoded = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, quality])[1]
        photo = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)
    return photo


def _finder_geometry(box: tuple[int, int, int, int], rng: np.random.Generator) -> LineGeometry:
    """The line as a finder on the device would box it: never exactly on the ink."""
    x, y, w, h = box
    grown = h * (rng.uniform(0.92, 1.15) if rng.random() < 0.8 else rng.uniform(1.15, 1.6))
    return LineGeometry(
        cx=x + w / 2 + rng.normal(0, 0.05 * h),
        cy=y + h / 2 + rng.normal(0, 0.05 * h),
        angle=float(rng.normal(0, 2.0)),
        length=w * rng.uniform(0.97, 1.08),
        height=grown,
    )
