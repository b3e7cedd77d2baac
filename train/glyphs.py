"""Digits drawn as pen strokes, for the handwriting styles MNIST lacks.

MNIST's writers (US census staff and students) write a 1 as a bare stroke and a 7 without a
bar. Much of the world does not: a continental 1 has a flag (and often a foot), a 7 is crossed,
a 4 is two strokes that do not meet at the top, a 5's bar is lifted clear of its stem, a 9
has a straight stem. Each digit here is a few strokes in a unit box (x 0..0.7, y 0..1, y down),
every point jittered so no two are alike.
"""

import math

import cv2
import numpy as np

from edge.scenes import inked_part

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """Points along an ellipse from `start` to `end` degrees (0 = right, 90 = down)."""
    steps = max(4, int(abs(end - start) / 12))
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in np.linspace(start, end, steps)
    ]


def digit_strokes(digit: int, rng: np.random.Generator) -> list[Stroke]:
    """One way of writing `digit`, as strokes in the unit box; the style is drawn from `rng`."""
    style = rng.random()
    if digit == 0:
        return [_arc(0.35, 0.5, 0.3, 0.5, -90 + 20 * style, 290)]
    if digit == 1:
        stem = [(0.4, 0.0), (0.35 - 0.1 * style, 1.0)]
        if style < 0.25:
            return [stem]
        strokes = [[(0.1, 0.3 + 0.1 * rng.random()), stem[0], stem[1]]]  # continental flag
        if rng.random() < 0.4:
            strokes.append([(0.1, 1.0), (0.6, 1.0)])  # foot
        return strokes
    if digit == 2:
        top = _arc(0.35, 0.28, 0.3, 0.28, 190, 370 + 10 * style)
        return [[*top, (0.03, 1.0), (0.7, 0.98)]]
    if digit == 3:
        upper = _arc(0.33, 0.26, 0.3, 0.25, 210, 450)
        lower = _arc(0.33, 0.72, 0.34, 0.28, 270, 510)
        if style < 0.3:  # flat-topped 3
            return [[(0.05, 0.0), (0.65, 0.0), (0.3, 0.42), *lower[3:]]]
        return [upper + lower]
    if digit == 4:
        if style < 0.45:  # open top: two strokes that do not meet
            return [[(0.1, 0.0), (0.05, 0.62), (0.7, 0.62)], [(0.5, 0.05), (0.52, 1.0)]]
        return [[(0.5, 0.0), (0.0, 0.65), (0.7, 0.65)], [(0.5, 0.0), (0.5, 1.0)]]
    if digit == 5:
        bowl = _arc(0.33, 0.68, 0.33, 0.3, 220, 490)
        if style < 0.4:  # the bar written last, lifted clear of the stem
            lift = 0.1 + 0.15 * rng.random()
            return [[(0.08, 0.05), (0.06, 0.43), *bowl[1:]], [(lift + 0.1, 0.0), (0.7, -0.02)]]
        return [[(0.08, 0.05), (0.06, 0.43), *bowl[1:]], [(0.08, 0.02), (0.65, 0.0)]]
    if digit == 6:
        loop = _arc(0.35, 0.72, 0.3, 0.27, 180, 540)
        return [[(0.6, 0.0), (0.25, 0.25), (0.06, 0.6), *loop]]
    if digit == 7:
        strokes = [[(0.02, 0.05 + 0.15 * (style < 0.3)), (0.02, 0.0), (0.7, 0.0), (0.25, 1.0)]]
        if style > 0.5:  # crossed
            strokes.append([(0.2, 0.5), (0.62, 0.48)])
        return strokes
    if digit == 8:
        return [_arc(0.35, 0.25, 0.25, 0.25, 90, 450) + _arc(0.35, 0.74, 0.32, 0.26, -90, 270)]
    # 9: a loop and a stem, curved or straight
    loop = _arc(0.35, 0.28, 0.3, 0.28, 0, 360)
    if style < 0.5:
        return [[*loop, (0.65, 0.28), (0.64, 1.0)]]
    return [[*loop, (0.65, 0.3), (0.6, 0.75), (0.35, 1.0), (0.1, 0.9)]]


