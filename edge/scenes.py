"""Camera-like frames of handwritten digits on paper, with the true box of every digit.

The finder and the reader are judged on these instead of on clean MNIST: MNIST digits become
ink (black, blue or pencil; a marker, MNIST's own pen or a fine ballpoint) on off-white paper,
possibly ruled, seen through a tilted camera (perspective), under uneven light with a soft
shadow, sometimes with the paper's edge and the table in view, then defocused, noisy and
JPEG-compressed. Everything is drawn from the caller's random generator, so a seed gives the
same scene on every machine."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.events import Box

Range = tuple[float, float]

# 30 MNIST test digits of each class (seed 0), so the demo runs where MNIST is not installed.
# MNIST is by Yann LeCun, Corinna Cortes and Christopher Burges, licensed CC BY-SA 3.0.
# Made with: rng = np.random.default_rng(0); test_indices = sorted(concatenation over k of
# rng.choice(np.flatnonzero(y_test == k), 30, replace=False)); np.savez_compressed(path,
# images=x_test[test_indices], labels=y_test[test_indices], test_indices=test_indices).
SAMPLE_DIGITS = Path(__file__).parent / "data" / "mnist_sample.npz"

# BGR colours. Ink and paper are what a phone photo of a school notebook shows.
_INKS = (
    (35.0, 30.0, 30.0),  # black gel pen
    (125.0, 55.0, 25.0),  # blue ballpoint
    (95.0, 95.0, 95.0),  # pencil: about half the contrast of a pen
)
_PAPER = (226.0, 236.0, 242.0)
_TABLES = ((40.0, 55.0, 75.0), (95.0, 90.0, 88.0), (20.0, 20.0, 20.0))
_STROKE_BODY = 0.3  # MNIST grey (0-1) inside a stroke rather than on its soft edge
_PEN_STEP = 0.05  # how far down MNIST's grey an ordinary pen's cut moves to keep a stroke whole
# Of an MNIST stroke, the share a pen path must cover when drawn with the stroke's width (on
# MNIST's test digits 80% of paths do; most of the others have a loop filled in).
_FAITHFUL_PATH = 0.9
_RULE_COLOURS = ((225.0, 195.0, 160.0), (170.0, 130.0, 95.0))  # faint and dark printed rules


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
    rules_prob: float = 0.5
    paper_edge_prob: float = 0.3
    blur_sigma: Range = (0.0, 1.4)
    noise_sigma: Range = (1.0, 6.0)  # grey levels
    jpeg_quality: Range = (50.0, 95.0)

    def __post_init__(self) -> None:
        if self.width < 64 or self.height < 64:
            raise ValueError(f"scene size {self.width}x{self.height} is below the 64x64 minimum")
        ranges = ("digit_height", "gap", "stroke", "fine_pen", "blur_sigma", "noise_sigma")
        for name in (*ranges, "jpeg_quality"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"SceneSettings.{name} = {(low, high)}: need 0 <= low <= high")
        if self.digit_height[1] > 0.4:
            raise ValueError(
                f"SceneSettings.digit_height up to {self.digit_height[1]} of the frame height "
                "does not fit two rows; keep it at most 0.4"
            )


@dataclass(frozen=True)
class Scene:
    """A BGR frame and, in reading order, the true ink box and label of each digit on it."""

    frame: np.ndarray
    boxes: tuple[Box, ...]
    labels: tuple[int, ...]

    @property
    def text(self) -> str:
        return "".join(map(str, self.labels))


def sample_digits() -> tuple[np.ndarray, np.ndarray]:
    """The bundled MNIST sample: uint8 images [300, 28, 28] (white on black) and their labels."""
    with np.load(SAMPLE_DIGITS, allow_pickle=False) as sample:
        return sample["images"], sample["labels"]


def random_scene(
    images: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    settings: SceneSettings = SceneSettings(),
    max_digits: int = 4,
) -> Scene:
    """A scene of 1 to `max_digits` digits picked from `images` (MNIST layout, white on black).

    Four by default: a meter reading, a house number, a year, which is what the product reads.
    """
    if len(images) == 0 or len(images) != len(labels):
        raise ValueError(
            f"need as many labels as images, and some: got {len(images)}, {len(labels)}"
        )
    if max_digits < 1:
        raise ValueError(f"max_digits must be at least 1, got {max_digits}")
    picked = rng.choice(len(images), size=int(rng.integers(1, max_digits + 1)))
    return render_scene(images[picked], labels[picked], rng, settings)


def render_scene(
    digits: np.ndarray,
    labels: Sequence[int],
    rng: np.random.Generator,
    settings: SceneSettings = SceneSettings(),
) -> Scene:
    """Write `digits` (uint8 [N, 28, 28], white on black) on paper and photograph them.

    Digits fill rows left to right, top to bottom, so the scene's boxes and labels follow the
    given order. Raises ValueError when they cannot all fit at the drawn size.
    """
    if digits.dtype != np.uint8 or digits.ndim != 3 or digits.shape[1:] != (28, 28):
        raise ValueError(f"digits must be uint8 [N, 28, 28], got {digits.dtype} {digits.shape}")
    if len(digits) != len(labels) or len(digits) == 0:
        raise ValueError(f"need one label per digit, and some: got {len(digits)}, {len(labels)}")
    if any(not digit.any() for digit in digits):
        raise ValueError("a digit image is blank; nothing to write")
    size = (settings.width, settings.height)
    to_frame = _camera_homography(rng, settings)
    paper_edge = _paper_edge(rng, settings)
    ink_alpha, ink_masks = _write_digits(digits, to_frame, paper_edge, rng, settings)

    reflectance = _paper(rng, settings)
    if rng.random() < settings.rules_prob:
        _rule(reflectance, rng, settings)
    ink = np.array(_INKS[rng.integers(len(_INKS))]) * rng.uniform(0.8, 1.2)
    reflectance += ink_alpha[..., None] * (ink - reflectance)
    if paper_edge is not None:
        _show_table(reflectance, paper_edge, rng)
    # Where the tilted frame sees past the drawn page, the page's edge pixels carry on (rules
    # stay lines, the table stays table) rather than mirroring digits into view.
    frame = cv2.warpPerspective(
        reflectance, to_frame, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    frame *= _illumination(rng, settings)[..., None]
    boxes = tuple(_ink_box(mask, to_frame, size) for mask in ink_masks)
    return Scene(_photograph(frame, rng, settings), boxes, tuple(int(x) for x in labels))


def _camera_homography(rng: np.random.Generator, settings: SceneSettings) -> np.ndarray:
    """Paper -> frame: the paper (frame-sized) turned by a small angle and seen at a slant."""
    w, h = settings.width, settings.height
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-settings.perspective, settings.perspective, (4, 2)) * (w, h)
    angle = np.radians(rng.uniform(-settings.tilt_deg, settings.tilt_deg))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = np.float32([w / 2, h / 2])
    seen = (corners - centre) @ rotation.T + centre + jitter
    return cv2.getPerspectiveTransform(corners, seen.astype(np.float32))


@dataclass(frozen=True)
class _PaperEdge:
    side: str  # which side of the paper ends inside the frame: left, right, top, bottom
    at: float  # position of the edge in paper pixels


def _paper_edge(rng: np.random.Generator, settings: SceneSettings) -> _PaperEdge | None:
    if rng.random() >= settings.paper_edge_prob:
        return None
    side = ("left", "right", "top", "bottom")[rng.integers(4)]
    span = settings.width if side in ("left", "right") else settings.height
    depth = rng.uniform(0.08, 0.15) * span
    return _PaperEdge(side, depth if side in ("left", "top") else span - depth)


def _write_digits(
    digits: np.ndarray,
    to_frame: np.ndarray,
    paper_edge: _PaperEdge | None,
    rng: np.random.Generator,
    settings: SceneSettings,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Lay the digits out in rows on the paper; ink opacity for the page plus one mask per digit."""
    w, h = settings.width, settings.height
    left, top, right, bottom = _writable_area(to_frame, paper_edge, settings)
    pen = rng.uniform(*settings.stroke)
    fine = rng.uniform(*settings.fine_pen) * w if rng.random() < settings.fine_pen_prob else None
    sizes = rng.uniform(0.9, 1.1, len(digits))
    height = rng.uniform(*settings.digit_height) * h
    # Many digits at a large size need more rows than fit: write smaller, as a person would.
    while True:
        gap = rng.uniform(*settings.gap) * height
        glyphs = [
            _glyph(digit, height * size, pen, fine)
            for digit, size in zip(digits, sizes, strict=True)
        ]
        rows = _rows([glyph.shape[1] for glyph in glyphs], gap, right - left)
        pitch = 1.6 * height
        if len(rows) * pitch <= bottom - top:
            break
        if height * 0.85 < settings.digit_height[0] * h:
            raise ValueError(
                f"{len(digits)} digits at least {settings.digit_height[0] * h:.0f} px high do not "
                f"fit in a {w}x{h} scene; pass fewer digits or a smaller SceneSettings.digit_height"
            )
        height *= 0.85

    alpha = np.zeros((h, w), np.float32)
    masks = []
    y0 = rng.uniform(top, bottom - len(rows) * pitch) + 0.2 * height
    for row_number, row in enumerate(rows):
        row_width = sum(glyphs[i].shape[1] for i in row) + gap * (len(row) - 1)
        x = rng.uniform(left, max(left, right - row_width))
        baseline = y0 + row_number * pitch + height
        for index in row:
            glyph = glyphs[index]
            gy = round(baseline - glyph.shape[0] + rng.uniform(-0.08, 0.08) * height)
            gx = round(x)
            page = alpha[gy : gy + glyph.shape[0], gx : gx + glyph.shape[1]]
            np.maximum(page, glyph, out=page)
            mask = np.zeros((h, w), bool)
            mask[gy : gy + glyph.shape[0], gx : gx + glyph.shape[1]] = glyph > 0.5
            masks.append(mask)
            x += glyph.shape[1] + gap
    return alpha, masks


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


