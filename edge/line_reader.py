"""A line of writing -> its digits: run the reader (LiteRT), CTC-decode, place each digit.

Each decoded digit's box comes from the columns that produced it: the line image is split
halfway between neighbouring digits' steps, the ink in each part that reaches the digit's steps
(less rows a printed rule runs along; not a word printed beside the number) is boxed, and that
box is mapped back into the frame through the line's own transform (tilt and scale included).
The reader knows digits only: what it reads on a printed word (`without_letters`) or on a
written +, -, = or x sign (`written_symbols`) is left out.
"""

import functools
import itertools
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import NamedTuple

import cv2
import numpy as np

from edge.ctc import (
    DecodedDigit,
    ctc_align_views,
    ctc_greedy_decode,
    ctc_greedy_labels,
    ctc_log_likelihoods,
)
from edge.events import Box, DigitPrediction
from edge.ink import LINE_HEIGHT, MIN_WIDTH, WIDTH_STEP, widen_thin_strokes
from edge.lines import Line, joined_groups
from edge.model import LineModel

log = logging.getLogger(__name__)

_BOX_INK = 96  # line-image level (0-255) that counts as the digit's ink when boxing it
_SLIGHT_TURN = 0.1  # tan of the slant under which a digit's box is turned back by its corners
_RULE_LENGTH = 26  # line-image px: a straight run along the line this long is a rule
_TALL_PIECE = 6  # line-image px: ink pieces shorter than this are not a digit's strokes
# Of the line image's height, each way from the middle of a digit's steps: its own ink reaches
# there (a digit is 0.2-0.8 heights wide; its steps lie within it).
_DIGIT_REACH = 0.3
# Of the line's height: pieces this near side by side are one mark's (a digit's broken stroke,
# a word's next letter).
_PIECE_GAP = 0.15
# Of the line's height: the tip of a neighbour's stroke in a digit's share reaches no further
# into it, and is no taller there; the neighbour's piece is at least `_TIP_OF` tall.
_TIP = 0.1
_TIP_HEIGHT = 0.3
_TIP_OF = 0.5
# Written symbols (`written_symbols`), of the line's usual digit height: a cross shorter than
# `_SYMBOL_HEIGHT` (an upright plus up to `_TALL_SYMBOL`), or ink flatter than `_FLAT`, about
# the digits' middle (within `_OFF_MIDDLE`).
_SYMBOL_HEIGHT = 0.8
_TALL_SYMBOL = 1.05
_OFF_A_TALL_CROSS = 0.03  # of a tall plus's ink, at most, off its bar and stem
_BEYOND = 3  # line-image px each side of a tall plus: its bar does not run on into them
_FLAT = 0.5
_OFF_MIDDLE = 0.2
_SYMBOL_INK = 48  # line-image level (0-255) a symbol's and a digit's height are measured at
_SYMBOL_REACH = 0.15  # of the line image's height, each way from a digit's middle
# Of the line image's height: a sign the reader passed over (`_marks_passed_over`) stands in a
# gap this wide between two digits, this far clear of each, is this wide, under this tall, and
# centred this near the middle.
_SIGN_ROOM = 0.5
_MARK_CLEAR = 0.07
_A_MARK = 0.2
_MARK_HEIGHT = 0.75
_MARK_OFF_MIDDLE = 0.15
_CROSS_SHAPE = 0.5  # a cross's height is at least this much of its width, and its width of it
# A sign's stem leaning this many px across per row, or more, is stood upright (`_upright`); one
# leaning more than `_MOST_LEAN` (24 degrees) is no stem: stood upright, a 4 leaning 35 degrees
# is a cross.
_LEAN = 0.15
_MOST_LEAN = 0.45
_DENSE = 0.5  # of the most ink in a row (a column): a symbol's bar (stem)
_X_STROKE = 0.5  # of a times sign's half-size: its ink lies this near its box's diagonals...
_ON_THE_X = 0.85  # ...this much of it...
_OUTER_X = 0.5  # ...and some of it this far out toward each corner, each way
_ON_THE_BARS = 0.8  # of an equals sign's ink on its bars
# A tick (`_a_tick`), of its height (width): each column's stroke at most `_TICK_STROKE` tall;
# its lowest point `_TICK_LOW` along it; its right end within `_TICK_TOP` of the top, its left
# end `_TICK_LEFT_ARM` down; at least `_TICK_WIDE` as wide as tall.
_TICK_STROKE = 0.7
_TICK_LOW = (0.15, 0.55)
_TICK_TOP = 0.25
_TICK_LEFT_ARM = (0.2, 0.75)
_TICK_WIDE = 0.6
# A slash (`_slashes`), of the digits' usual height: this much taller than they are, reaching
# within `_SLASH_BELOW` of their top and as far below their foot; a straight stroke (its
# rows' middles within `_SLASH_STRAIGHT` of its height of a line, `_SLASH_INKED` of its rows
# inked) leaning right this many degrees or more.
_SLASH_TALLER = 0.1
_SLASH_BELOW = 0.1
_SLASH_STRAIGHT = 0.1
_SLASH_LEAN = 15.0
_SLASH_INKED = 0.8
_ON_THE_CROSS = 0.9  # of a plus sign's ink on its bar and stem (a small 4's first stroke is near)
_BAR = 0.4  # of its width (height): a sign's bars (stem) are at most this thick
_SOLID = 0.8  # of a bar's length inked along its densest row
_ARM = 0.25  # of its size: each of a plus sign's four arms at least this long
_OUTER_ARM = 0.25  # of a cross's size from its middle: where its arms' outer halves start
_ACROSS = 0.8  # of a mark's columns: a line along the line through it is inked across them
_UNREAD_LETTERS = 2  # marks of a word read as nothing that make it a word, not a number
# Of the narrower piece's columns: pieces one above the other sharing this many are one mark (a
# thin pen's stroke broken in two, a letter's dot), not two letters side by side.
_SHARED_COLUMNS = 0.5
_X_HEIGHT = 0.8  # of a word's tallest piece: a small letter, not a digit (`_lower_case`)
_ON_BASELINE = 0.1  # of it: a small letter's foot is on the baseline, its top on the x-height
_X_HEIGHT_LEAST = 0.5  # of it: a small letter is no shorter
_AS_TALL_LETTERS = 1.25  # small letters are as tall as each other within this factor
_ROUND_LETTER = 0.75  # of its height: a small letter of print is at least this wide (a e n o s u)
_WORD_WIDTH = 1.2  # of the line image's height per digit read: a word's pieces spread wider
_WALL = 0.8  # of the line's height, and `_WALL_WIDTH` px thick at most: a box's wall, no letter
_WALL_WIDTH = 3
_SLIVER = 1.5  # px thick on average at most: a piece of a box's wall, whatever its height
_GREY_LEVEL = 48  # line-image level a label printed grey is found at
_GREY_PRINT = 160  # line-image level: a grey label's every piece stays under it, the writing's
# strokes reach full white
_LETTER_INK = 170  # line-image level a letter's piece is as bright as on average (a faint
# grid's fragments: 140-150)
_SURE = 0.9  # a line whose every digit is read this surely is read once
_SHIFTS = (1, -1)  # px down, up: the copies an unsure line is read again from
# A line image this many times as wide as tall holding one piece of writing, read unsurely,
# is read again squeezed along the line to these widths (`LineReader`).
_WIDE = 1.25
_SQUEEZES = (0.6, 0.8)
# Degrees: the slants, nearer and farther on each side, an unsure line of no known direction
# is cut again along (`LineReader`).
_TURNS = ((-15.0, -30.0), (15.0, 30.0))
# Of each side of a line's ink's bounding box, the share its outermost `_BOX_SIDE` px hold ink
# along: over this on all four sides, the ink is a box's outline (small printed boxes read as
# 0s turned: 0.38-0.76), not a digit (real-dev's digits turned 30 degrees: 0.07-0.25).
_BOXED = 0.35
_BOX_SIDE = 2
_STRETCHES = (0.8, 0.9, 1.1, 1.25)  # and the widths, times its own, it is read again at
_AGREED = 0.6  # shifted copies that read alike, each digit this sure on average, are enough
# A line is read again this many times as wide for a 1 left out (`_a_1_left_out`; 1.75 and
# 2.0 added 1s to real-dev's writers' lines, `python -m edge bench --real-lines`), and its
# reading with one 1 more weighed on views up to `_WIDER` times as wide.
_ONES_STRETCH = 1.5
_WIDER = 1.75
# Reading a line's pieces apart (`_pieces_read_apart`); chosen on real-dev's writers' lines
# and held-out scenes (printed lines and a sheet's edge read as 1s at lower settings).
_PIECE_INK = 64  # line-image level (0-255) that counts as ink when splitting a line in pieces
_PIECE_HEIGHT = 0.7  # of the tallest piece: a shorter one is a tick, a dot, a small letter
_STRONG_INK = 128  # a piece's ink reaches this (half the stretched ink's white), or is not writing
_PIECE_MARGIN = 8  # px of blank each side of a piece read on its own
_FAINT_INK = 40  # line-image level (0-255) over which a faint piece's ink is read as full ink
_PRESSED_INK = 192  # line-image level a faint piece's stroke reaches where it was pressed


