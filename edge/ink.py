"""Where the ink is: a frame becomes an ink-darkness image, and a line of writing a line image.

Shared by the Pi (`edge.lines` finds lines in camera frames) and by training (`train.strings`
renders composed strings on paper and cuts them out here), so the reader sees a line made the
same way in training, calibration and on the device.

Conventions: frames are uint8 grey `(H, W)` or BGR `(H, W, 3)`; an *ink image* is uint8
`(H, W)`, 0 where the page is as bright as the paper (or board) around it, 255 where the ink is
black (dark ink) or white (light ink); a *line image* is uint8 `[LINE_HEIGHT, W]`, white ink
on black, the model's input (real value = level / 255).
"""

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

Ink = Literal["dark", "light"]
INK_CHOICES = ("auto", "dark", "light")

LINE_HEIGHT = 32  # px: the reader's input height
# The line's ink fills the middle of the line image: margins above and below, in line heights.
# A finder's box is never exact, so training cuts lines with this margin jittered.
LINE_MARGIN = 0.2
END_MARGIN = 0.3  # blank space before the first and after the last digit, in line heights
WIDTH_STEP = 4  # the reader gives one column of scores per 4 input pixels
MIN_WIDTH = 32
# px: a frame shorter on its long side, or narrower, cannot hold a digit one can read (a 1
# cropped close is a few px wide)
MIN_FRAME = 16
MIN_FRAME_SIDE = 4
_FULL_INK = 85  # percentile of a line's ink pixels that is scaled to full white
_INK_LEVEL = 40  # darkness (0-255) that counts as ink when measuring a line's ink level
# Of a line's stroke pixels, a pixel wide across the stroke: its pen is fine. Half is more than
# in all but 0.6 % of training lines (MNIST's strokes are 2-3 px at the reader's scale).
_THIN_SHARE = 0.5
_STROKE_LEVEL = 96  # line-image level (0-255) that counts as a stroke when measuring its width
_MAX_GAIN = 6.0  # a faint line is stretched at most this much: beyond it is noise
_DARKEST_PAPER = 6  # grey level under which the ratio ink / paper is meaningless noise
# A frame whose ground (the median of each pixel's brightest channel) is under `_DIM_GROUND`
# is in a dim room: exposed as a camera would before light ink is looked for (`exposure`), its
# brightest `_BRIGHTEST_SHARE` % raised to `_EXPOSED`, by at most `_MOST_EXPOSURE`. The bench's
# boards are at 34 or more, the same dimmed to 12-30 % of their light at 4-24.
_DIM_GROUND = 30
_BRIGHTEST_SHARE = 0.5
_EXPOSED = 200
_MOST_EXPOSURE = 8.0


class FrameError(ValueError):
    """The frame cannot be used (wrong type or shape); skip it and carry on."""


def to_grey(frame: np.ndarray, ink: Ink = "dark") -> np.ndarray:
    """uint8 `(H, W)` in which the ink is dark, from a grey, BGR or BGRA frame (see
    `ink_greys`). Raises FrameError for anything that is not a uint8 image of at least
    `MIN_FRAME` by `MIN_FRAME_SIDE` px."""
    dark, light = ink_greys(frame)
    return dark if ink == "dark" else light