def draw_digit(digit: int, height: int, pen: float, rng: np.random.Generator) -> np.ndarray:
    """Ink opacity (float32 0-1, `height` rows, width to fit) of `digit` written with a pen
    `pen` px wide: strokes jittered by up to 4 % of the height, anti-aliased."""
    strokes = digit_strokes(digit, rng)
    wobble = 0.04 * height
    margin = pen / 2 + wobble + 1
    width = int(0.7 * height + 2 * margin) + 1
    canvas = np.zeros((height + int(2 * margin) + 1, width), np.uint8)
    shift = 4  # sub-pixel precision of the drawing (1/16 px)
    for stroke in strokes:
        points = np.array(stroke, np.float64) * (height - 1)
        points += rng.normal(0, wobble / 2, points.shape).clip(-wobble, wobble)
        points += margin
        cv2.polylines(
            canvas,
            [np.round(points * (1 << shift)).astype(np.int32)],
            isClosed=False,
            color=255,
            thickness=max(1, round(pen)),
            lineType=cv2.LINE_AA,
            shift=shift,
        )
    return canvas.astype(np.float32) / 255.0


def _pen_width(runs: np.ndarray) -> int:
    """A written digit's stroke width, px: the median ink run of its inked rows (`runs`, ink
    pixels per row, at least one row inked)."""
    return max(1, int(np.median(runs[runs > 0])))


def with_continental_strokes(glyph: np.ndarray, digit: int, rng: np.random.Generator) -> np.ndarray:
    """A written 1 or 7 (float32 ink opacity, cropped to its ink) with the stroke a continental
    writer adds: a 1's flag down-left from its top (and sometimes a foot), a 7's bar across its
    stem. The stroke is as wide as the digit's own (the median ink run of its rows), so an
    MNIST digit keeps its writer's hand. Other digits are returned as they are."""
    if digit not in (1, 7):
        return glyph
    h, _ = glyph.shape
    ink = glyph > 0.5
    runs = ink.sum(axis=1)
    if not runs.any():
        return glyph
    pen = _pen_width(runs)
    rows = np.flatnonzero(runs)
    strokes: list[tuple[tuple[float, float], tuple[float, float]]] = []
    if digit == 1:
        top = rows[0]
        x = float(np.flatnonzero(ink[top]).mean())
        length, angle = rng.uniform(0.3, 0.5) * h, math.radians(rng.uniform(25, 60))
        strokes.append(((x, top), (x - length * math.cos(angle), top + length * math.sin(angle))))
        if rng.random() < 0.3:
            bottom = rows[-1]
            x = float(np.flatnonzero(ink[bottom]).mean())
            half = rng.uniform(0.15, 0.25) * h
            strokes.append(((x - half, bottom), (x + half, bottom)))
    else:
        y = int(rng.uniform(0.45, 0.6) * h)
        if not runs[y]:
            return glyph
        x = float(np.flatnonzero(ink[y]).mean())
        half = rng.uniform(0.15, 0.25) * h
        tilt = rng.uniform(-0.05, 0.05) * h
        strokes.append(((x - half, y + tilt), (x + half, y - tilt)))
    xs = [x for stroke in strokes for x, _ in stroke]
    left = max(0, math.ceil(pen - min(xs)))
    right = max(0, math.ceil(max(xs) + pen - glyph.shape[1]))
    canvas = cv2.copyMakeBorder(glyph, pen, pen, left, right, cv2.BORDER_CONSTANT, value=0)
    drawn = np.zeros(canvas.shape, np.uint8)
    for (x0, y0), (x1, y1) in strokes:
        ends = np.round(np.array([[x0 + left, y0 + pen], [x1 + left, y1 + pen]]) * 16).astype(int)
        cv2.line(drawn, tuple(ends[0]), tuple(ends[1]), 255, pen, cv2.LINE_AA, shift=4)
    return inked_part(np.maximum(canvas, drawn.astype(np.float32) / 255.0))


def with_lifted_bar(glyph: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A written 5 (float32 ink opacity, cropped to its ink) whose bar is lifted clear of the
    stem, as many writers add it last: the ink of the top quarter right of the stem is moved up
    and right by 4-15 % of the height, leaving a gap at the stem's top."""
    h, w = glyph.shape
    ink = glyph > 0.5
    band, low = max(1, round(0.25 * h)), round(0.45 * h)
    lefts = [int(np.argmax(ink[y])) for y in range(band, low) if ink[y].any()]
    if not lefts:
        return glyph
    pen = _pen_width(ink.sum(axis=1))
    stem = int(np.median(lefts)) + pen  # the bar begins right of the stem's stroke
    if stem >= w - 2:
        return glyph
    up, right = (round(rng.uniform(0.04, 0.1) * h), round(rng.uniform(0.05, 0.15) * h))
    canvas = cv2.copyMakeBorder(glyph, up, 0, 0, right, cv2.BORDER_CONSTANT, value=0)
    bar = canvas[up : up + band, stem:w].copy()
    canvas[up : up + band, stem:w] = 0.0
    region = canvas[0:band, stem + right : w + right]
    np.maximum(region, bar, out=region)
    return inked_part(canvas)