def read_digits(model: LineModel, image: np.ndarray) -> list[DecodedDigit]:
    """The digits the reader reads in a line image (uint8 `[32, W]`, W a multiple of 4, see
    `LineModel.read`), CTC-decoded.

    A line read surely (every digit at least `_SURE`) is read once, by greedy decoding
    (`edge.ctc.ctc_greedy_decode`). Any other line is read again from other views of it, as
    the multi-crop evaluation of Krizhevsky, Sutskever & Hinton (2012) does. First from
    copies shifted a pixel down and up (where a stroke falls against the reader's pooling grid
    sways an unsure reading), their scores averaged: if the three read alike and each digit
    at least `_AGREED` on average, that is the reading. Else from copies stretched and
    squeezed along the line too (`_STRETCHES`: digits written close or touching get more or
    fewer column steps each). Each view's greedy reading, and the averaged scores', is a
    candidate; the one read is the candidate most likely over all the views taken together
    (the views' mean probability of it, each by CTC's forward algorithm,
    `edge.ctc.ctc_log_likelihoods`), placed on the averaged scores (`edge.ctc.ctc_align_views`).
    Each of its digits is as sure as the views read it: the median of its confidences on
    each view's alignment of that reading (`_confident_over`). A 1 written close beside a
    digit is faint on the averaged scores and sure on most stretched views: read, not "?".

    Measured on 3,000 strings of each kind composed from run L's validation digits (the 5,000
    MNIST training digits it held out: `train.training.split_validation` with its seed, 1;
    composed with seed 777; int8 run L), read exactly (no "?"), read once / shifted views
    averaged / as here: black on white 94.07 / 94.83 / 95.27 %; photographed 90.73 / 91.37 /
    91.83 %; written touching 74.63 / 75.20 / 76.47 %. Of those lines 9 %, 15 % and 33 % are
    read again, and 5 %, 8 % and 22 % stretched too. Confidences taken over all the views
    rather than on the averaged scores: real-dev's writers' digits set into lines
    (`python -m edge bench --real-lines`, seeds 5 / 6 / 7) 93.93 / 93.36 / 93.64 ->
    94.71 / 93.93 / 94.00 % exact; lines with a "?" 30 -> 14 at seed 5, lines misread
    without one 55 -> 60.

    Last, a 1 left out: two 1s written close or a 1 touching its neighbour (`_a_1_left_out`),
    and a 1 written close beside another digit (`_pieces_read_apart`).
    """
    views = _LineViews(model, image)
    digits = _a_1_left_out(views, _read_views(views))
    return _pieces_read_apart(model, image, digits)


class _LineViews:
    """A line image's scores, and those of the other views it may be read from, each read
    once, when first asked for (a line read surely needs none of them)."""

    def __init__(self, model: LineModel, image: np.ndarray):
        self.model = model
        self.image = image
        self.scores = model.read(image)

    @functools.cached_property
    def shifted(self) -> list[np.ndarray]:
        """Copies moved a pixel down and up (`_SHIFTS`)."""
        return [self.model.read(_shifted(self.image, dy)) for dy in _SHIFTS]

    @functools.cached_property
    def stretched(self) -> list[np.ndarray]:
        """Copies as high, `_STRETCHES` times as wide."""
        return [self.model.read(_stretched(self.image, f)) for f in _STRETCHES]

    def wider(self, factor: float) -> np.ndarray:
        return self.model.read(_stretched(self.image, factor))


def _likelihoods(views: list[np.ndarray], readings: list[tuple[int, ...]]) -> np.ndarray:
    """float64 `[len(readings)]`: each reading's log-likelihood over all the views together
    (their mean probability of it, by CTC's forward algorithm)."""
    return np.logaddexp.reduce(ctc_log_likelihoods(views, readings), axis=0)


def _read_views(views: _LineViews) -> list[DecodedDigit]:
    """`read_digits` before its last steps: the line's reading, from its other views when
    unsure."""
    digits = ctc_greedy_decode(views.scores)
    if all(digit.confidence >= _SURE for digit in digits):
        return digits
    same_width = [views.scores, *views.shifted]
    averaged = np.mean(same_width, axis=0, dtype=np.float32)
    greedy = ctc_greedy_decode(averaged)
    greedy_read = tuple(d.digit for d in greedy)
    readings = {greedy_read} | {ctc_greedy_labels(view) for view in same_width}
    if len(readings) == 1 and all(d.confidence >= _AGREED for d in greedy):
        return greedy
    readings |= {ctc_greedy_labels(view) for view in views.stretched}
    candidates = sorted(readings)  # a fixed order: ties go one way
    taken = same_width + views.stretched
    best = candidates[0]
    if len(candidates) > 1:
        best = candidates[int(np.argmax(_likelihoods(taken, candidates)))]
    placed, *on_views = ctc_align_views([averaged, *taken], best)
    if placed is None:
        return greedy
    return _confident_over(greedy if best == greedy_read else placed, on_views)


def _a_1_left_out(views: _LineViews, digits: list[DecodedDigit]) -> list[DecodedDigit]:
    """`digits` (read from the line of `views`), or the same with one 1 more, read from the
    line `_ONES_STRETCH` times as wide.

    CTC reads two equal digits only with a blank step between them (Graves et al. 2006), and
    the reader's steps are 4 px of the line: two 1s written closer than about a third of
    their height fall on neighbouring steps and read as one ("311" read "31"). And a 1
    written touching the digit beside it shares the steps of that digit's edge, and is often
    left out however surely the line reads ("10" read "0" at 0.99). Read wider, each gets
    steps of its own. The wide view's reading is taken when it is the line's digits with one
    1 more and every digit reads `_SURE` in it:
    - beside a 1, when the line's likeliest class is 1 on two neighbouring steps (two 1s
      close; a single 1 wide enough to span two steps reads as one 1 there too, and stays
      one);
    - else, when over the line's views (itself, shifted a pixel, stretched `_STRETCHES` and
      wider, as `_read_views` takes them) it is the likelier reading: a stroke of a digit
      (a 4's long stem, a 6's tall back, a tick beside a 7) that reads as a 1 on the wide
      view alone is left a stroke.
    Its digits are as sure as the wide view read them, their steps mapped back onto the
    line's own (for their boxes).

    Measured with run L on real-dev's writers' lines (`python -m edge bench --real-lines
    ../shared/data/real-dev`, seeds 5 / 6 / 7): two 1s close, 94.71 / 93.93 / 94.00 ->
    94.93 / 94.07 / 94.07 % (session 18); a 1 touching a digit, 95.64 / 95.00 / 94.71 ->
    95.93 / 95.14 / 94.71 %, none lost; uneven sizes 92.64 -> 93.00 %, pages of three lines
    1.5 / 1.3 heights apart 81.57 / 72.14 -> 81.79 / 72.64 %. 30,000 MNIST training digits
    read as lines, and 1,950 held-out scenes, each read as before; of 450 printed words
    beside numbers, one more misread ("Sold 1" read "5011"). The wide view alone, without
    the views' likelihoods, added a 1 to 3 of 10,000 training digits read alone. The cost:
    the bench's read median (`python -m edge bench --scenes 500`) 1.23-1.43 -> 1.86-1.88 ms a
    frame, alternating runs (every line that reads digits is read once more; those views
    only when the wide one reads one more 1).
    """
    if not digits:
        return digits
    read = tuple(d.digit for d in digits)
    wide_scores = views.wider(_ONES_STRETCH)
    wide = ctc_greedy_decode(wide_scores)
    more = tuple(d.digit for d in wide)
    if len(more) != len(read) + 1 or not _all_sure(wide):
        return digits
    at = next((i for i, digit in enumerate(read) if more[i] != digit), len(read))
    if more[at] != 1 or more[:at] + more[at + 1 :] != read:
        return digits
    best = views.scores.argmax(axis=1)
    ones_close = np.any((best[1:] == 1) & (best[:-1] == 1)) and 1 in read[max(0, at - 1) : at + 1]
    if not ones_close:
        taken = [views.scores, *views.shifted, *views.stretched, wide_scores, views.wider(_WIDER)]
        likelihoods = _likelihoods(taken, [read, more])
        if likelihoods[1] <= likelihoods[0]:
            return digits
    return _on_own_steps(wide, _ONES_STRETCH, len(views.scores) - 1)


def _pieces_read_apart(
    model: LineModel, image: np.ndarray, digits: list[DecodedDigit]
) -> list[DecodedDigit]:
    """`digits` (read from `image`), or the line read piece by piece (each run of inked
    columns on its own, `_writing_pieces`) when its writing stands in more pieces than digits
    were read, and the pieces read surely (every digit `_SURE`) the same digits with more
    added between or beside them.

    A thin 1 written close beside another digit (a tenth of a height apart) shares a 4 px step
    of the reader's with that digit's edge and is often left out ("41" read "4"), though it
    stands apart on the page and reads surely on its own; so, less often, is another digit
    (a thin 4 between 1s and 0s, "10400" read "1000"), or the second of two equal digits
    written close, which CTC reads as one without a blank step between them ("1899" read
    "189"). A letter of a word beside the number that reads as a digit on its own is still a
    word's (`without_letters`, after). A line read as nothing stays nothing.

    Measured with run L on real-dev's writers' lines (`python -m edge bench --real-lines
    ../shared/data/real-dev`, seeds 5 / 6 / 7): 94.93 / 94.07 / 94.07 -> 95.3 / 94.7 / 94.3 %
    with 1s added (session 18). Any digit added (session 49): 95.43 / 94.93 / 94.57 ->
    95.50 / 95.00 / 94.57 %, none lost; held-out scenes (MNIST training digits, seeds 5 / 7 /
    11 / 9) 1,840 -> 1,841 of 1,950, none lost; 450 printed words beside handwritten numbers
    (a `/tmp` script) read right as before (380).
    """
    if not digits:
        return digits
    pieces = _writing_pieces(image)
    if len(pieces) <= max(1, len(digits)):
        return digits
    apart = [digit for a, b in pieces for digit in _read_piece(model, image, a, b)]
    read = [d.digit for d in digits]
    more = [d.digit for d in apart]
    if any(d.confidence < _SURE for d in apart) or len(more) <= len(read):
        return digits
    if not _in_order(read, more):
        return digits
    return apart


def _in_order(shorter: list[int], longer: list[int]) -> bool:
    """Whether `shorter` is `longer` with some of its items left out."""
    remaining = iter(longer)
    return all(item in remaining for item in shorter)


def _writing_pieces(image: np.ndarray) -> list[tuple[int, int]]:
    """The column ranges `[a, b)` of a line image (uint8 `[32, W]`, ink white) that hold
    writing, with blank columns (no pixel `_PIECE_INK`) between them; none when ink reaches
    the image's blank ends, top or bottom (a printed rule, a box's side, a sheet's edge runs
    through). Pieces shorter than `_PIECE_HEIGHT` of the tallest (a tick, a dot, a small
    letter) or fainter than `_STRONG_INK` (texture, a shadow's rim) are left out."""
    ink = image >= _PIECE_INK
    if ink[:, :WIDTH_STEP].any() or ink[:, -WIDTH_STEP:].any() or ink[0].any() or ink[-1].any():
        return []
    columns = np.flatnonzero(ink.any(axis=0))
    if not len(columns):
        return []
    runs = np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1)
    pieces = [(int(run[0]), int(run[-1]) + 1) for run in runs]
    heights = [np.ptp(np.flatnonzero(ink[:, a:b].any(axis=1))) + 1 for a, b in pieces]
    return [
        (a, b)
        for (a, b), height in zip(pieces, heights, strict=True)
        if height >= _PIECE_HEIGHT * max(heights) and image[:, a:b].max() >= _STRONG_INK
    ]