def ink_greys(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The frame as grey images in which dark ink is dark, and in which light ink is dark.

    Of a colour frame, dark ink takes each pixel's darkest channel and light ink its brightest
    (inverted): a red or blue pen is as dark as a black one in its darkest channel, which a
    plain grey conversion (the luma a Y plane holds) is not. Raises FrameError for anything
    that is not a non-empty uint8 image of at least `MIN_FRAME` by
    `MIN_FRAME_SIDE` px.
    """
    frame = checked_frame(frame)
    return grey_of(frame, "dark"), grey_of(frame, "light")


def checked_frame(frame: np.ndarray) -> np.ndarray:
    """The frame as uint8 grey `(H, W)` or colour `(H, W, 3|4)` (a `(H, W, 1)` frame made
    `(H, W)`). Raises FrameError for anything that is not a non-empty uint8 image of at least
    `MIN_FRAME` by `MIN_FRAME_SIDE` px."""
    if not isinstance(frame, np.ndarray):
        raise FrameError(f"a frame must be a numpy array, got {type(frame).__name__}")
    if frame.size == 0:
        raise FrameError(f"the frame is empty (shape {frame.shape}); check the source")
    if frame.dtype != np.uint8:
        raise FrameError(f"a frame must be uint8, got {frame.dtype}; convert or rescale it first")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[..., 0]
    if not (frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] in (3, 4))):
        raise FrameError(f"a frame must be (H, W) grey or (H, W, 3) BGR, got shape {frame.shape}")
    if max(frame.shape[:2]) < MIN_FRAME or min(frame.shape[:2]) < MIN_FRAME_SIDE:
        raise FrameError(
            f"a frame must be at least {MIN_FRAME} pixels long and {MIN_FRAME_SIDE} across, got "
            f"{frame.shape[1]}x{frame.shape[0]}: too small to hold a digit one can read; "
            "take the picture closer or at a higher resolution"
        )
    return frame


def grey_of(
    image: np.ndarray,
    ink: Ink,
    luma: bool = False,
    balance: tuple[float, float, float] | None = None,
    gain: float = 1.0,
) -> np.ndarray:
    """uint8 `(H, W)`: a `checked_frame` (or a piece of one) as the grey image in which `ink`
    is dark (`ink_greys`); from its luma (Rec. 601, what a Y plane holds) if `luma`. With
    dark ink, `balance` (gains for B, G, R) first makes coloured paper grey
    (`edge.lines.paper_balance`); the frame's light raised `gain` times first (`exposed`)."""
    if image.ndim == 2:
        grey = np.ascontiguousarray(image)
    elif luma:
        grey = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2GRAY)
    else:
        if ink == "dark" and balance is not None:
            image = cv2.multiply(image[..., :3], (*balance, 0.0))
        # (Three channel extractions are faster than one cv2.split, measured: 0.27 against
        # 0.46 ms for 640x480, the channel minimum and maximum included.)
        blue, green, red = (cv2.extractChannel(image, channel) for channel in range(3))
        if ink == "dark":
            return exposed(cv2.min(cv2.min(blue, green), red), ink, gain)
        return exposed(cv2.bitwise_not(cv2.max(cv2.max(blue, green), red)), ink, gain)
    return exposed(cv2.bitwise_not(grey) if ink == "light" else grey, ink, gain)


def exposure(light: np.ndarray) -> float:
    """The gain (1-`_MOST_EXPOSURE`) that raises a dim room's frame's brightest
    `_BRIGHTEST_SHARE` % of pixels (chalk's strokes, a card on a table) to `_EXPOSED`, from its
    grey in which light ink is dark (`ink_greys`); 1 for a frame whose ground is not dim
    (`_DIM_GROUND`).

    Light ink is looked for in the inverted brightest channel, where its contrast is taken
    against white: in a dim room, chalk three times as bright as its board (40 on 14) is a
    tenth darker than the board there, as faint as a shadow's edge, and a card twice as bright
    as its table is no nearer white than it by half (`edge.lines.choose_ink`). A camera's
    exposure would have raised both."""
    if 255 - percentile_u8(light, 50) >= _DIM_GROUND:
        return 1.0
    brightest = 255 - percentile_u8(light, _BRIGHTEST_SHARE)
    return float(np.clip(_EXPOSED / max(brightest, 1), 1.0, _MOST_EXPOSURE))


def exposed(grey: np.ndarray, ink: Ink, gain: float) -> np.ndarray:
    """uint8 `(H, W)`: a grey image in which `ink` is dark (`grey_of`) as if the frame's light
    had been `gain` times as bright (saturating at white)."""
    if gain == 1.0:
        return grey
    if ink == "dark":
        return cv2.convertScaleAbs(grey, alpha=gain)
    return cv2.bitwise_not(cv2.convertScaleAbs(cv2.bitwise_not(grey), alpha=gain))


def percentile_u8(image: np.ndarray, q: float) -> int:
    """The `q`th percentile (0-100) of a uint8 image, from its histogram (no sort)."""
    counts = cv2.calcHist([image], [0], None, [256], [0, 256]).ravel().cumsum()
    return int(np.searchsorted(counts, q / 100 * counts[-1]))


def paper_brightness(grey: np.ndarray, widest_stroke: int) -> np.ndarray:
    """How bright the paper is under every pixel (uint8, same shape): every dark feature
    narrower than `widest_stroke` px closed over, then smoothed a little. Worked out at half
    size, plenty for light that changes slowly."""
    h, w = grey.shape
    factor = 2 if min(h, w) >= 64 else 1
    small = cv2.resize(
        grey, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA
    )
    size = 2 * (widest_stroke // (2 * factor)) + 3  # odd, wider than the widest stroke
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    # Only a little smoothing: wider would carry a bright sheet's level across its edge onto
    # a dark table beside it, which would then read as ink along the sheet's outline.
    paper = cv2.blur(paper, (3, 3))
    return cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)