def _writable_area(
    to_frame: np.ndarray, paper_edge: _PaperEdge | None, settings: SceneSettings
) -> tuple[float, float, float, float]:
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
    if paper_edge is not None:
        margin = 0.05 * min(w, h)
        if paper_edge.side == "left":
            left = max(left, paper_edge.at + margin)
        elif paper_edge.side == "right":
            right = min(right, paper_edge.at - margin)
        elif paper_edge.side == "top":
            top = max(top, paper_edge.at + margin)
        else:
            bottom = min(bottom, paper_edge.at - margin)
    return left, top, right, bottom


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


def _show_table(page: np.ndarray, edge: _PaperEdge, rng: np.random.Generator) -> None:
    """Replace the page beyond the paper's edge by a table, in place."""
    table = np.array(_TABLES[rng.integers(len(_TABLES))], np.float32)
    at = round(edge.at)
    beyond = {
        "left": np.s_[:, :at],
        "right": np.s_[:, at:],
        "top": np.s_[:at],
        "bottom": np.s_[at:],
    }[edge.side]
    page[beyond] = table


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


def _photograph(frame: np.ndarray, rng: np.random.Generator, settings: SceneSettings) -> np.ndarray:
    """What the sensor and encoder add: defocus, noise and JPEG blocks."""
    sigma = rng.uniform(*settings.blur_sigma)
    if sigma > 0.3:
        frame = cv2.GaussianBlur(frame, (0, 0), sigma)
    frame = frame + rng.normal(0, rng.uniform(*settings.noise_sigma), frame.shape)
    image = np.clip(frame, 0, 255).astype(np.uint8)
    quality = int(rng.uniform(*settings.jpeg_quality))
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not JPEG-encode a scene")
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)