def _read_piece(model: LineModel, image: np.ndarray, a: int, b: int) -> list[DecodedDigit]:
    """The digits greedily read in columns `[a, b)` of the line image set alone, with
    `_PIECE_MARGIN` px of blank each side, their steps mapped onto the line's own.

    A faint piece (most of its ink under `_STRONG_INK`, though pressed to `_PRESSED_INK`
    somewhere: a light hand's 1 beside bold digits, its ends pressed, a pen that skips
    mid-stroke) is faint in the line image, whose ink is scaled to the line's boldest strokes,
    and reads unsurely or not at all; unless read surely, it is read again with its ink (over
    `_FAINT_INK`) at full strength and a stroke a pixel wide widened (`widen_thin_strokes`),
    as the reader learnt strokes, and that reading is taken when sure. Measured with run L:
    real-dev's writers' lines (`python -m edge bench --real-lines ../shared/data/real-dev`,
    seeds 5 / 6 / 7) 95.50 / 95.00 / 94.57 -> 95.64 / 95.00 / 94.71 %, pages of three lines
    (`--rows 3`) 81.29 -> 81.57 %, none lost; held-out scenes (MNIST training digits, 1,950)
    and 450 printed words beside numbers read as before. Not for any piece read unsurely: a
    grey label's Q, its ink strong, read as a 0. Not for a piece faint all along: of 30,000
    MNIST training digits read as lines, a 1 with a faint line beside it (a scan's) read 11."""
    width = max(MIN_WIDTH, WIDTH_STEP * math.ceil((b - a + 2 * _PIECE_MARGIN) / WIDTH_STEP))
    alone = np.zeros((image.shape[0], width), np.uint8)
    left = (width - (b - a)) // 2
    alone[:, left : left + b - a] = image[:, a:b]
    last = image.shape[1] // WIDTH_STEP - 1

    def placed(step: int) -> int:  # the line's step under the middle of the piece's step
        middle = (step + 0.5) * WIDTH_STEP + a - left
        return min(last, max(0, int(middle // WIDTH_STEP)))

    decoded = ctc_greedy_decode(model.read(alone))
    inked = alone[alone >= _FAINT_INK]
    faint = np.median(inked) < _STRONG_INK and alone.max() >= _PRESSED_INK
    if faint and not _all_sure(decoded):
        full = np.where(alone >= _FAINT_INK, 255, 0).astype(np.uint8)
        again = ctc_greedy_decode(model.read(widen_thin_strokes(full)))
        if _all_sure(again):
            decoded = again
    return [
        replace(d, first_step=placed(d.first_step), last_step=placed(d.last_step)) for d in decoded
    ]


def _confident_over(
    digits: list[DecodedDigit], on_views: list[list[DecodedDigit] | None]
) -> list[DecodedDigit]:
    """`digits`, each with the median of its confidences on the views (their alignments of
    the same reading; 0 on a view too short to read it): the confidence of a reading chosen
    over all the views, not only over those it was placed on."""
    confidences = np.array(
        [
            [d.confidence for d in aligned] if aligned is not None else [0.0] * len(digits)
            for aligned in on_views
        ]
    )
    medians = np.median(confidences, axis=0)
    return [replace(d, confidence=float(m)) for d, m in zip(digits, medians, strict=True)]


def _shifted(image: np.ndarray, dy: int) -> np.ndarray:
    """The line image moved `dy` px down (up if negative), the rows left bare black (paper)."""
    moved = np.zeros_like(image)
    if dy > 0:
        moved[dy:] = image[:-dy]
    else:
        moved[:dy] = image[-dy:]
    return moved


def _stretched(image: np.ndarray, factor: float) -> np.ndarray:
    """The line image `factor` times as wide (its height kept), to the nearest multiple of
    `WIDTH_STEP` px."""
    width = max(WIDTH_STEP, WIDTH_STEP * round(image.shape[1] * factor / WIDTH_STEP))
    shrinking = width < image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (width, image.shape[0]), interpolation=interpolation)


class LineReader:
    """Reads lines with one `LineModel`; digits under `confidence` read as None ("?")."""

    def __init__(self, model: LineModel, confidence: float):
        self.model = model
        self.confidence = confidence

    def read(self, line: Line) -> list[list[DigitPrediction]]:
        """The numbers of `line`, left to right along it: its digits, with frame boxes, in the
        runs its written signs part (`written_symbols`, left out): "5 x 3 = 15" is three
        numbers, 5, 3 and 15, not "5315", and "9 - 4" two. A line of no sign is one number,
        and one that reads nothing none.

        A line of one piece of writing far wider than a digit is (`_one_wide_piece`) that
        reads one digit unsurely, or nothing, may be a digit seen from the side (a camera
        looking at the page obliquely squeezes it upright): it is read again squeezed along
        the line (`_SQUEEZES`), and one digit that both squeezes read surely, not a 1, is the
        reading. Measured (session 39): real-dev's single digits squeezed to 0.6 of their
        height, 129 -> 133 of 140, to 0.7 135 -> 136; held-out scenes (4,740) the same.

        A line whose direction the finder could not tell (`Line.turned`: one piece of ink on a
        page with no rules) is cut level; on a turned page, or under a camera mounted turned,
        its digit stands turned in it, up to the finder's 35 degrees.
        Unless it reads surely (every digit `_SURE`), or reads nothing and is not one piece of
        writing clear of its cut's edges and not boxed in (`_lone_writing`: a shadow's or a
        table's edge, a small printed box, which a turned cut can read as a digit), it is cut
        again turned 15 and 30 degrees to each side (`_TURNS`). A side whose two cuts each read
        the same digits surely, and not 1s alone (a straight edge turned upright), gives the
        reading; of two such sides, the surer (`_surest_turn`). Measured (session 39, lines
        that read nothing left level): real-dev's single digits turned 30 degrees on their own
        paper, 115 -> 120 of 140 read (turned either way at random, 109 -> 120), 20 degrees
        136 -> 136, 10 degrees 138 -> 139, upright 140 either way; held-out scenes (4,740,
        MNIST training digits) 4 more read right and 1 fewer (a crossed 7 in a box, read as a
        4 turned); the bench the same 472 of 500. Session 40, lines that read nothing cut
        turned when `_lone_writing`: turned real-dev 120 -> 123 (at random, 120 -> 125;
        `tests/test_real_handwriting.py`), held-out scenes (4,400) each read the same; of 65
        big lone letters and symbols on paper that read nothing, 6 read as a digit turned (of
        those 240 frames, 175 already read as digits level: an S as a 5, a Z as a 2).
        """
        decoded = read_digits(self.model, line.image)
        turnable = decoded or _lone_writing(line.image)
        if line.turned is not None and turnable and not _all_sure(decoded):
            line, decoded = self._surest_turn(line, decoded, line.turned)
        if len(decoded) <= 1 and not _all_sure(decoded) and _one_wide_piece(line.image):
            decoded = self._squeezed(line.image, decoded)
        read = without_letters(line.image, decoded)
        if len(read) < len(decoded):
            log.debug(
                "line at %s: %d digit(s) read on a printed word left out",
                line.box,
                len(decoded) - len(read),
            )
        inks = digit_inks(line.image, read)
        if any(ink.symbol for ink in inks):
            log.debug(
                "line at %s: %d written sign(s) (+, - or =) left out",
                line.box,
                sum(ink.symbol for ink in inks),
            )
        numbers: list[list[DigitPrediction]] = [[]]
        for d, ink in zip(read, inks, strict=True):
            if (ink.symbol or ink.after_a_mark) and numbers[-1]:  # a sign ends a number
                numbers.append([])
            if ink.symbol:
                continue
            digit = d.digit if d.confidence >= self.confidence else None
            box = _frame_box(line, ink.box)
            numbers[-1].append(DigitPrediction(digit, round(d.confidence, 4), box))
        return [number for number in numbers if number]

    def _surest_turn(
        self, line: Line, decoded: list[DecodedDigit], turned: Callable[[float], Line]
    ) -> tuple[Line, list[DecodedDigit]]:
        """`line` and its `decoded` digits, or a cut of it turned to one side (`turned`, as
        `Line.turned`) and its digits: of the sides whose two slants (`_TURNS`) each read the
        same digits surely, not 1s alone, the one whose nearer slant reads its least sure
        digit surest."""
        best, best_least = (line, decoded), 0.0
        for near, far in _TURNS:
            view = turned(near)
            digits = read_digits(self.model, view.image)
            read = [d.digit for d in digits]
            if not _all_sure(digits) or set(read) == {1}:
                continue
            again = read_digits(self.model, turned(far).image)
            least = min(d.confidence for d in digits)
            if _all_sure(again) and [d.digit for d in again] == read and least > best_least:
                best, best_least = (view, digits), least
        return best

    def _squeezed(self, image: np.ndarray, decoded: list[DecodedDigit]) -> list[DecodedDigit]:
        """`decoded` (read from the line `image`), or one digit that each of `_SQUEEZES`
        reads surely, not a 1, placed on the line's own steps."""
        narrow, wider = (read_digits(self.model, _stretched(image, f)) for f in _SQUEEZES)
        read = [d.digit for d in narrow]
        if len(read) != 1 or read == [1] or read != [d.digit for d in wider]:
            return decoded
        if not (_all_sure(narrow) and _all_sure(wider)):
            return decoded
        # (The reader gives a step per WIDTH_STEP px of the line.)
        return _on_own_steps(narrow, _SQUEEZES[0], image.shape[1] // WIDTH_STEP - 1)


def _lone_writing(image: np.ndarray) -> bool:
    """Whether a line image (uint8 `[32, W]`) holds one piece of writing (`_writing_pieces`:
    clear of the image's edges, so no shadow's or table's edge runs through) whose ink is not
    `_BOXED` in: a digit's strokes touch the sides of its bounding box at a few points, a
    box's outline runs along all four."""
    if len(_writing_pieces(image)) != 1:
        return False
    ink = image >= _PIECE_INK
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    inked = ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    sides = (
        inked[:_BOX_SIDE].any(axis=0),
        inked[-_BOX_SIDE:].any(axis=0),
        inked[:, :_BOX_SIDE].any(axis=1),
        inked[:, -_BOX_SIDE:].any(axis=1),
    )
    return min(float(side.mean()) for side in sides) < _BOXED


def _one_wide_piece(image: np.ndarray) -> bool:
    """Whether a line image (uint8 `[32, W]`) holds one piece of writing (`_writing_pieces`)
    and is at least `_WIDE` times as wide as tall: a digit's is about as wide as tall."""
    return image.shape[1] >= _WIDE * image.shape[0] and len(_writing_pieces(image)) == 1


def _on_own_steps(digits: list[DecodedDigit], factor: float, last: int) -> list[DecodedDigit]:
    """`digits` read from a view `factor` times as wide as a line, their steps mapped back to
    the line's own (0 to `last`), for their boxes."""

    def back(step: int) -> int:
        return min(last, max(0, round((step + 0.5) / factor - 0.5)))

    return [replace(d, first_step=back(d.first_step), last_step=back(d.last_step)) for d in digits]


def _all_sure(digits: list[DecodedDigit]) -> bool:
    """Whether a line read something, every digit at least `_SURE`."""
    return bool(digits) and all(d.confidence >= _SURE for d in digits)


def without_letters(image: np.ndarray, decoded: list[DecodedDigit]) -> list[DecodedDigit]:
    """`decoded` less the digits read on a printed word's letters: a word is pieces of ink side by
    side at most `_PIECE_GAP` heights apart, and one with `_UNREAD_LETTERS` marks on which no
    digit was read near is no number (a meter log's printed "Date" read as 0), nor is one of two
    pieces or more wider than `_WORD_WIDTH` heights for each digit read on it (a header's "Gas"
    read as one 5, boxed on the whole word), nor one with print's small letters (`_lower_case`)
    read as fewer digits than it has marks: a number reads a digit on each, print reads some
    letters as blank (the reader learnt words beside numbers as blank), and a writer's digits in
    uneven sizes can stand as small letters do. Measured (session 47): real-dev's writers'
    lines with each digit 0.75-1.25 times the line's size (`python -m edge bench --real-lines
    ../shared/data/real-dev --uneven-sizes 0.25 --seed 5`) 91.9 -> 92.6 %; the new user's
    pages' printed headers are still words ("Used" read "05", "Gas" "65").
    A piece near a digit's steps is that digit's (a 4's second stroke, a 5's flag): within
    `_DIGIT_REACH` of the line's height for a piece as tall as the tallest, less in proportion
    for a shorter one, so that a digit read on a label's letter, printed smaller than the number
    written after it, does not reach its neighbours too ("Bill 86" read "186": the 1 read on its
    last l counted its i as read, one letter unread). Measured (session 49) on 450 printed words
    beside handwritten numbers (a `/tmp` script): 380 -> 390 read as the number alone; held-out
    scenes and real-dev's writers' lines (seeds 5 / 6 / 7, uneven sizes) as many right as
    before. And a box's or a rule's full-height line beside a digit is no letter. A mark is
    the pieces one above the other in the same columns (`_stacked`): a thin pen's 1 broken in
    two that the reader left out is one mark unread, not two letters (real-dev's writers'
    "91301" read nothing, now "9130").
    The pieces are `_BOX_INK` ink, as tall as `_TALL_PIECE` (no speck), as bright as
    `_LETTER_INK` (no fragment of a faint grid between digits) and shorter than a rule
    (`_RULE_LENGTH`).
    A label printed grey beside the writing (a form's "Date", "Issued on" before its boxes) is
    fainter than `_LETTER_INK` in the line image, whose ink is stretched to the writing's: its
    word is found among the pieces of fainter ink (`_GREY_LEVEL`), every piece of it under
    `_GREY_PRINT` where the writing reaches full white, and it is no number when it has
    `_UNREAD_LETTERS` marks unread (its capital D read as a 0). A faint digit beside bold
    ones is read (its marks all read), and a faint grid's pieces beside a digit make no word
    with it. Measured (session 58) on session 55's 43 photos of forms filled in handwriting
    fonts (a `/tmp` trial): 25 -> 26 read exactly, two more with fewer digits read on labels;
    held-out scenes (MNIST training digits, 3,600), real-dev and the other 1,057 trial images
    read as before."""
    if not decoded:
        return decoded
    height = image.shape[0]
    centres = np.array([(run_centre(d) + 0.5) * WIDTH_STEP for d in decoded])
    letters = np.zeros(len(decoded), bool)
    # Print is as bright as the writing in the line image; a grid's or a box's lines, which
    # break into pieces between digits, are shown fainter (`edge.lines`).
    bright = _letter_pieces(image, _BOX_INK)
    bright = bright.only(bright.brightness >= _LETTER_INK)
    read = _read_pieces(bright, centres, height)
    for word in _words(bright, height):
        on_word = _on(bright, word, centres)
        wide = bright.ends[word].max() - bright.starts[word].min() > _WORD_WIDTH * height * max(
            np.count_nonzero(on_word), 1
        )
        stacked = _stacked(bright.starts[word], bright.ends[word])
        marks = joined_groups(stacked)
        unread = sum(not read[word][mark].any() for mark in marks)
        # (A number reads a digit on each mark; print reads fewer, letters as blank.)
        fewer = np.count_nonzero(on_word) < len(marks)
        if (
            unread >= _UNREAD_LETTERS
            or (word.stop - word.start >= 2 and wide)
            or (fewer and _lower_case(bright.only(word), stacked))
        ):
            letters |= on_word
    grey = _letter_pieces(image, _GREY_LEVEL)
    read = _read_pieces(grey, centres, height)
    for word in _words(grey, height):
        if (grey.peaks[word] >= _GREY_PRINT).any():
            continue
        marks = joined_groups(_stacked(grey.starts[word], grey.ends[word]))
        if sum(not read[word][mark].any() for mark in marks) >= _UNREAD_LETTERS:
            letters |= _on(grey, word, centres)
    return [d for d, letter in zip(decoded, letters, strict=True) if not letter]


class _Pieces(NamedTuple):
    """A line image's pieces of ink that may be letters, left to right: their first and
    one-past-last columns, top and bottom rows (line-image px) and mean and brightest levels
    (0-255), `[n]` each."""

    starts: np.ndarray
    ends: np.ndarray
    tops: np.ndarray
    bottoms: np.ndarray
    brightness: np.ndarray
    peaks: np.ndarray

    def only(self, kept: np.ndarray | slice) -> "_Pieces":
        """The pieces `kept` (bool `[n]`, or a slice of them)."""
        return _Pieces(*(values[kept] for values in self))


def _letter_pieces(image: np.ndarray, level: int) -> _Pieces:
    """The pieces of a line image (uint8 `[32, W]`, ink white) at `level` and over that may be
    letters: as tall as `_TALL_PIECE` (no speck), shorter than a rule (`_RULE_LENGTH`), neither
    a box's wall nor a sliver of one, nor cut off by the line image's ends."""
    height = image.shape[0]
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (image >= level).view(np.uint8), connectivity=8
    )
    brightness = np.bincount(labels.ravel(), image.ravel(), count)[1:] / stats[1:, cv2.CC_STAT_AREA]
    peaks = np.zeros(count, np.uint8)
    np.maximum.at(peaks, labels.ravel(), image.ravel())
    left, width = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_WIDTH]
    top, heights = stats[1:, cv2.CC_STAT_TOP], stats[1:, cv2.CC_STAT_HEIGHT]
    # (Its width on average across its height: a box's wall may stand tilted.)
    thickness = stats[1:, cv2.CC_STAT_AREA] / np.maximum(heights, 1)
    wall = (heights >= _WALL * height) & (thickness <= _WALL_WIDTH)
    # A pixel thick: what is left of a faint box's walls (a letter's strokes are thicker).
    sliver = thickness <= _SLIVER
    # What the cut's end cuts off runs on past it (a rule, a sheet's edge and the desk past
    # it where the frame cuts a note): no letter.
    cut_off = (left == 0) | (left + width >= image.shape[1])
    keep = (heights >= _TALL_PIECE) & ~wall & ~sliver & (width < _RULE_LENGTH) & ~cut_off
    order = np.flatnonzero(keep)[np.argsort(left[keep])]
    return _Pieces(
        left[order], (left + width)[order], top[order], (top + heights)[order],
        brightness[order], peaks[1:][order],
    )  # fmt: skip


def _read_pieces(pieces: _Pieces, centres: np.ndarray, height: int) -> np.ndarray:
    """bool `[n]`: which pieces a digit was read near (its steps' centre, line-image px): within
    `_DIGIT_REACH` of the line's `height` for a piece as tall as the tallest, less in
    proportion for a shorter one."""
    tall = pieces.bottoms - pieces.tops
    reaches = _DIGIT_REACH * height * tall / max(1, tall.max(initial=0))  # px each piece
    return np.array(
        [
            bool(np.any((centres >= a - reach) & (centres < b + reach)))
            for a, b, reach in zip(pieces.starts, pieces.ends, reaches, strict=True)
        ],
        bool,
    )


def _words(pieces: _Pieces, height: int) -> Iterator[slice]:
    """The words of `pieces` (left to right): runs of them at most `_PIECE_GAP` of the line's
    `height` apart."""
    first, count = 0, len(pieces.starts)
    for index in range(1, count + 1):
        if index < count and pieces.starts[index] - pieces.ends[first:index].max() <= (
            _PIECE_GAP * height
        ):
            continue
        yield slice(first, index)
        first = index


def _on(pieces: _Pieces, word: slice, centres: np.ndarray) -> np.ndarray:
    """bool: which digits (their steps' centres, line-image px) were read on a word's pieces."""
    return (centres >= pieces.starts[word].min() - WIDTH_STEP) & (
        centres < pieces.ends[word].max() + WIDTH_STEP
    )


def _stacked(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """bool [n, n]: which pieces (their first and one-past-last columns, line-image px, [n]
    each) share `_SHARED_COLUMNS` of the narrower one's columns: they stand one above the other,
    pieces of one mark. Print's letters stand side by side."""
    column = np.newaxis
    shared = np.minimum(ends[:, column], ends) - np.maximum(starts[:, column], starts)
    narrower = np.minimum((ends - starts)[:, column], ends - starts)
    stacked = shared >= _SHARED_COLUMNS * narrower
    np.fill_diagonal(stacked, False)
    return stacked


def _lower_case(word: _Pieces, stacked: np.ndarray) -> bool:
    """Whether a word's pieces (`word`, three or more; which stand one above the other, `_stacked`)
    hold two small letters of print or more: from `_X_HEIGHT_LEAST` to `_X_HEIGHT` of its
    tallest piece, their feet on its baseline (the median foot) and their tops on one line below
    the tallest's top, as tall as each other within `_AS_TALL_LETTERS`, about as wide as tall
    (`_ROUND_LETTER`: print's a, e, n, o, s, u; a digit is narrower than tall), with no piece
    above them in their columns (a 4 written in two strokes: its first stroke above its bar and
    stem; a thin pen's 6 broken in two: its loop under the stroke down into it). A number's
    digits stand about as tall as each other; a printed word's small letters, alike, lower than
    its capitals and tall letters ("Total:" read "701", "Used" read "05"). Measured (session
    45): held-out scenes (seeds 5, 7, 11, 9, 61, 62) and real-dev's writers' lines (seeds 5, 6,
    7) read as before; without the piece above, 4 of real-dev's writers' lines at seed 6 read
    nothing. Session 47: a piece that shares its columns and rises above it counts too, not only
    one wholly above (real-dev's writers' "6690" in a thin pen read nothing). And a small letter
    must be about as wide as tall: digits written in uneven sizes (each 0.75-1.3 times the
    line's size, real-dev's writers' digits on one baseline) have two smaller ones alike beside
    a taller one often enough, and 25 of 420 such lines read nothing (seed 5); 3 with the width.
    Of Hershey print's words (7 faces, 4 sizes, 40 words) 635 renderings were small letters, 596
    with the width; the new user's pages read as before."""
    tops, bottoms, starts, ends = word.tops, word.bottoms, word.starts, word.ends
    if len(tops) < 3:
        return False
    heights = bottoms - tops
    tallest = heights.max()
    baseline = np.median(bottoms)
    column = np.newaxis
    # A piece above it, across its columns (a 4's first stroke), or rising above it in its
    # columns (a broken 6's stroke down into its loop): another stroke of the same digit.
    above = (bottoms[:, column] <= tops + _ON_BASELINE * tallest) & (starts[:, column] < ends)
    above &= ends[:, column] > starts
    rising = stacked & (tops[:, column] < tops - _ON_BASELINE * tallest)
    capped = (above | rising).any(axis=0)
    small = (
        (heights <= _X_HEIGHT * tallest)
        & (heights >= _X_HEIGHT_LEAST * tallest)
        & (np.abs(bottoms - baseline) <= _ON_BASELINE * tallest)
        & (tops >= tops.min() + (1 - _X_HEIGHT) * tallest)
        & (ends - starts >= _ROUND_LETTER * heights)
        & ~capped
    )
    # Print's small letters are alike: as tall as each other, their tops on one line (a thin
    # pen's digits broken into pieces are not).
    return bool(
        np.count_nonzero(small) >= 2
        and np.ptp(tops[small]) <= _ON_BASELINE * tallest
        and heights[small].max() <= _AS_TALL_LETTERS * heights[small].min()
    )


def run_centre(digit: DecodedDigit) -> float:
    """The middle of the steps where a decoded digit was the likeliest class."""
    return (digit.first_step + digit.last_step) / 2


class DigitInk(NamedTuple):
    """Where a decoded digit's ink lies in its line image: `box` (x0, y0, x1, y1, px), its
    own ink's or, with none found, its whole share of the line; whether that ink is a
    written symbol's, not a digit's (`written_symbols`); and whether a mark the reader read
    nothing in stands between it and the digit before (`_marks_passed_over`)."""

    box: tuple[float, float, float, float]
    symbol: bool
    after_a_mark: bool


def _frame_box(line: Line, box: tuple[float, float, float, float]) -> Box:
    """The frame box of a digit whose ink lies in `box` (x0, y0, x1, y1) of `line`'s image.

    In a line cut along a slant (a turned page's line, or a cut turned for the reader to try),
    about its ink pixels (at the digit's own level, `_box_level`) mapped back,
    not the box's corners: a box turned back is wider than what it holds, and an upright 1
    read in a cut turned 30 degrees was boxed half its height wide."""
    # (Turned a few degrees, a box's corners widen it by little: those are boxed as before.)
    (along, across), _ = np.abs(line.to_frame[:, :2])
    x0, y0, x1, y1 = (round(value) for value in box)
    region = line.image[y0:y1, x0:x1]
    if across <= _SLIGHT_TURN * along or not region.size:
        return line.frame_box(*box)
    ys, xs = np.nonzero(region >= _box_level(region))
    if not len(xs):  # a share of the line with no ink in it (read on blank columns)
        return line.frame_box(*box)
    xs, ys = xs + x0, ys + y0
    # (Each pixel's four corners: a pixel turned back spans more than its centre.)
    return line.frame_box_around(
        np.concatenate([xs, xs + 1, xs, xs + 1]), np.concatenate([ys, ys, ys + 1, ys + 1])
    )


def digit_inks(image: np.ndarray, decoded: list[DecodedDigit]) -> list[DigitInk]:
    """The ink of each decoded digit of a line image (uint8 `[32, W]`; see the module's
    docstring), and which of them are written symbols (`written_symbols`)."""
    if not decoded:
        return []
    width = image.shape[1]
    centres = [(run_centre(d) + 0.5) * WIDTH_STEP for d in decoded]
    bounds = [0.0] + [(a + b) / 2 for a, b in itertools.pairwise(centres)] + [float(width)]
    # Printed rules and underlines run along the line, longer than any stroke of a digit (a
    # 7's bar is under 20 px here): they say nothing of where a digit is. Looked for in the
    # whole line, at the usual level: at a faint digit's, touching digits' strokes run as long.
    slanting = cv2.dilate((image >= _BOX_INK).view(np.uint8), np.ones((3, 1), np.uint8))
    rules = cv2.morphologyEx(slanting, cv2.MORPH_OPEN, np.ones((1, _RULE_LENGTH), np.uint8))

    @functools.cache
    def pieces(level: int) -> tuple[np.ndarray, np.ndarray]:
        """The line's ink pieces at `level`, less the rules (labels, stats): most digits share
        a level (a third of full white), so a line's pieces are found once, not per digit."""
        inked = cv2.subtract((image >= level).view(np.uint8), rules)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(inked, connectivity=8)
        return labels, stats

    reach = _DIGIT_REACH * image.shape[0]
    found, read = [], []
    for (left, right), centre, digit in zip(
        itertools.pairwise(bounds), centres, decoded, strict=True
    ):
        share = (int(left), max(int(left) + 1, int(np.ceil(right))))
        near = (max(share[0], round(centre - reach)), min(share[1], round(centre + reach) + 1))
        steps = (digit.first_step * WIDTH_STEP, (digit.last_step + 1) * WIDTH_STEP)
        found.append(_digit_ink(image, pieces, share, near, steps))
        read.append(steps)
    # About its own ink, or the steps that read it where it has no stroke as tall as a digit's,
    # or only a sliver of one (a sign whose strokes run into a neighbour it touches, "4=28",
    # boxed as the neighbour's).
    columns = [
        (ink[0], ink[2]) if ink is not None and ink[2] - ink[0] >= WIDTH_STEP else (c, c)
        for ink, c in zip(found, centres, strict=True)
    ]
    symbols = written_symbols(image, columns, rules)
    ticks = _ticks(image, rules, decoded, found)
    slashes = _slashes(image, rules, decoded, found, read)
    symbols = [
        symbol or tick or slash for symbol, tick, slash in zip(symbols, ticks, slashes, strict=True)
    ]
    marks = _marks_passed_over(pieces, rules, found, read)
    return [
        DigitInk(ink if ink is not None else (left, 0, right, image.shape[0]), symbol, mark)
        for ink, symbol, mark, (left, right) in zip(
            found, symbols, marks, itertools.pairwise(bounds), strict=True
        )
    ]


def _marks_passed_over(
    pieces: Callable[[int], tuple[np.ndarray, np.ndarray]],
    rules: np.ndarray,
    inks: list[tuple[int, int, int, int] | None],
    steps: list[tuple[int, int]],
) -> list[bool]:
    """For each digit of a line, whether a sign the reader read as blank stands between its
    ink and the ink of the digit before (`inks`: each digit's box, x0, y0, x1, y1, line-image
    px, or None), and between the columns of the steps that read them (`steps`, start and
    end: where a digit's ink was not all boxed): a widely spaced "6   x   3   =   18" is
    read "6318". Such a sign stands in a gap at least `_SIGN_ROOM` of the line's height
    wide, as a piece of ink (`pieces(level)`: the line's pieces at a level, less its rules,
    as `cv2.connectedComponentsWithStats` gives them, labels and stats) wholly inside it and
    `_MARK_CLEAR` of the line's height clear of both digits (nearer, it is a broken
    stroke's): at least `_A_MARK` of the line's height wide, under `_MARK_HEIGHT` of it tall,
    centred within `_MARK_OFF_MIDDLE` of its middle, where signs stand, and clear of the rows
    of the line's printed rules (`rules`, uint8 0/1; a rule's faint stretch between two
    digits is as flat as a minus). Not a box's or a grid's upright lines, nor the specks,
    dots and broken strokes of a gap between digits written close."""
    clear = _MARK_CLEAR * LINE_HEIGHT  # nearer a digit, a piece is its broken stroke's
    gaps: list[tuple[float, float] | None] = [None]
    for (before, read_before), (ink, read) in itertools.pairwise(zip(inks, steps, strict=True)):
        start, end = (
            (max(before[2], read_before[1]), min(ink[0], read[0]))
            if before is not None and ink is not None
            else (0, 0)
        )
        gaps.append(
            (start + clear, end - clear) if end - start >= _SIGN_ROOM * LINE_HEIGHT else None
        )
    if not any(gaps):
        return [False] * len(gaps)
    stats = pieces(_SYMBOL_INK)[1]
    left, top = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP]
    width, height = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    right, bottom = left + width, top + height
    ruled = np.flatnonzero(cv2.dilate(rules, np.ones((5, 1), np.uint8)).any(axis=1))
    marks = (width >= _A_MARK * LINE_HEIGHT) & (height < _MARK_HEIGHT * LINE_HEIGHT)
    marks &= np.abs((top + bottom) / 2 - LINE_HEIGHT / 2) <= _MARK_OFF_MIDDLE * LINE_HEIGHT
    for row in ruled:
        marks &= (row < top) | (row >= bottom)
    return [
        gap is not None and bool((marks & (left >= gap[0]) & (right <= gap[1])).any())
        for gap in gaps
    ]


def written_symbols(
    image: np.ndarray, columns: list[tuple[float, float]], rules: np.ndarray
) -> list[bool]:
    """Which of a line's digits, read about `columns` (start, end, line-image px) of a line
    image (uint8 `[32, W]`), are a written +, -, = or x (the reader knows digits only: a
    child's sum "46 + 7 = 53" read "4647537"). Its ink, in its columns and `_SYMBOL_REACH` each way
    from their middle, lies about the middle of the line's digits' ink (`_OFF_MIDDLE` of
    their usual height, the median) and is flat (under `_FLAT` of that height: a minus, an
    equals sign), or is a plus or an equals sign's shape (`_a_symbol`) under
    `_SYMBOL_HEIGHT` of it (or a times sign's, `_a_times_sign`), or an upright plus up to
    `_TALL_SYMBOL` of it (a child's plus is
    often as tall as the digits: "47 + 32" read "47432"), judged without a faint rule
    running under it (`_faint_rows_across`). Height alone is no sign: MNIST's
    wide digits, scaled to fit its box, stand lower than the rest; of 1,561 digits in
    held-out scenes' lines (session 45), none stood under 0.5 of their line's usual height, 11
    under 0.8. Heights are measured at `_SYMBOL_INK`, fainter than a digit is boxed at (a
    faint digit beside bold ones breaks into specks there), less `rules` (uint8 0/1, the
    printed rules and underlines along the line, as `digit_inks` finds them; their fainter
    rims too). A line of one mark has no line to measure it against: there only such a plus
    is a sign (a column sum's plus, written left of its number, is a line of its own, and read
    "4": homework sums, session 48). Of two marks, the shorter is measured against the
    taller ("7 =" in a times table), and is a sign only when flat or a times sign."""
    ruled = cv2.dilate(rules, np.ones((3, 1), np.uint8)) > 0
    unruled = np.where(ruled, 0, image)
    inked = unruled >= _SYMBOL_INK

    def a_plus(left: int, right: int) -> bool:
        """Whether the mark in columns `[left, right)` is a plus as tall as the digits."""
        region = unruled[:, left:right]
        ys, xs = np.nonzero(_own_ink(region))
        # (Judged first as it is, at once: a rule under a plus leaves it at least half as wide
        # as tall, and its top quarter a stem's.)
        if len(ys) == 0 or np.ptp(xs) + 1 < _CROSS_SHAPE * (np.ptp(ys) + 1):
            return False
        if not _a_stem_on_top(ys - ys.min(), xs):
            return False
        # Then without a faint rule through it, one that runs on beyond it on one side at
        # least (it may fade out at the other).
        beyond = inked[:, max(0, left - 1)] | inked[:, min(right, inked.shape[1] - 1)]
        across = _faint_rows_across(region, beyond)
        mark = np.where(across[:, np.newaxis] & (region < int(region.max()) // 2), 0, region)
        if not _a_symbol(mark, tall=True) or _faint_strokes_beside(mark):
            return False
        # A rule not found through a 1 is a bar on a stem too, but it runs on beyond the mark
        # both ways along its densest row; a plus's bar ends.
        bar = int(np.argmax((mark >= _SYMBOL_INK).sum(axis=1)))
        rows = slice(max(0, bar - 1), bar + 2)
        return not (
            inked[rows, max(0, left - _BEYOND) : left].any()
            and inked[rows, right : right + _BEYOND].any()
        )

    reach = _SYMBOL_REACH * image.shape[0]
    ranges, spans, widths = [], [], []
    for start, end in columns:
        middle = (start + end) / 2
        left = max(0, round(min(start, middle - reach)))
        right = round(max(end, middle + reach)) + 1
        # A mark whose ink was not boxed (a sign's flat bars are no digit's strokes) is taken
        # at a third of its brightest, where that is above `_SYMBOL_INK`: a faint grid's lines
        # above and below a bold equals sign made it as tall as the line.
        region = unruled[:, left:right]
        ink = region >= _SYMBOL_INK if end > start else _own_ink(region)
        rows = np.flatnonzero(ink.any(axis=1))
        ranges.append((left, right))
        spans.append((rows[0], rows[-1] + 1) if len(rows) else (0, 0))
        if end > start:
            widths.append(end - start)
        else:
            across = np.flatnonzero(ink.any(axis=0))
            widths.append(np.ptp(across) + 1 if len(across) else 0)
    heights = np.array([bottom - top for top, bottom in spans], np.float64)
    middles = np.array([(top + bottom) / 2 for top, bottom in spans])

    def ruled_through(height: float, top: int, left: int, right: int) -> bool:
        """A rule through the mark, or one its ink runs into (a small digit's foot, cut off
        by it, leaves a flat mark); not one clear under it (a column sum's bar under its
        plus)."""
        bottom = top + round(height)
        if not ruled[max(0, top - 2) : bottom + 2, left:right].any():
            return False
        edges = [row for row in (top - 1, bottom) if 0 <= row < image.shape[0]]
        touching = (image[edges, left:right] >= _SYMBOL_INK).any()
        return bool(ruled[top:bottom, left:right].any() or touching)

    def is_sign(
        height: float,
        mid: float,
        top: int,
        left: int,
        right: int,
        usual: float,
        middle: float,
        beside_one: bool = False,
        width: float = 0.0,
    ) -> bool:
        if height == 0 or abs(mid - middle) > _OFF_MIDDLE * usual:
            return False  # (no ink there at this level: a faint digit, not judged)
        if ruled_through(height, top, left, right):
            return False  # a rule through it: a small digit cut by it is as flat as a sign
        if height < _FLAT * usual:
            # (Beside one digit, a flat sign is wider than tall: a 0 written small beside a
            # table's edge, taken for a tall 7, is not.)
            return not beside_one or width >= height or _a_times_sign(unruled[:, left:right])
        if height < _SYMBOL_HEIGHT * usual:
            region = unruled[:, left:right]
            # (Beside one digit, a small blurred 2 in a dim frame was a plus or an equals sign
            # to `_a_symbol`: its curve and foot are its bars.)
            return _a_times_sign(region) or (not beside_one and _a_symbol(region))
        return not beside_one and height < _TALL_SYMBOL * usual and a_plus(left, right)

    if len(columns) == 2:  # a sign beside one digit ("7 =" in a times table): measured by it
        digit = int(np.argmax(heights))
        mark = 1 - digit
        signs = [False, False]
        signs[mark] = is_sign(
            heights[mark], middles[mark], spans[mark][0], *ranges[mark],
            usual=float(heights[digit]), middle=float(middles[digit]), beside_one=True,
            width=widths[mark],
        )  # fmt: skip
        return signs
    if len(columns) < 3:  # no line to measure a mark against: only a plus is a sign
        # (Where no rule was found through it: a 5's top stroke runs on into a 7's as one.)
        return [
            height > 0 and not ruled_through(height, top, *span) and a_plus(*span)
            for height, (top, _), span in zip(heights, spans, ranges, strict=True)
        ]
    usual = float(np.median(heights))
    middle = float(np.median(middles))
    return [
        is_sign(height, mid, top, *span, usual=usual, middle=middle)
        for height, mid, (top, _), span in zip(heights, middles, spans, ranges, strict=True)
    ]


def _a_symbol(region: np.ndarray, tall: bool = False) -> bool:
    """`_a_symbol_as_written`, or, once its stem is stood upright (`_upright`), only a plus as
    a tall one is (all its ink on its bar and stem): a hand's plus leans, its stem 10-25
    degrees off upright, and a leaning stem is no column of ink ("11 + 7 = 18" on a ruled page
    read "114718"); a leaning 4 stood upright is a cross with its first stroke beside it."""
    if _a_symbol_as_written(region, tall):
        return True
    upright = _upright(region)
    return upright is not None and _a_symbol_as_written(upright, tall=True)


def _upright(region: np.ndarray) -> np.ndarray | None:
    """The ink in a `region` of a line image (uint8 `[h, w]`) sheared so that its stem, the
    middles of the rows it crosses alone (rows inked across under a third of its width, at
    least half of its rows), stands upright; None when it leans under `_LEAN` (already
    upright) or more than `_MOST_LEAN` (dx per row), or has no such stem."""
    ink = _own_ink(region)
    rows = np.flatnonzero(ink.any(axis=1))
    if len(rows) == 0:
        return None
    first = ink[rows].argmax(axis=1)
    last = ink.shape[1] - 1 - ink[rows, ::-1].argmax(axis=1)
    across = last - first + 1
    stem = across < (last.max() - first.min() + 1) / 3
    if np.count_nonzero(stem) < max(3, len(rows) / 2):
        return None
    slope = np.polyfit(rows[stem], (first[stem] + last[stem]) / 2, 1)[0]
    if not _LEAN <= abs(slope) <= _MOST_LEAN:
        return None
    pad = int(np.ceil(abs(slope) * region.shape[0] / 2)) + 1
    padded = cv2.copyMakeBorder(region, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=0)
    middle = (rows[0] + rows[-1]) / 2
    shear = np.array([[1.0, -slope, slope * middle], [0.0, 1.0, 0.0]])
    return cv2.warpAffine(padded, shear, padded.shape[::-1], flags=cv2.INTER_LINEAR)


def _a_symbol_as_written(region: np.ndarray, tall: bool = False, bold: bool = False) -> bool:
    """Whether the ink in a `region` of a line image (uint8 `[32, w]`) is a plus, an equals or a
    minus sign: on bars (the rows with at least `_DENSE` of the most ink in a row) and stems
    (such columns), as one bar crossing one stem with arms at least `_ARM` of its size each way
    from their middles, each at most `_BAR` of its size thick, `_ON_THE_CROSS` of it (+), or as
    one or two solid bars (`_a_bar`), `_ON_THE_BARS` of it (=, -). Not thin (a 1). A 4's bar and
    stem cross, but its first stroke lies off both; a 7's bar and a 2's foot are only a part of
    them. A mark as `tall` as the digits is only a plus, with all its ink on its bar and stem
    (`_OFF_A_TALL_CROSS`), and above and below its bar only its stem, upright (a crossed 7's
    top stroke lies off its bar, however short; a blotted 2's loop and foot stand wide of its
    thick middle, which is as solid as an equals sign's bars). A sign written a few degrees
    turned is allowed a pixel beside its bar and stem toward their ends and at their crossing's
    corners. An equals sign written `bold` (its bars bridged by the pen's blur at the usual
    level: one bar, too thick) is looked at again at two thirds of its brightest."""
    # At the symbol's own level, as a digit is boxed (`_digit_ink`): fainter, a bold pen's
    # blur bridges an equals sign's bars.
    level = int(region.max()) * 2 // 3 if bold else int(region.max()) // 3
    ys, xs = np.nonzero(region >= max(_SYMBOL_INK, level))
    if len(ys) == 0:
        return False
    top, left = ys.min(), xs.min()
    rows, columns = np.bincount(ys - top), np.bincount(xs - left)
    height, width = len(rows), len(columns)
    if width < _CROSS_SHAPE * height:
        return False
    if tall and not _a_stem_on_top(ys - top, xs):
        return False
    bars = np.flatnonzero(rows >= _DENSE * rows.max())
    on_bars = np.isin(ys - top, bars)
    runs = _runs(bars)
    if np.count_nonzero(on_bars) >= _ON_THE_BARS * len(ys):  # =, -
        if tall:
            return False
        if len(runs) == 1 and len(runs[0]) > _BAR * width and not bold:
            return _a_symbol_as_written(region, bold=True)
        return len(runs) <= 2 and all(
            _a_bar(run, rows, xs[np.isin(ys - top, run)], width) for run in runs
        )
    if height < _CROSS_SHAPE * width:
        return False
    stems = np.flatnonzero(columns >= _DENSE * columns.max())
    on_stems = np.isin(xs - left, stems)
    bar, stem = bars.mean(), stems.mean()  # their middles
    # A sign written a few degrees turned leaves its bar's rows (its stem's columns) toward
    # its ends: there, in each arm's outer half, ink a pixel beside them is theirs; by the
    # crossing, only its corners' (a pen's blur), not ink beside the stem there: where a 4's
    # first stroke meets it.
    beside_bars, beside_stems = (
        np.isin(ys - top, _widened(bars)),
        np.isin(xs - left, _widened(stems)),
    )
    near_bars = on_bars | (beside_bars & (np.abs(xs - left - stem) >= _OUTER_ARM * width))
    near_stems = on_stems | (beside_stems & (np.abs(ys - top - bar) >= _OUTER_ARM * height))
    on_the_cross = near_bars | near_stems | (beside_bars & beside_stems)
    if np.count_nonzero(on_the_cross) < _ON_THE_CROSS * len(ys):
        return False
    # One bar and one stem, each a stroke, not the body of a small blotted digit.
    if len(runs) != 1 or len(_runs(stems)) != 1:
        return False
    if len(bars) > _BAR * height or len(stems) > _BAR * width:
        return False
    arms = (
        stem - (xs[on_bars] - left).min(),
        (xs[on_bars] - left).max() - stem,
        bar - (ys[on_stems] - top).min(),
        (ys[on_stems] - top).max() - bar,
    )
    if min(arms) < _ARM * max(height, width):
        return False
    if not tall:
        return True
    off_the_bar = xs[~near_bars]
    stem_alone = len(off_the_bar) == 0 or np.ptp(off_the_bar) < _BAR * height
    return stem_alone and np.count_nonzero(~on_the_cross) <= _OFF_A_TALL_CROSS * len(ys)


def _ticks(
    image: np.ndarray,
    rules: np.ndarray,
    decoded: list[DecodedDigit],
    inks: list[tuple[int, int, int, int] | None],
) -> list[bool]:
    """Which of a line's `decoded` digits, their ink in `inks` (boxes x0, y0, x1, y1 in the
    line image, uint8 `[32, W]`, or None), are a tick (`_a_tick`) read as a 1, or as two 1s
    (an arm each, their ink boxed apart). Only 1s: an MNIST 5 whose bar stands off its body
    has a tick's shape, and reads as a 5."""
    ones = [d.digit == 1 and ink is not None for d, ink in zip(decoded, inks, strict=True)]
    ticks = [
        one and _a_tick(_mark_of(image, rules, ink)) for one, ink in zip(ones, inks, strict=True)
    ]
    for first in range(len(decoded) - 1):
        if ones[first] and ones[first + 1] and not (ticks[first] or ticks[first + 1]):
            (x0, y0, x1, y1), (u0, v0, u1, v1) = inks[first], inks[first + 1]
            both = (min(x0, u0), min(y0, v0), max(x1, u1), max(y1, v1))
            ticks[first] = ticks[first + 1] = _a_tick(_mark_of(image, rules, both))
    return ticks


def _slashes(
    image: np.ndarray,
    rules: np.ndarray,
    decoded: list[DecodedDigit],
    inks: list[tuple[int, int, int, int] | None],
    steps: list[tuple[int, int]],
) -> list[bool]:
    """Which of a line's `decoded` digits are a date's or a fraction's slash read as a 1
    ("07/03/2019" read "0710312019", "3/4" "314"): a mark read as a 1 between two digits,
    the tallest piece of ink across the steps that read it (`steps`, columns start and end;
    a slash's ink, leaning across its neighbours' shares of the line, is not boxed as its
    own) in the line image (uint8 `[32, W]`) at `_SYMBOL_INK` less its `rules` (uint8 0/1),
    its gaps of a pixel closed (a fine pen's thin stroke breaks up), `_SLASH_TALLER` taller
    than the other digits' usual height (their ink's at that level in the columns of their
    ink boxes, `inks`: x0, y0, x1, y1 or None; median top to median foot), reaching within
    `_SLASH_BELOW` of it of their top and as far below their foot, and a straight stroke
    leaning right (`_a_slash`). A 1 stands on the line with the digits; an MNIST 1 beside
    wide digits (scaled to fit MNIST's box, they stand lower) only stands taller."""
    slashes = [False] * len(decoded)
    if all(digit.digit != 1 for digit in decoded[1:-1]):
        return slashes  # (the common line, looked at no further)
    inked = cv2.subtract((image >= _SYMBOL_INK).view(np.uint8), rules)
    closed = cv2.morphologyEx(inked, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    for index in range(1, len(decoded) - 1):
        others = [ink for other, ink in enumerate(inks) if other != index and ink is not None]
        if decoded[index].digit != 1 or len(others) < 2:
            continue
        start, end = steps[index]
        touched = np.unique(labels[:, start:end])
        touched = touched[touched > 0]
        if len(touched) == 0:
            continue
        piece = touched[np.argmax(stats[touched, cv2.CC_STAT_HEIGHT])]
        x, y, width, height = (int(v) for v in stats[piece, :4])
        # The other digits' top and foot, at the same level, without the piece leaning into
        # their columns.
        rest = (labels > 0) & (labels != piece)
        spans = [np.flatnonzero(rest[:, x0:x1].any(axis=1)) for x0, _, x1, _ in others]
        spans = [rows for rows in spans if len(rows)]
        if len(spans) < 2:
            continue
        top = float(np.median([rows[0] for rows in spans]))
        foot = float(np.median([rows[-1] + 1 for rows in spans]))
        beyond = _SLASH_BELOW * (foot - top)
        long = height >= (1 + _SLASH_TALLER) * (foot - top)
        if long and y <= top + beyond and y + height >= foot + beyond:
            slashes[index] = _a_slash(labels[y : y + height, x : x + width] == piece)
    return slashes


def _a_slash(mark: np.ndarray) -> bool:
    """Whether a mark (bool `[h, w]`, its ink in its box) is one straight stroke leaning right:
    one run of ink across each row (a fine pen's stroke may break off in a few:
    `_SLASH_INKED` of them hold ink), their middles within `_SLASH_STRAIGHT` of its height of
    a straight line leaning `_SLASH_LEAN` degrees or more from upright, top to the right."""
    height = len(mark)
    rows = [np.flatnonzero(row) for row in mark]
    inked = [y for y, row in enumerate(rows) if len(row)]
    if len(inked) < _SLASH_INKED * height or any(len(_runs(rows[y])) > 1 for y in inked):
        return False
    ys = np.array(inked, np.float64)
    middles = np.array([rows[y].mean() for y in inked])
    slope, offset = np.polyfit(ys, middles, 1)
    straight = np.abs(middles - (slope * ys + offset)).max() <= _SLASH_STRAIGHT * height
    return bool(straight and -slope >= math.tan(math.radians(_SLASH_LEAN)))


def _box_level(region: np.ndarray) -> int:
    """The line-image level (0-255) of a digit's own ink in a `region` of it (uint8), as it is
    boxed: a third of its brightest, at most `_BOX_INK`."""
    return max(1, min(_BOX_INK, int(region.max()) // 3))


def _own_ink(region: np.ndarray) -> np.ndarray:
    """bool: the ink of a mark in a `region` of a line image (uint8) at its own level, a third
    of its brightest, at least `_SYMBOL_INK` (as a digit is boxed, `_digit_ink`: a faint
    grid's lines or a rule's fringe beside a bold sign are not its ink)."""
    return region >= max(_SYMBOL_INK, int(region.max()) // 3)


def _mark_of(image: np.ndarray, rules: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """bool: the ink of a mark in a line image (uint8 `[32, W]`) in its `box` (x0, y0, x1,
    y1), at a third of its brightest (at least `_SYMBOL_INK`), less the line's `rules` (uint8
    0/1)."""
    x0, y0, x1, y1 = box
    region = np.where(rules[y0:y1, x0:x1] > 0, 0, image[y0:y1, x0:x1])
    return _own_ink(region)


def _a_tick(mark: np.ndarray) -> bool:
    """Whether a mark (bool `[h, w]`, its ink in its box) is a tick, a teacher's check mark
    beside an answer, which the reader reads as a 1 ("61" ticked read "611"; `_ticks`): a V
    leaning right, one stroke across each column (a run under `_TICK_STROKE` of its height,
    its arms slanting; a 7's, a 4's and a flagged 1's columns cross two strokes, a 1's stem
    stands upright), falling from its left end to its lowest point in the left part
    (`_TICK_LOW`, of its width), then rising to its right end at the top (within `_TICK_TOP`
    of its height): the left arm the shorter, ending `_TICK_LEFT_ARM` of its height below the
    top. At least `_TICK_WIDE` as wide as tall: a slanting 1 is narrower."""
    height, width = mark.shape
    if width < _TICK_WIDE * height or height < _TALL_PIECE:
        return False
    inked = mark.sum(axis=0)
    first = mark.argmax(axis=0)
    last = height - 1 - mark[::-1].argmax(axis=0)
    # One run in each column: as many inked pixels as its span holds.
    if not inked.all() or (inked != last - first + 1).any() or inked.max() > _TICK_STROKE * height:
        return False
    middles = (first + last) / 2
    lowest = int(np.argmax(middles))
    low, high = _TICK_LOW
    if not low * width <= lowest <= high * width:
        return False
    falling, rising = middles[: lowest + 1], middles[lowest:]
    return bool(
        middles[-1] <= _TICK_TOP * height
        and _TICK_LEFT_ARM[0] * height <= middles[0] <= _TICK_LEFT_ARM[1] * height
        and np.all(np.diff(falling) >= -1)
        and np.all(np.diff(rising) <= 1)
    )


def _a_times_sign(region: np.ndarray) -> bool:
    """Whether the ink in a `region` of a line image (uint8 `[32, w]`), at its own level as
    `_a_symbol` takes it, is a times sign: about as wide as tall (`_CROSS_SHAPE`), `_ON_THE_X`
    of it within `_X_STROKE` of its box's diagonals (of half its size), with ink out toward all
    four corners (a times table's "5 x 7" read "577"). A digit's strokes run off its diagonals:
    an 8's loops, a 4's upright, a 7's bar."""
    ys, xs = np.nonzero(_own_ink(region))
    if len(ys) == 0:
        return False
    height, width = np.ptp(ys) + 1, np.ptp(xs) + 1
    if width < _CROSS_SHAPE * height or height < _CROSS_SHAPE * width:
        return False
    # Each pixel's place in its box, -1 to 1 each way.
    across = (xs - (xs.min() + xs.max()) / 2) / max(1.0, (width - 1) / 2)
    down = (ys - (ys.min() + ys.max()) / 2) / max(1.0, (height - 1) / 2)
    on_the_x = (np.abs(across - down) <= _X_STROKE) | (np.abs(across + down) <= _X_STROKE)
    if np.count_nonzero(on_the_x) < _ON_THE_X * len(ys):
        return False
    corners = [(across * x > _OUTER_X) & (down * y > _OUTER_X) for x in (-1, 1) for y in (-1, 1)]
    return all(corner.any() for corner in corners)


def _a_stem_on_top(ys: np.ndarray, xs: np.ndarray) -> bool:
    """Whether a mark's ink (rows `ys` from its top, columns `xs`) is a stem alone in its top
    quarter, above any bar: a tall plus's is (most digits are wide there)."""
    height = ys.max() + 1
    high = xs[ys < max(1, height // 4)]
    return bool(np.ptp(high) < _BAR * height)


def _faint_strokes_beside(mark: np.ndarray) -> bool:
    """Whether a mark (uint8 `[32, w]`, a line image's region) has faint ink in its box (down
    to `_SYMBOL_INK`) more than a pixel from its strokes (at `_a_symbol`'s level), over
    `_OFF_A_TALL_CROSS` of theirs: a thin pen's open 4, its first stroke fainter than its bar
    and stem, is a plus at that level (a plus's blur lies by its strokes)."""
    strokes = _own_ink(mark).view(np.uint8)
    ys, xs = np.nonzero(strokes)
    box = slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)
    near = cv2.dilate(strokes, np.ones((3, 3), np.uint8)) > 0
    beside = np.count_nonzero(((mark >= _SYMBOL_INK) & ~near)[box])
    return beside > _OFF_A_TALL_CROSS * len(ys)


def _widened(indices: np.ndarray) -> np.ndarray:
    """Sorted row (column) `indices` and those a pixel either side of them."""
    return np.unique(np.concatenate([indices - 1, indices, indices + 1]))


def _faint_rows_across(region: np.ndarray, beyond: np.ndarray) -> np.ndarray:
    """bool `[32]`: the rows of a mark's `region` of a line image (uint8 `[32, w]`) that a
    faint line runs along (a rule under a plus, a second bar to it; its pixels under half the
    mark's brightest are the rule's, not the plus's stem crossing it), and a row either side.
    Each row with its neighbours' (a slanting rule changes rows along it): inked across
    `_ACROSS` of the columns and on `beyond` them (bool `[32]`: ink just outside the region;
    a thin pen's faint top stroke of a 7 ends within it), under half the mark's brightest along
    them. Not within two rows of a bright stroke across them: its blurred rim (a 7's top
    stroke's)."""
    half = int(region.max()) // 2
    banded = cv2.dilate(region, np.ones((3, 1), np.uint8))
    # (Under half its brightest along most of the row: its median is.)
    faint = ((banded >= _SYMBOL_INK).mean(axis=1) >= _ACROSS) & (
        (banded >= half).mean(axis=1) < 0.5
    )
    faint &= np.convolve(beyond, np.ones(3), "same") > 0
    bright = (region >= half).mean(axis=1) >= _ACROSS / 2
    near_bright = np.convolve(bright, np.ones(5), "same") > 0
    return np.convolve(faint & ~near_bright, np.ones(3), "same") > 0


def _a_bar(run: np.ndarray, rows: np.ndarray, xs: np.ndarray, width: int) -> bool:
    """Whether the ink on a `run` of rows (indices into `rows`, the ink per row; `xs`, the
    columns of the ink on them) of a mark `width` px wide is a pen's bar: at most `_BAR` of
    the width thick, across at least `_DENSE` of it, and solid along its row with the most
    ink (`_SOLID`; the pieces a printed grid leaves are broken)."""
    extent = np.ptp(xs) + 1
    return bool(
        len(run) <= _BAR * width and extent >= _DENSE * width and rows[run].max() >= _SOLID * extent
    )


def _runs(indices: np.ndarray) -> list[np.ndarray]:
    """Sorted `indices` cut into runs of consecutive ones."""
    return np.split(indices, np.flatnonzero(np.diff(indices) > 1) + 1)


def _digit_ink(
    image: np.ndarray,
    pieces: Callable[[int], tuple[np.ndarray, np.ndarray]],
    share: tuple[int, int],
    near: tuple[int, int],
    steps: tuple[int, int],
) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1, line-image px) of a digit's ink in its `share` of a line image
    (columns start, end), whose columns `near` hold the `steps` that read it (columns start,
    end); None without ink. `pieces`: the line's ink pieces at a level, less printed rules
    (labels, stats).

    Only pieces reaching those columns are the digit's, and the pieces close beside them (a
    broken stroke): a word printed beside a number falls in the first or last digit's share
    (a "Room" left of a 7 was boxed as the 7). The ink's level is the digit's own (a third of
    its brightest near its steps, at most `_BOX_INK`): a pen's thin strokes beside bold print
    are fainter than the print in the line image, normalized as a whole, and break into
    specks at the print's level.

    Not the tip of a neighbour's stroke reaching over the share's edge, low and off the
    digit's steps: the end of a 7's bar over a 1 written after it stood in the 1's box, three
    times the 1's width. (A stem standing at the edge, a stroke the digit shares with a
    neighbour it touches, and a fragment of a broken stroke stay the digit's.) Measured:
    real-dev's writers' 2, 3, 5 and 7 photographed beside their 1, 7 of 96 boxes over 1.5
    times as wide as the digit's box read alone -> none; 300 held-out scenes (MNIST training
    digits, seed 5, every condition) mean IoU with the true boxes 0.767 -> 0.774, boxes
    over 1.5 times the truth's width 57 -> 50, every scene read as before.
    """
    level = _box_level(image[:, near[0] : near[1]])
    # What is left of rules (a rule's fainter stretch drops below the level in places) is a
    # thin sliver; a digit's strokes stand tall. (Pieces of the whole line: a stroke that
    # crosses into the neighbour's share is as tall as it is.)
    labels, stats = pieces(level)
    labels = labels[:, share[0] : share[1]]
    left = np.maximum(stats[:, cv2.CC_STAT_LEFT], share[0])
    right = np.minimum(stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH], share[1])
    reached = np.zeros_like(left, dtype=bool)
    reached[np.unique(labels[:, max(0, steps[0] - share[0]) : max(0, steps[1] - share[0])])] = True
    inside = right - left
    tip = (inside < stats[:, cv2.CC_STAT_WIDTH]) & (inside <= _TIP * image.shape[0]) & ~reached
    tip &= stats[:, cv2.CC_STAT_HEIGHT] >= _TIP_OF * image.shape[0]  # no fragment of a stroke
    for piece in np.flatnonzero(tip):  # a bar's end is low; a stem standing there is the digit's
        rows = np.flatnonzero((labels == piece).any(axis=1))
        tip[piece] = len(rows) and np.ptp(rows) < _TIP_HEIGHT * image.shape[0]
    tall = stats[:, cv2.CC_STAT_HEIGHT] >= _TALL_PIECE
    tall[0] = False
    present = np.zeros_like(tall)
    present[np.unique(labels)] = True
    mine = np.zeros_like(tall)
    mine[np.unique(labels[:, near[0] - share[0] : near[1] - share[0]])] = True
    mine &= tall & ~tip
    if not mine.any():  # the digit's strokes lie off its steps: whatever stands in its share
        mine = tall & present & ~tip
    if not mine.any():
        mine = tall & present
    if not mine.any():
        return None
    gap = _PIECE_GAP * image.shape[0]
    grown = True
    while grown:
        start, end = left[mine].min(), right[mine].max()
        beside = tall & present & ~mine & ~tip & (left <= end + gap) & (right >= start - gap)
        grown = bool(beside.any())
        mine |= beside
    rows, cols = np.nonzero(mine[labels])
    return (
        share[0] + int(cols.min()),
        int(rows.min()),
        share[0] + int(cols.max()) + 1,
        int(rows.max()) + 1,
    )