def ink_darkness(grey: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """0 where the page is as bright as the paper under it, 255 where it is black (uint8).

    Relative to the paper, so a dim room's ink (paper 20, ink 6) is as dark as a bright one's.
    """
    lifted = cv2.max(paper, _DARKEST_PAPER)
    return cv2.bitwise_not(cv2.divide(grey, lifted, scale=255))


@dataclass(frozen=True)
class LineGeometry:
    """A line of writing in a frame: centre (px), direction (degrees, counter-clockwise from
    the x axis, as the image shows it), length along it and height across it (px)."""

    cx: float
    cy: float
    angle: float
    length: float
    height: float

    def to_line(self) -> np.ndarray:
        """The 2x3 affine map from frame pixels to line-image pixels."""
        scale = LINE_HEIGHT / (self.height * (1 + 2 * LINE_MARGIN))
        width = self.image_width()
        theta = math.radians(self.angle)
        cos, sin = math.cos(theta) * scale, math.sin(theta) * scale
        # The line's direction (cos, sin) in the frame becomes the line image's x axis.
        matrix = np.array([[cos, sin, 0.0], [-sin, cos, 0.0]], np.float64)
        matrix[:, 2] = np.array([width / 2, LINE_HEIGHT / 2]) - matrix[:, :2] @ (self.cx, self.cy)
        return matrix

    def image_width(self) -> int:
        """Width of the line image: the line with its end margins, rounded up to WIDTH_STEP."""
        scale = LINE_HEIGHT / (self.height * (1 + 2 * LINE_MARGIN))
        width = (self.length + 2 * END_MARGIN * self.height) * scale
        return max(MIN_WIDTH, WIDTH_STEP * math.ceil(width / WIDTH_STEP))


def line_image(darkness: np.ndarray, line: LineGeometry) -> np.ndarray:
    """uint8 `[LINE_HEIGHT, W]` (white ink on black): the line cut out of the ink image along
    its direction, scaled to the reader's height, its ink stretched so strong ink is white."""
    matrix = line.to_line()
    width = line.image_width()
    shrink = (line.height * (1 + 2 * LINE_MARGIN)) / LINE_HEIGHT
    source = darkness
    if shrink > 2:  # area-average first: plain sampling of a big line would alias its strokes
        factor = int(shrink // 1.5)
        source = cv2.resize(
            darkness,
            (max(1, darkness.shape[1] // factor), max(1, darkness.shape[0] // factor)),
            interpolation=cv2.INTER_AREA,
        )
        matrix = matrix @ np.diag([factor, factor, 1.0])
    image = cv2.warpAffine(
        source, matrix, (width, LINE_HEIGHT), flags=cv2.INTER_LINEAR, borderValue=0
    )
    return widen_thin_strokes(stretch_ink(image))


def widen_thin_strokes(image: np.ndarray) -> np.ndarray:
    """The line image (uint8 [LINE_HEIGHT, W], ink white) with strokes a pixel wide widened to
    two. A fine pen's stroke on a big digit, or a far-off page's, is a pixel wide at the
    reader's scale; MNIST's strokes, which the reader learnt from, are two to three, and a lone
    thin 1 read as nothing, a big thin 0 too. Thin strokes: half the stroke pixels (_THIN_SHARE)
    are a pixel wide across their stroke, sideways or up and down; they are widened both ways.
    A line whose ends hold ink (printed rules or a grid running through it) is left as it is.
    """
    ink = image >= _STROKE_LEVEL
    # The ends of a line are its blank margins, unless printed rules or a grid run through
    # them: thin printed lines widened read as 1s.
    if ink[:, :WIDTH_STEP].any() or ink[:, -WIDTH_STEP:].any():
        return image
    # Measured both ways: a 0's top and bottom, or a 7's bar, are level strokes, a pixel tall
    # but runs of several pixels along the rows.
    padded = np.pad(ink, 1)
    alone_sideways = ~padded[1:-1, :-2] & ~padded[1:-1, 2:]
    alone_up_down = ~padded[:-2, 1:-1] & ~padded[2:, 1:-1]
    thin = ink & (alone_sideways | alone_up_down)
    if np.count_nonzero(thin) < _THIN_SHARE * max(1, np.count_nonzero(ink)):
        return image
    return cv2.dilate(image, np.ones((2, 2), np.uint8))


def stretch_ink(image: np.ndarray) -> np.ndarray:
    """The line's ink scaled so its strong ink (the _FULL_INK percentile of the pixels that are
    ink at all) reaches 255: a faint pencil or a dim room reads like a black pen."""
    inked = image[image >= _INK_LEVEL]
    if inked.size == 0:
        return image
    k = round(_FULL_INK / 100 * (inked.size - 1))
    level = float(np.partition(inked, k)[k])
    gain = min(_MAX_GAIN, 255.0 / max(level, 1.0))
    return cv2.convertScaleAbs(image, alpha=gain)


def quantile(values: np.ndarray, q: float) -> float:
    """The `q` quantile (0-1) of a 1-D array, the nearest value (np.partition: a fraction of
    np.percentile's cost on the small arrays this module measures)."""
    k = round(q * (len(values) - 1))
    return float(np.partition(values, k)[k])
