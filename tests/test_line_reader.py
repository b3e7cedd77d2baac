"""Reading a line: once when the reader is sure, else the reading most likely over several views."""

import math
from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np
import pytest

from edge.ctc import BLANK, DecodedDigit, ctc_greedy_decode
from edge.ink import LINE_HEIGHT, WIDTH_STEP
from edge.line_reader import (
    LineReader,
    digit_inks,
    read_digits,
    without_letters,
    written_symbols,
)
from edge.lines import Line, LineGeometry


class ScriptedReader:
    """Stands in for a LineModel: gives the scores it is handed, in turn, and keeps what it
    was asked to read."""

    def __init__(self, *scores: np.ndarray):
        self.scores = list(scores)
        self.seen: list[np.ndarray] = []

    def read(self, image: np.ndarray) -> np.ndarray:
        self.seen.append(image.copy())
        return self.scores[len(self.seen) - 1]


def steps(*labels: int, sure: float) -> np.ndarray:
    """float32 [T, 11]: per-step probabilities whose likeliest class is each label in turn."""
    scores = np.full((len(labels), BLANK + 1), (1 - sure) / BLANK, np.float32)
    scores[np.arange(len(labels)), labels] = sure
    return scores


def a_line() -> np.ndarray:
    image = np.zeros((LINE_HEIGHT, 16), np.uint8)
    image[8:24, 6:9] = 255  # a 1
    return image


def test_a_line_read_surely_is_read_once_and_once_wider_for_a_1_left_out():
    sure = steps(BLANK, 1, BLANK, 7, sure=0.95)
    reader = ScriptedReader(sure, sure)
    assert read_digits(reader, a_line()) == ctc_greedy_decode(sure)
    assert [image.shape[1] for image in reader.seen] == [16, 24]  # 1.5 times as wide


def test_a_line_that_reads_nothing_is_read_once():
    reader = ScriptedReader(steps(BLANK, BLANK, BLANK, BLANK, sure=0.99))
    assert read_digits(reader, a_line()) == []
    assert len(reader.seen) == 1


def test_shifted_copies_that_read_alike_and_surely_enough_are_the_reading():
    unsure = steps(BLANK, 1, BLANK, 7, sure=0.5)
    down, up = steps(BLANK, 1, BLANK, 7, sure=0.8), steps(BLANK, 1, BLANK, 7, sure=0.7)
    reader = ScriptedReader(unsure, down, up, up)  # (and the wide view, `_a_1_left_out`)
    digits = read_digits(reader, a_line())
    assert digits == ctc_greedy_decode((unsure + down + up) / 3)
    assert [d.digit for d in digits] == [1, 7] and min(d.confidence for d in digits) >= 0.6
    assert len(reader.seen) == 4


def test_an_unsure_line_read_unalike_is_read_again_shifted_and_stretched():
    unsure = steps(BLANK, 1, BLANK, 7, sure=0.5)
    down = steps(BLANK, 1, BLANK, 1, sure=0.9)  # reads unlike the others
    views = [steps(BLANK, 1, BLANK, 7, sure=0.9)] * 6
    reader = ScriptedReader(unsure, down, *views)
    line = a_line()  # 16 px wide
    read_digits(reader, line)
    first, moved_down, moved_up, *stretched, _ = reader.seen  # (last, `_a_1_left_out`'s)
    np.testing.assert_array_equal(first, line)
    np.testing.assert_array_equal(moved_down[1:], line[:-1])
    np.testing.assert_array_equal(moved_up[:-1], line[1:])
    assert not moved_down[0].any() and not moved_up[-1].any()  # bare paper comes in
    # 0.8, 0.9, 1.1 and 1.25 times as wide, to a multiple of 4 px; as high
    assert [image.shape for image in stretched] == [(LINE_HEIGHT, w) for w in (12, 16, 16, 20)]
    assert stretched[3][8:24, 7:11].all() and not stretched[3][:, :6].any()  # the 1, moved


def test_views_that_agree_with_the_averaged_reading_leave_it_placed_as_it_was():
    unsure = steps(BLANK, 1, BLANK, 7, sure=0.5)
    down, up = steps(BLANK, 1, BLANK, 1, sure=0.9), steps(BLANK, 1, BLANK, 7, sure=0.9)
    stretched = [steps(BLANK, 1, BLANK, 7, sure=0.9)] * 4
    digits = read_digits(ScriptedReader(unsure, down, up, *stretched, up), a_line())
    averaged = ctc_greedy_decode((unsure + down + up) / 3)
    assert [d.digit for d in averaged] == [1, 7]
    assert [(d.digit, d.first_step, d.last_step) for d in digits] == [
        (d.digit, d.first_step, d.last_step) for d in averaged
    ]
    # Six of the seven views read the 7 as one that reads it at 0.9 does: that is how sure it is.
    assert averaged[1].confidence < 0.6
    assert digits[1].confidence == pytest.approx(ctc_greedy_decode(up)[1].confidence)


def test_the_reading_most_likely_over_all_views_wins_placed_on_the_averaged_scores():
    unsure = steps(BLANK, 1, BLANK, 7, sure=0.5)
    down, up = steps(BLANK, 1, BLANK, 1, sure=0.9), steps(BLANK, 1, BLANK, 7, sure=0.9)
    averaged = (unsure + down + up) / 3
    assert [d.digit for d in ctc_greedy_decode(averaged)] == [1, 7]  # a 7 by a little
    # Stretched, the line reads 11 surely, each view at its own number of steps.
    stretched = [steps(BLANK, 1, BLANK, 1, BLANK, sure=0.9)[:n] for n in (4, 5, 4, 5)]
    digits = read_digits(ScriptedReader(unsure, down, up, *stretched, down), a_line())
    assert [d.digit for d in digits] == [1, 1]
    assert [(d.first_step, d.last_step) for d in digits] == [(1, 1), (3, 3)]
    # On the averaged scores the second 1 is unsure ("?" by default); five views of seven
    # read it surely, and its confidence is theirs.
    on_averaged = 1 - np.prod(1 - averaged[2:4, 1].astype(np.float64))  # its step, the one before
    assert on_averaged < 0.6
    assert digits[1].confidence == pytest.approx(ctc_greedy_decode(down)[1].confidence)


def test_a_reading_the_views_read_unsurely_stays_unsure():
    unsure = steps(BLANK, 1, BLANK, 7, sure=0.5)
    down, up = steps(BLANK, 1, BLANK, 1, sure=0.6), steps(BLANK, 1, BLANK, 7, sure=0.55)
    stretched = [steps(BLANK, 1, BLANK, 7, sure=0.5)] * 4  # as unsure stretched
    digits = read_digits(ScriptedReader(unsure, down, up, *stretched, up), a_line())
    assert [d.digit for d in digits] == [1, 7]
    assert all(d.confidence < 0.6 for d in digits)  # "??" by default


def test_views_that_read_nothing_outweigh_a_faint_digit():
    faint, up = steps(BLANK, 1, BLANK, BLANK, sure=0.85), steps(BLANK, 1, BLANK, BLANK, sure=0.8)
    nothing = steps(BLANK, BLANK, BLANK, BLANK, sure=0.9)
    assert [d.digit for d in ctc_greedy_decode((faint + nothing + up) / 3)] == [1]
    reader = ScriptedReader(faint, nothing, up, *[nothing[:n] for n in (3, 4, 4, 5)])
    assert read_digits(reader, a_line()) == []  # a speck, read as a 1 only now and then


def test_two_ones_on_neighbouring_steps_are_read_again_wider_and_kept_when_sure():
    # "3" then a 1 over two neighbouring steps: CTC's greedy reading is "31".
    close = steps(BLANK, 3, BLANK, 1, 1, BLANK, sure=0.95)
    wide = steps(BLANK, BLANK, 3, BLANK, 1, BLANK, 1, BLANK, BLANK, sure=0.97)
    reader = ScriptedReader(close, wide)
    digits = read_digits(reader, a_line())
    assert [d.digit for d in digits] == [3, 1, 1]
    assert [d.confidence for d in digits] == [d.confidence for d in ctc_greedy_decode(wide)]
    # Its steps mapped back onto the line's own, for the boxes: the 3 where it was read.
    assert [(d.first_step, d.last_step) for d in digits] == [(1, 1), (2, 2), (4, 4)]
    assert len(reader.seen) == 2 and reader.seen[1].shape[1] == 24  # 1.5 times the line's 16 px


@pytest.mark.parametrize(
    "wide_labels, sure",
    [
        ((BLANK, 3, BLANK, 1, BLANK, 7, BLANK), 0.97),  # another digit, not one more 1
        ((BLANK, 3, BLANK, 1, BLANK, 1, 1, BLANK, 1), 0.97),  # two more 1s
        ((BLANK, 3, BLANK, 1, BLANK, 1, BLANK), 0.6),  # one more 1, read unsurely
    ],
)
def test_a_wider_view_that_does_not_surely_read_one_more_1_leaves_the_reading(wide_labels, sure):
    close = steps(BLANK, 3, BLANK, 1, 1, BLANK, sure=0.95)
    reader = ScriptedReader(close, steps(*wide_labels, sure=sure))
    assert read_digits(reader, a_line()) == ctc_greedy_decode(close)


def test_a_1_touching_a_digit_is_read_when_the_views_find_it_likelier():
    # "0" read surely, the 1 written touching it left out; 1.5 times as wide it reads "10".
    line = steps(BLANK, 0, 0, BLANK, sure=0.99)
    wide = steps(BLANK, 1, BLANK, 0, 0, BLANK, sure=0.97)
    ten, zero = (
        [steps(BLANK, 1, BLANK, 0, 0, BLANK, BLANK, sure=0.9)[:n] for n in (4, 5, 7)],
        [steps(BLANK, 0, 0, BLANK, BLANK, BLANK, BLANK, sure=0.9)[:n] for n in (4, 5, 7)],
    )
    # The views (shifted down and up; 0.8, 0.9, 1.1 and 1.25 as wide; 1.75) mostly read "10",
    # and it is read, as surely as the wide view reads it; or "0": a stroke of the 0's, no 1.
    for views, taken in ((ten, wide), (zero, line)):
        shifted, stretched = [views[0]] * 2, [views[0], views[0], views[0], views[1]]
        reader = ScriptedReader(line, wide, *shifted, *stretched, views[2])
        digits = read_digits(reader, a_line())
        assert [image.shape[1] for image in reader.seen] == [16, 24, 16, 16, 12, 16, 16, 20, 28]
        assert [(d.digit, d.confidence) for d in digits] == [
            (d.digit, d.confidence) for d in ctc_greedy_decode(taken)
        ]


def two_pieces() -> np.ndarray:
    """A 32 px line: a thin 1 (columns 8-9) close beside a wider digit (13-21)."""
    image = np.zeros((LINE_HEIGHT, 32), np.uint8)
    image[7:25, 8:10] = 255
    image[7:25, 13:22] = 255
    return image


def test_a_1_left_out_beside_a_digit_is_read_from_the_lines_pieces_read_apart():
    line = steps(BLANK, BLANK, BLANK, 0, 0, BLANK, BLANK, BLANK, sure=0.95)  # "0", surely
    one = steps(BLANK, BLANK, BLANK, BLANK, 1, BLANK, BLANK, BLANK, sure=0.97)
    zero = steps(BLANK, BLANK, BLANK, 0, 0, BLANK, BLANK, BLANK, sure=0.98)
    reader = ScriptedReader(line, line, one, zero)  # (the second, `_a_1_left_out`'s wide view)
    digits = read_digits(reader, two_pieces())
    assert [d.digit for d in digits] == [1, 0]
    assert [d.confidence for d in digits] == [
        ctc_greedy_decode(piece)[0].confidence for piece in (one, zero)
    ]
    # Each piece alone, centred on a blank line of the reader's smallest width.
    alone = reader.seen[2:]
    assert [image.shape for image in alone] == [(LINE_HEIGHT, 32)] * 2
    assert np.array_equal(alone[0][:, 15:17], two_pieces()[:, 8:10]) and alone[0].sum() == (
        two_pieces()[:, 8:10].sum()
    )
    assert np.array_equal(alone[1][:, 11:20], two_pieces()[:, 13:22])
    # Steps mapped back onto the line's: the 1 at columns 8-9 (step 2), the 0 at 13-21 (3-5).
    assert [(d.first_step, d.last_step) for d in digits] == [(2, 2), (4, 5)]


def test_a_digit_left_out_beside_another_is_read_from_the_lines_pieces_read_apart():
    # Not only a 1: a thin digit beside a bold one, or the second of two equal digits written
    # close (CTC reads them as one without a blank step between), stands apart on the page.
    line = steps(BLANK, BLANK, BLANK, 0, 0, BLANK, BLANK, BLANK, sure=0.95)  # "0", surely
    seven = steps(BLANK, BLANK, BLANK, BLANK, 7, BLANK, BLANK, BLANK, sure=0.97)
    zero = steps(BLANK, BLANK, BLANK, 0, 0, BLANK, BLANK, BLANK, sure=0.98)
    digits = read_digits(ScriptedReader(line, line, seven, zero), two_pieces())
    assert [d.digit for d in digits] == [7, 0]


def test_a_faint_piece_read_unsurely_is_read_again_at_full_ink():
    faint = two_pieces()
    faint[7:25, 8:10] = 255 // 3  # a light hand's 1: a third as bright as the 0 beside it
    faint[7:9, 8:10] = 255  # (its first touch of the paper pressed)
    line = steps(BLANK, BLANK, BLANK, 0, 0, BLANK, BLANK, BLANK, sure=0.95)  # "0", surely
    unsure = steps(BLANK, BLANK, BLANK, BLANK, 1, BLANK, BLANK, BLANK, sure=0.6)
    one = steps(BLANK, BLANK, BLANK, BLANK, 1, BLANK, BLANK, BLANK, sure=0.97)
    zero = steps(BLANK, BLANK, BLANK, 0, 0, BLANK, BLANK, BLANK, sure=0.98)
    reader = ScriptedReader(line, line, unsure, one, zero)
    assert [d.digit for d in read_digits(reader, faint)] == [1, 0]
    _, _, alone, full, _ = reader.seen
    assert np.array_equal(alone[:, 15:17], faint[:, 8:10])
    assert np.array_equal(full, np.where(alone > 0, 255, 0))  # its ink at full strength


@pytest.mark.parametrize(
    "first, second",
    [
        ((1, 0.7), (0, 0.98)),  # a 1 read unsurely
        ((1, 0.97), (6, 0.98)),  # a 1, but the 0 read as a 6
        ((None, 0.97), (0, 0.98)),  # nothing more
    ],
)
def test_pieces_that_do_not_surely_read_more_digits_leave_the_reading(first, second):
    line = steps(BLANK, BLANK, BLANK, 0, 0, BLANK, BLANK, BLANK, sure=0.95)
    pieces = [
        steps(BLANK, BLANK, BLANK, *([] if digit is None else [digit]), BLANK, sure=sure)
        for digit, sure in (first, second)
    ]
    reader = ScriptedReader(line, line, *pieces)
    assert read_digits(reader, two_pieces()) == ctc_greedy_decode(line)
    assert len(reader.seen) == 4


def _with(image: np.ndarray, rows: slice, columns: slice, level: int = 255) -> np.ndarray:
    image = image.copy()
    image[rows, columns] = level
    return image


@pytest.mark.parametrize(
    "image",
    [
        _with(two_pieces(), slice(0, 32), slice(26, 27)),  # a box's side, top to bottom
        _with(two_pieces(), slice(7, 25), slice(1, 2)),  # ink in the line's blank end
        _with(two_pieces(), slice(20, 25), slice(25, 26)),  # a tick of a comb, short
        _with(two_pieces(), slice(7, 25), slice(25, 26), level=100),  # a faint sheet's edge
        two_pieces()[:, :12],  # one piece
    ],
    ids=["box-side", "blank-end", "tick", "faint", "one-piece"],
)
def test_a_line_whose_pieces_are_not_more_writing_than_its_digits_is_not_read_apart(image):
    line = steps(BLANK, BLANK, 1, BLANK, 0, 0, BLANK, BLANK, sure=0.95)  # "10", surely
    if image.shape[1] == 12:
        image = np.pad(image, ((0, 0), (0, 20)))
    reader = ScriptedReader(line, *[line] * 3)
    assert read_digits(reader, image) == ctc_greedy_decode(line)
    assert len(reader.seen) == 2  # (the line, and `_a_1_left_out`'s wide view)


def test_a_line_read_as_nothing_is_not_read_in_pieces():
    nothing = steps(BLANK, BLANK, BLANK, BLANK, BLANK, BLANK, BLANK, BLANK, sure=0.95)
    reader = ScriptedReader(nothing, *[nothing] * 3)
    assert read_digits(reader, two_pieces()) == []
    assert len(reader.seen) == 1


class ReaderByLevel:
    """Stands in for a LineModel: the scores for a line image are chosen by its brightest
    level (which shifted and stretched copies keep), and the levels it read are kept."""

    def __init__(self, scores: dict[int, np.ndarray]):
        self.scores = scores
        self.levels: list[int] = []

    def read(self, image: np.ndarray) -> np.ndarray:
        self.levels.append(int(image.max()))
        return self.scores[int(image.max())]


def cut_at(level: int, angle: float = 0.0, turned=None) -> Line:
    """A line image all at `level` (a stand-in for a cut along `angle`)."""
    image = np.full((LINE_HEIGHT, 16), level, np.uint8)
    geometry = LineGeometry(8.0, 16.0, angle, 16.0, 32.0)
    return Line(geometry, image, np.array([[1.0, 0, 0], [0, 1.0, 0]]), (0, 0, 16, 32), turned)


# Cuts: level 10; turned -15 / -30 degrees 20 / 30; +15 / +30 degrees 40 / 50.
LEVELS = {0.0: 10, -15.0: 20, -30.0: 30, 15.0: 40, 30.0: 50}


@pytest.mark.parametrize(
    ("turned_scores", "read"),
    [
        # Both slants of one side read a 4 surely: the nearer one's reading.
        ({20: steps(BLANK, 4, BLANK, sure=0.95), 30: steps(BLANK, 4, BLANK, sure=0.97)}, [4]),
        # Both sides do: the one whose nearer slant is surer.
        (
            {
                20: steps(BLANK, 4, BLANK, sure=0.95),
                30: steps(BLANK, 4, BLANK, sure=0.95),
                40: steps(BLANK, 9, BLANK, sure=0.99),
                50: steps(BLANK, 9, BLANK, sure=0.93),
            },
            [9],
        ),
        # The slants disagree, or the farther is unsure: the level reading stays.
        ({20: steps(BLANK, 4, BLANK, sure=0.95), 30: steps(BLANK, 9, BLANK, sure=0.95)}, [7]),
        ({20: steps(BLANK, 4, BLANK, sure=0.95), 30: steps(BLANK, 4, BLANK, sure=0.5)}, [7]),
        # 1s alone: a straight edge turned upright reads so.
        ({20: steps(BLANK, 1, BLANK, sure=0.99), 30: steps(BLANK, 1, BLANK, sure=0.99)}, [7]),
    ],
)
def test_an_unsure_line_of_no_known_direction_takes_a_side_whose_turned_cuts_read_alike(
    turned_scores, read
):
    unsure = steps(BLANK, 7, BLANK, sure=0.5)
    nothing = steps(BLANK, BLANK, BLANK, sure=0.9)
    model = ReaderByLevel({10: unsure, 20: nothing, 30: nothing, 40: nothing, 50: nothing})
    model.scores.update(turned_scores)
    line = cut_at(10, turned=lambda angle: cut_at(LEVELS[angle], angle))
    numbers = LineReader(model, confidence=0.3).read(line)
    assert [d.digit for number in numbers for d in number] == read


def test_a_line_read_surely_or_as_nothing_across_its_whole_cut_is_not_cut_turned():
    for level_scores in (steps(BLANK, 7, BLANK, sure=0.95), steps(BLANK, BLANK, sure=0.9)):
        model = ReaderByLevel({10: level_scores})
        line = cut_at(10, turned=lambda angle: cut_at(LEVELS[angle], angle))
        LineReader(model, confidence=0.6).read(line)
        assert set(model.levels) == {10}


def a_four(image: np.ndarray, level: int) -> None:
    """A 4's three strokes, clear of the line image's edges."""
    image[8:20, 11:14] = level
    image[18:21, 11:25] = level
    image[6:26, 20:23] = level


def a_box(image: np.ndarray, level: int) -> None:
    """A small printed box's outline, 3 px thick."""
    image[6:26, 8:28] = level
    image[9:23, 11:25] = 0


def a_shadow_edge(image: np.ndarray, level: int) -> None:
    """Dark from the line image's top edge down, as a shadow's or a table's edge cuts it."""
    image[:14, 10:26] = level


@pytest.mark.parametrize(
    ("draw", "turned"), [(a_four, True), (a_box, False), (a_shadow_edge, False)]
)
def test_a_line_read_as_nothing_is_cut_turned_when_it_is_one_piece_of_writing_not_boxed(
    draw, turned
):
    def cut(level: int, angle: float = 0.0, turned=None) -> Line:
        image = np.zeros((LINE_HEIGHT, 36), np.uint8)
        draw(image, level)
        return replace(cut_at(0, angle, turned), image=image)

    # Level 200 reads nothing; turned -15 / -30 degrees (201, 202) read a 4 surely.
    levels = {0.0: 200, -15.0: 201, -30.0: 202, 15.0: 203, 30.0: 204}
    nothing = steps(*[BLANK] * 9, sure=0.9)
    four = steps(*[BLANK] * 4, 4, *[BLANK] * 4, sure=0.97)
    model = ReaderByLevel({200: nothing, 201: four, 202: four, 203: nothing, 204: nothing})
    line = cut(200, turned=lambda angle: cut(levels[angle], angle))
    digits = [d for number in LineReader(model, confidence=0.6).read(line) for d in number]
    assert [d.digit for d in digits] == ([4] if turned else [])
    assert (set(model.levels) != {200}) == turned


def test_a_digit_read_in_a_cut_turned_back_is_boxed_about_its_ink():
    # An upright 1, 8 px wide and 120 tall in the frame, read in a cut turned 30 degrees (a
    # line whose direction the finder could not tell): the box about its ink box's corners,
    # turned back, was over half its height wide.
    to_frame = cv2.getRotationMatrix2D((16.0, 16.0), -30.0, 4.0)
    to_frame[:, 2] += (100.0 - 16.0, 100.0 - 16.0)  # the cut's centre on the 1's
    frame = np.zeros((200, 200), np.uint8)
    frame[40:160, 96:104] = 255
    image = cv2.warpAffine(frame, cv2.invertAffineTransform(to_frame), (36, LINE_HEIGHT))
    line = Line(LineGeometry(100.0, 100.0, -30.0, 144.0, 128.0), image, to_frame, (0, 0, 200, 200))
    one = steps(*[BLANK] * 4, 1, *[BLANK] * 4, sure=0.99)
    [[digit]] = LineReader(ScriptedReader(one, one, one), confidence=0.6).read(line)
    x, y, w, h = digit.box
    assert 88 <= x <= 96 and 104 <= x + w <= 112 and w < 0.2 * h
    assert y <= 45 and y + h >= 155
    # A digit read where the cut holds no ink at all is boxed on its share, as before.
    blank = replace(line, image=np.zeros_like(image))
    [[digit]] = LineReader(ScriptedReader(one, one, one), confidence=0.6).read(blank)
    assert digit.box == blank.frame_box(0, 0, 36, LINE_HEIGHT)


class ReaderByWidth:
    """Stands in for a LineModel: the scores for a line image are chosen by its width (no
    digit at widths not given)."""

    def __init__(self, scores: dict[int, np.ndarray]):
        self.scores = scores

    def read(self, image: np.ndarray) -> np.ndarray:
        width = image.shape[1]
        return self.scores.get(width, steps(*[BLANK] * (width // 4), sure=0.9))


def a_wide_piece() -> Line:
    """A 64 px line holding one piece of writing: a digit seen squeezed upright."""
    image = np.zeros((LINE_HEIGHT, 64), np.uint8)
    image[10:22, 12:52] = 255
    return replace(cut_at(0), image=image)


@pytest.mark.parametrize(
    ("level", "narrow", "wider", "read"),
    [
        # Nothing read at its own width; squeezed to 0.6 and 0.8 (40 and 52 px), a 4 surely.
        (steps(*[BLANK] * 16, sure=0.9), [4], [4], [4]),
        # An unsure 7 gives way the same.
        (steps(*[BLANK] * 7, 7, *[BLANK] * 8, sure=0.5), [4], [4], [4]),
        # The squeezes disagree, read a 1, or read two digits: the line's own reading stays.
        (steps(*[BLANK] * 16, sure=0.9), [4], [9], []),
        (steps(*[BLANK] * 16, sure=0.9), [1], [1], []),
        (steps(*[BLANK] * 16, sure=0.9), [4, 4], [4, 4], []),
    ],
)
def test_a_wide_piece_read_unsurely_is_read_again_squeezed(level, narrow, wider, read):
    def digits(labels: list[int], width: int) -> np.ndarray:
        middle = [BLANK] * (width // 4)
        for index, label in enumerate(labels):
            middle[2 + 3 * index] = label
        return steps(*middle, sure=0.97)

    model = ReaderByWidth({64: level, 40: digits(narrow, 40), 52: digits(wider, 52)})
    got = [d for number in LineReader(model, confidence=0.3).read(a_wide_piece()) for d in number]
    assert [d.digit for d in got] == (read or [d.digit for d in ctc_greedy_decode(level)])


def test_a_digit_is_boxed_on_its_own_ink_not_on_a_bold_word_beside_it():
    """A meter log's "Room 73": the line image, normalized as a whole, holds the printed word
    at full white and a thin pen's digits at half. The 7's share of the line (up to halfway to
    the 3) holds the word too, and its box was the word's."""
    image = np.zeros((LINE_HEIGHT, 100), np.uint8)
    cv2.putText(image, "Room", (1, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.55, 255, 2)
    assert not image[:, 52:].any()  # the word ends before the 7
    seven = [((62, 6), (74, 6)), ((74, 6), (65, 27))]
    three = [((80, 6), (90, 8)), ((90, 8), (82, 16)), ((82, 16), (91, 22)), ((91, 22), (80, 27))]
    for start, end in seven + three:
        cv2.line(image, start, end, 120, 1, cv2.LINE_AA)
    line = Line(
        LineGeometry(50.0, 16.0, 0.0, 100.0, 32.0),
        image,
        np.array([[1.0, 0, 0], [0, 1.0, 0]]),
        (0, 0, 100, 32),
    )
    steps = [DecodedDigit(7, 0.99, 16, 17), DecodedDigit(3, 0.99, 21, 21)]  # 68 px and 86 px
    (x7, y7, w7, h7), (x3, _, w3, _) = (
        line.frame_box(*ink.box) for ink in digit_inks(image, steps)
    )
    assert 60 <= x7 <= 63 and 74 <= x7 + w7 <= 77 and y7 <= 6 and y7 + h7 >= 27
    assert x3 >= 79 and x3 + w3 <= 93


def test_a_digit_read_on_a_printed_word_is_left_out_and_a_number_is_not():
    """A meter log's header "Date" read as 0 (its D) is a word: its other letters, side by
    side, read nothing; so is its "Gas" read as one 5. A number's digits each read, one with
    a stroke apart (a 4 written in two strokes) and one in a box, keep every digit."""
    word = np.zeros((LINE_HEIGHT, 90), np.uint8)
    cv2.putText(word, "Date", (2, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2)
    on_the_d = [DecodedDigit(0, 0.99, 1, 2)]  # steps 1-2: columns 6-12, the D
    assert without_letters(word, on_the_d) == []
    # "Gas" read as one 5, near every letter: a digit is not as wide as three letters.
    gas = np.zeros((LINE_HEIGHT, 90), np.uint8)
    cv2.putText(gas, "Gas", (2, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2)
    assert without_letters(gas, [DecodedDigit(5, 0.99, 6, 7)]) == []
    # Print read a digit on every other letter, each letter near one ("Total:" read "701",
    # "Used" read "05"): fewer digits than letters, and its small letters stand lower than its
    # capitals and tall letters, alike, on one baseline. (A number reads a digit on each mark.)
    for word in ("Total", "Used"):
        printed = np.zeros((LINE_HEIGHT, 90), np.uint8)
        cv2.putText(printed, word, (2, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2)
        _, _, stats, _ = cv2.connectedComponentsWithStats((printed >= 128).view(np.uint8))
        middles = sorted((x + w // 2) // 4 for x, _, w, _, _ in stats[1:])
        on_every_other = [DecodedDigit(1, 0.99, step, step) for step in middles[::2]]
        assert without_letters(printed, on_every_other) == []
        # (All read: a number, for all the reader can tell.)
        on_each = [DecodedDigit(1, 0.99, step, step) for step in middles]
        assert without_letters(printed, on_each) == on_each
    number = np.zeros((LINE_HEIGHT, 90), np.uint8)
    cv2.line(number, (4, 4), (2, 20), 255, 2)  # a 4 in two strokes: its first ...
    cv2.line(number, (2, 20), (12, 20), 255, 2)
    cv2.line(number, (12, 4), (13, 28), 255, 2)  # ... and its stem, apart
    cv2.putText(number, "7", (26, 27), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2)
    cv2.rectangle(number, (50, 1), (74, 30), 255, 1)  # a box round the last digit
    cv2.putText(number, "1", (56, 27), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2)
    digits = [
        DecodedDigit(4, 0.99, 1, 1),
        DecodedDigit(7, 0.99, 7, 8),
        DecodedDigit(1, 0.99, 15, 15),
    ]
    assert without_letters(number, digits) == digits
    # Two 4s written in two strokes: their bars and stems stand lower than the 7 beside them,
    # alike, on its baseline, as print's small letters do; but their first strokes lie above.
    fours = np.zeros((LINE_HEIGHT, 90), np.uint8)
    for x in (2, 19):  # close enough to be one word
        cv2.line(fours, (x + 1, 4), (x, 10), 255, 2)  # the first stroke, apart
        cv2.line(fours, (x, 20), (x + 12, 20), 255, 2)
        cv2.line(fours, (x + 9, 14), (x + 9, 28), 255, 2)
    cv2.line(fours, (37, 4), (49, 4), 255, 2)  # a 7 from top to foot
    cv2.line(fours, (49, 4), (41, 28), 255, 2)
    read = [DecodedDigit(4, 0.99, 1, 1), DecodedDigit(4, 0.99, 5, 5), DecodedDigit(7, 0.99, 10, 10)]
    assert without_letters(fours, read) == read


@pytest.mark.parametrize("grey", [100, 140])
def test_a_label_printed_grey_beside_the_writing_is_a_word_and_a_faint_digit_is_not(grey):
    """A form's label printed grey before its boxes ("Date", "Issued") is fainter than the
    writing in the line image, under the level print's letters are looked for at: its D read
    as a 0 was kept. Its letters, grey all of them and read as nothing, make a word. A digit
    written faint beside bold ones is read on every mark of its own: it stays, and so does a
    bold digit beside a faint grid's pieces."""
    for label, on_the_first in (("Date", 1), ("Issued", 0)):
        form = np.zeros((LINE_HEIGHT, 140), np.uint8)
        cv2.putText(form, label, (2, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, grey, 2)
        cv2.putText(form, "06", (92, 27), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2)
        on_the_label = DecodedDigit(on_the_first, 0.99, 1, 2)  # steps 1-2: columns 4-12
        written = [DecodedDigit(0, 0.99, 24, 25), DecodedDigit(6, 0.99, 29, 30)]
        assert without_letters(form, [on_the_label, *written]) == written
    faint = np.zeros((LINE_HEIGHT, 90), np.uint8)
    cv2.putText(faint, "5", (2, 27), cv2.FONT_HERSHEY_SIMPLEX, 0.9, grey, 2)
    cv2.putText(faint, "84", (24, 27), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2)
    _, _, stats, _ = cv2.connectedComponentsWithStats((faint >= 48).view(np.uint8))
    middles = sorted((x + w // 2) // 4 for x, _, w, _, _ in stats[1:])
    read = [DecodedDigit(d, 0.99, step, step) for d, step in zip((5, 8, 4), middles, strict=True)]
    assert without_letters(faint, read) == read
    gridded = np.zeros((LINE_HEIGHT, 90), np.uint8)
    for x in (10, 18, 26):  # a faint grid's pieces, a few px apart, the last touching it
        cv2.rectangle(gridded, (x, 10), (x + 3, 22), grey, -1)
    cv2.putText(gridded, "7", (30, 27), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2)
    seven = [DecodedDigit(7, 0.99, 8, 9)]
    assert without_letters(gridded, seven) == seven


def test_a_thin_pens_digits_broken_in_pieces_are_no_printed_word():
    """A thin pen's strokes break where the line image's level cuts them: a 6's loop stands
    apart from the stroke down into it, lower than the 0 beside it, alike with the next 6's,
    on one baseline, as print's small letters do; but the stroke rises above the loop in its
    own columns (real-dev's writers' "6690" read nothing). And a 1 the reader left out, broken
    in two one above the other, is one mark unread, not two letters ("91301" read nothing)."""
    sixes = np.zeros((LINE_HEIGHT, 90), np.uint8)
    for x in (2, 22):
        stroke = np.array([(x + 10, 5), (x + 5, 15), (x + 3, 26)])
        cv2.polylines(sixes, [stroke], False, 255, 2)  # down beside the loop, apart from it
        cv2.ellipse(sixes, (x + 12, 22), (4, 6), 0, 0, 360, 255, 2)
    cv2.ellipse(sixes, (50, 16), (6, 12), 0, 0, 360, 255, 2)  # a 0, whole
    read = [DecodedDigit(6, 0.99, 1, 1), DecodedDigit(6, 0.99, 6, 6), DecodedDigit(0, 0.99, 12, 12)]
    assert without_letters(sixes, read) == read
    ones = np.zeros((LINE_HEIGHT, 90), np.uint8)
    cv2.putText(ones, "913", (2, 27), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2)
    _, _, stats, _ = cv2.connectedComponentsWithStats((ones >= 128).view(np.uint8))
    middles = sorted((x + w // 2) // 4 for x, _, w, _, _ in stats[1:])
    cv2.line(ones, (57, 10), (57, 15), 255, 2)  # a 1 in two pieces, one above the other
    cv2.line(ones, (58, 19), (58, 26), 255, 2)
    on_913 = [DecodedDigit(d, 0.99, step, step) for d, step in zip((9, 1, 3), middles, strict=True)]
    assert without_letters(ones, on_913) == on_913


def test_digits_written_in_uneven_sizes_are_no_printed_word():
    """Two digits written smaller than the one before them, alike, on its baseline, stand as
    print's small letters do; but a digit is narrower than tall, and print's small letters (a,
    e, n, o, s, u) are about as wide as tall ("Used" and "Total" are still words: the test
    above). And a writer's wide digits read one on each: print reads fewer, its letters as
    blank."""
    for wide in (4, 5):  # px: half the smaller 0s' width
        uneven = np.zeros((LINE_HEIGHT, 90), np.uint8)
        cv2.ellipse(uneven, (13, 17), (6, 11), 0, 0, 360, 255, 2)  # a 0 as tall as the writing
        for x in (24 + wide, 29 + 3 * wide):
            cv2.ellipse(uneven, (x, 21), (wide, 7), 0, 0, 360, 255, 2)  # two smaller, alike
        _, _, stats, _ = cv2.connectedComponentsWithStats((uneven >= 128).view(np.uint8))
        middles = sorted((x + w // 2) // 4 for x, _, w, _, _ in stats[1:])
        read = [DecodedDigit(0, 0.99, step, step) for step in middles]
        assert without_letters(uneven, read) == read


@pytest.mark.parametrize(("bar_at", "a_word"), [(0, False), (3, True)])
def test_what_the_cuts_end_cuts_off_is_no_letter(bar_at, a_word):
    """A note's edge where the frame cuts the note, with the desk past it, stands as a bar the
    line's height at the line image's end, and the digits beside it, shorter, round and alike,
    stood as print's small letters do after a capital: the note's "20433" read nothing (a new
    user's trial). What the cut's end cuts off runs on past it: no letter. A bar clear of the
    end is one (a capital I before "ooo")."""
    image = np.zeros((LINE_HEIGHT, 80), np.uint8)
    image[:, bar_at : bar_at + 5] = 255
    for x in (bar_at + 15, bar_at + 36, bar_at + 57):  # 0s 18 px wide, 22 tall, 3 px apart
        cv2.ellipse(image, (x, 20), (8, 10), 0, 0, 360, 255, 2)
    _, _, stats, _ = cv2.connectedComponentsWithStats((image >= 128).view(np.uint8))
    middles = sorted((x + w // 2) // 4 for x, _, w, h, _ in stats[1:] if h < LINE_HEIGHT)
    read = [DecodedDigit(0, 0.99, step, step) for step in middles]
    assert len(read) == 3
    assert without_letters(image, read) == ([] if a_word else read)


def written(parts: str, small: float = 0.8, thickness: int = 2) -> tuple[np.ndarray, list]:
    """A line image of `parts`: digits in cv2's font (17 px tall; a digit after a "," at
    `small` of that scale, about the line's middle) and hand-drawn +, -, = and x (times) signs
    10 px wide; and each part's columns (start, end)."""
    image = np.zeros((LINE_HEIGHT, 200), np.uint8)
    columns, x, scale = [], 4, 0.8
    for part in parts:
        if part == ",":
            scale = small
            continue
        if part == "x":
            cv2.line(image, (x, 11), (x + 10, 21), 255, thickness)
            cv2.line(image, (x, 21), (x + 10, 11), 255, thickness)
            columns.append((x, x + 11))
            x += 16
            continue
        if part in "+-=":
            bars = {"+": (16,), "-": (16,), "=": (13, 19)}[part]
            for y in bars:
                cv2.line(image, (x, y), (x + 10, y), 255, thickness)
            if part == "+":
                cv2.line(image, (x + 5, 11), (x + 5, 21), 255, thickness)
            columns.append((x, x + 11))
            x += 16
            continue
        (width, height), _ = cv2.getTextSize(part, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        base = 26 if scale == 0.8 else 17 + height // 2
        cv2.putText(image, part, (x, base), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness)
        columns.append((x, x + width))
        x += width + 4
        scale = 0.8
    return image, columns


@pytest.mark.parametrize("thickness", [1, 2])
@pytest.mark.parametrize("sum_", ["46+7=53", "12-7=5", "3+4", "9=9"])
def test_plus_minus_and_equals_signs_written_between_digits_are_told_from_them(sum_, thickness):
    """A child's sum: the reader knows digits only, and read "46 + 7 = 53" as "4647537".
    (Pens from 1 to 3 px wide here: a sign's strokes are its bars and stem; cv2's 3 is 5 px,
    half the sign, a blot.)"""
    image, columns = written(sum_, thickness=thickness)
    no_rules = np.zeros_like(image)
    assert written_symbols(image, columns, no_rules) == [part in "+-=" for part in sum_]


@pytest.mark.parametrize("thickness", [1, 2])
@pytest.mark.parametrize("sum_", ["5x7=35", "12x3", "7-", "x7", "5x"])
def test_times_signs_and_a_sign_beside_one_digit_are_told_from_digits(sum_, thickness):
    """A times table on squared paper: "5 x 7 = 35" read "5 77 35" (the x read as a 7; a sign
    in a line of its own with one digit had no line to be measured against). Beside one
    digit, only a flat mark or a times sign is a sign: a small blurred 2 in a dim frame has
    the bars of an equals sign (`test_a_small_digit_beside_one_other_is_no_sign`)."""
    image, columns = written(sum_, thickness=thickness)
    no_rules = np.zeros_like(image)
    assert written_symbols(image, columns, no_rules) == [part in "x=-" for part in sum_]


@pytest.mark.parametrize("thickness", [1, 2, 3])
@pytest.mark.parametrize("small", [0.45, 0.55, 0.65])
@pytest.mark.parametrize("digit", "0123456789")
def test_a_small_digit_beside_one_other_is_no_sign(digit, small, thickness):
    """Two digits, the second written smaller: it is measured against the first, and its
    strokes are no sign's (a small 4's bar and stem cross as a plus's do, an 8's waist as a
    times sign's strokes)."""
    image, columns = written(f"3,{digit}", small, thickness)
    assert written_symbols(image, columns, np.zeros_like(image)) == [False, False]


@pytest.mark.parametrize("thickness", [1, 2])
def test_a_small_round_mark_beside_one_digit_is_no_flat_sign(thickness):
    """Under half the height of the one mark beside it, a small 0 is as flat as a minus; but a
    flat sign is wider than tall, and a 0 is not (a bench scene's lone 0 beside a table's
    edge, read as a 7, was left out as a sign)."""
    image, columns = written("7", thickness=thickness)
    cv2.ellipse(image, (40, 17), (2, 3), 0, 0, 360, 255, thickness)  # 5 px wide, 7 tall
    columns.append((37, 43))
    assert written_symbols(image, columns, np.zeros_like(image)) == [False, False]


@pytest.mark.parametrize("thickness", [1, 2])
@pytest.mark.parametrize("stem", [(10, 25), (11, 26), (12, 24)])
def test_a_plus_as_tall_as_the_digits_is_a_sign_and_a_crossed_7_is_not(stem, thickness):
    """Homework's plus signs are often as tall as the digits beside them, and only marks
    under 0.8 of their height were taken for signs ("47 + 32" read "47432"). A 7 crossed in
    the middle, its top stroke short, is a bar on a stem too, as tall, but its top stroke
    lies off both."""
    image = np.zeros((LINE_HEIGHT, 120), np.uint8)
    columns = []
    for x, digit in ((4, "4"), (20, "6"), (70, "3")):
        cv2.putText(image, digit, (x, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, thickness)
        columns.append((x, x + 14))
    top, bottom = stem
    cv2.line(image, (42, top), (42, bottom), 255, thickness)  # the plus: as tall as a digit
    cv2.line(image, (36, 17), (48, 17), 255, thickness)
    columns.insert(2, (36, 49))
    cv2.line(image, (88, 9), (95, 9), 255, thickness)  # a 7: a short top stroke
    cv2.line(image, (95, 9), (89, 26), 255, thickness)  # its stem, slanting
    cv2.line(image, (86, 17), (97, 17), 255, thickness)  # crossed
    columns.append((86, 98))
    no_rules = np.zeros_like(image)
    assert written_symbols(image, columns, no_rules) == [False, False, True, False, False]


def plus(image: np.ndarray, centre: tuple[int, int], size: int, turn: float, pen: int) -> None:
    """A plus sign `size` px tall and wide about `centre` of a line image, turned `turn`
    degrees, written with a `pen` px wide (anti-aliased, as a camera sees it)."""
    for angle in (turn, turn + 90):
        dx, dy = (size / 2 * f(math.radians(angle)) for f in (math.cos, math.sin))
        ends = [(round(centre[0] + way * dx), round(centre[1] + way * dy)) for way in (-1, 1)]
        cv2.line(image, *ends, 255, pen, cv2.LINE_AA)


def digits_around(image: np.ndarray, gap: tuple[int, int]) -> list[tuple[int, int]]:
    """ "4" and "6" before columns `gap` of a line image, "3" after them, in cv2's font 2 px
    wide (17 px tall); their columns (start, end)."""
    columns = []
    for x, digit in ((gap[0] - 32, "4"), (gap[0] - 16, "6"), (gap[1] + 4, "3")):
        cv2.putText(image, digit, (x, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
        columns.append((x, x + 14))
    return columns


@pytest.mark.parametrize("pen", [1, 2])
@pytest.mark.parametrize("turn", [-8, -5, 5, 8])
@pytest.mark.parametrize("size", [11, 15])
def test_a_plus_written_a_few_degrees_turned_is_a_sign(size, turn, pen):
    """A child's plus is seldom upright: turned, its bar's ends leave the rows of its middle
    (and its stem's the columns), and a plus as tall as the digits, which must lie on its bar
    and stem alone, was read as a 4 ("+ 727" read "4727")."""
    image = np.zeros((LINE_HEIGHT, 120), np.uint8)
    columns = digits_around(image, (40, 60))
    plus(image, (50, 17), size, turn, pen)
    columns.insert(2, (50 - size // 2 - 1, 50 + size // 2 + 2))
    assert written_symbols(image, columns, np.zeros_like(image)) == [False, False, True, False]


@pytest.mark.parametrize("rule_at", [22, 24, 26])
def test_a_plus_on_a_faint_rule_is_a_sign(rule_at):
    """A ruled page's rule, too faint to be found as one, runs under a plus: a second bar
    across it ("+ 673" read "4673")."""
    image = np.zeros((LINE_HEIGHT, 120), np.uint8)
    cv2.line(image, (0, rule_at), (119, rule_at + 1), 90, 1, cv2.LINE_AA)
    columns = digits_around(image, (40, 60))
    plus(image, (50, 17), 15, 3, 2)
    columns.insert(2, (42, 59))
    assert written_symbols(image, columns, np.zeros_like(image)) == [False, False, True, False]


@pytest.mark.parametrize("blur", [1.4, 1.8])
@pytest.mark.parametrize("gap", [3, 4])
def test_an_equals_sign_in_a_bold_pen_is_a_sign(gap, blur):
    """A marker's equals sign: bars 3 px thick and 13 wide, `gap` px between them, blurred as
    a camera sees a bold pen, are one thick block at the level signs are measured at
    ("53 + 19 = 72" read "5319772")."""
    image = np.zeros((LINE_HEIGHT, 120), np.uint8)
    columns = digits_around(image, (40, 60))
    for top in (12, 15 + gap):
        cv2.rectangle(image, (44, top), (56, top + 2), 255, -1)
    image = cv2.GaussianBlur(image, (0, 0), blur)
    columns.insert(2, (43, 58))
    assert written_symbols(image, columns, np.zeros_like(image)) == [False, False, True, False]


def crossed_7(image: np.ndarray, left: int, pen: int) -> tuple[int, int]:
    """A continental 7 (short top stroke, crossed) from column `left`; its columns."""
    cv2.line(image, (left + 2, 9), (left + 10, 9), 255, pen, cv2.LINE_AA)
    cv2.line(image, (left + 10, 9), (left + 4, 26), 255, pen, cv2.LINE_AA)
    cv2.line(image, (left, 17), (left + 12, 17), 255, pen, cv2.LINE_AA)
    return left, left + 13


@pytest.mark.parametrize("pen", [1, 2])
@pytest.mark.parametrize("first_stroke", [60, 80])
def test_a_thin_pens_open_4_with_a_faint_first_stroke_is_no_plus(first_stroke, pen):
    """An open 4 in a thin pen: its first stroke, down to its bar's left end, fainter
    (`first_stroke`) than its bar and stem, which cross as a plus's do at the level signs are
    measured at (a new user's homework's "13 + 34 = 47" lost the 4 of its 47)."""
    image = np.zeros((LINE_HEIGHT, 120), np.uint8)
    columns = digits_around(image, (40, 60))
    cv2.line(image, (46, 9), (43, 18), first_stroke, pen, cv2.LINE_AA)
    cv2.line(image, (43, 19), (57, 19), 255, pen, cv2.LINE_AA)  # its bar
    cv2.line(image, (52, 10), (52, 26), 255, pen, cv2.LINE_AA)  # its stem
    columns.insert(2, (42, 58))
    assert written_symbols(image, columns, np.zeros_like(image)) == [False] * 4


@pytest.mark.parametrize("pen", [1, 2, 3])
def test_a_lone_plus_is_a_sign_and_a_lone_digit_is_not(pen):
    """A column sum's plus stands far left of its number, a line of its own that read "4".
    Alone, a mark has no line to be measured against: only a plus is a sign, all its ink on
    one bar and one stem. A 4 written in two strokes that do not meet, its first one fainter,
    a crossed 7 and a 1 are not; nor is a crossed 7 with blurred strokes, whose top stroke's
    rim runs faint across its columns as a rule does."""
    lone_plus = np.zeros((LINE_HEIGHT, 40), np.uint8)
    plus(lone_plus, (20, 16), 17, -4, pen)
    assert written_symbols(lone_plus, [(11, 30)], np.zeros_like(lone_plus)) == [True]
    four = np.zeros((LINE_HEIGHT, 40), np.uint8)
    cv2.line(four, (18, 7), (12, 19), 130, pen, cv2.LINE_AA)  # apart from the rest
    cv2.line(four, (13, 20), (28, 20), 255, pen, cv2.LINE_AA)
    cv2.line(four, (23, 8), (23, 27), 255, pen, cv2.LINE_AA)
    seven = np.zeros((LINE_HEIGHT, 40), np.uint8)
    seven_columns = crossed_7(seven, 14, pen)
    one = np.zeros((LINE_HEIGHT, 40), np.uint8)
    cv2.line(one, (20, 7), (20, 27), 255, pen, cv2.LINE_AA)
    blurred_seven = cv2.GaussianBlur(seven, (0, 0), 0.8)
    for image, columns in (
        (four, (11, 30)),
        (seven, seven_columns),
        (one, (18, 23)),
        (blurred_seven, seven_columns),
    ):
        assert written_symbols(image, [columns], np.zeros_like(image)) == [False]


@pytest.mark.parametrize("thickness", [1, 2])
def test_a_1_crossed_by_a_rule_not_found_as_one_is_no_plus(thickness):
    """A rule `digit_inks` did not find (fainter than it looks at, or broken) runs through a
    1's middle: a bar on a stem, as a tall plus is, but the bar runs on beyond it both ways
    (a 1 on a ruled sticky note in a bench scene read as a plus)."""
    image = np.zeros((LINE_HEIGHT, 100), np.uint8)
    cv2.line(image, (0, 17), (99, 17), 150, 1)  # the rule, not found as one
    columns = []
    for x, digit in ((4, "4"), (20, "6"), (56, "3")):
        cv2.putText(image, digit, (x, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, thickness)
        columns.append((x, x + 14))
    cv2.line(image, (44, 10), (44, 25), 255, thickness)  # the 1
    columns.insert(2, (42, 47))
    no_rules = np.zeros_like(image)
    assert written_symbols(image, columns, no_rules) == [False] * 4


@pytest.mark.parametrize("thickness", [1, 2, 3])
@pytest.mark.parametrize("small", [0.45, 0.55, 0.65])
@pytest.mark.parametrize("digit", "0123456789")
def test_a_digit_written_smaller_than_its_neighbours_is_no_sign(digit, small, thickness):
    """Down to 0.55 of their height (MNIST's wide digits, scaled to fit its box, stand lower
    than the rest), and blotted by a thick pen at that size: a small 4's bar and stem cross
    as a plus sign's do."""
    image, columns = written(f"35,{digit}8", small, thickness)
    assert written_symbols(image, columns, np.zeros_like(image)) == [False] * 4


@pytest.mark.parametrize("lean", [6, 7])
def test_a_plus_whose_stem_leans_is_a_sign(lean):
    """A hand's plus leans: "11 + 7 = 18" read "114718", its stem 15-25 degrees off upright
    and so no column of ink. Stood upright it is a plus, all its ink on its bar and stem."""
    image = np.zeros((LINE_HEIGHT, 120), np.uint8)
    columns = []
    for x, digit in ((4, "3"), (20, "5"), (62, "8")):
        cv2.putText(image, digit, (x, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 1)
        columns.append((x, x + 14))
    cv2.line(image, (43 + lean // 2, 8), (43 - (lean - lean // 2), 25), 255, 1, cv2.LINE_AA)
    cv2.line(image, (36, 18), (50, 17), 255, 1, cv2.LINE_AA)  # the bar
    columns.insert(2, (36, 51))
    no_rules = np.zeros_like(image)
    assert written_symbols(image, columns, no_rules) == [False, False, True, False]


@pytest.mark.parametrize("thickness", [1, 2])
def test_a_plus_clear_above_a_sums_bar_is_a_sign(thickness):
    """A column sum's second row, "+ 7477", with the sum's bar under it, the digits resting
    on it: the plus was taken for a small digit cut by a rule, since the bar ran within 2 px
    of its foot, and read as a 4 ("47477"). Only a rule through a mark, or one its ink runs
    into, makes it no sign."""
    image, columns = written("+358", thickness=thickness)
    bar = np.zeros_like(image)
    bar[23 + thickness : 25 + thickness] = 1  # a px clear of the plus's foot
    image[bar > 0] = 255
    assert written_symbols(image, columns, bar) == [True, False, False, False]


@pytest.mark.parametrize("thickness", [1, 2])
@pytest.mark.parametrize("length", [6, 7, 8])
@pytest.mark.parametrize("step", [5, 6])
def test_an_equals_sign_close_after_a_digit_is_a_sign(step, length, thickness):
    """A board's "4 + 24 = 28" read "24728": the equals sign, written close after the 4, had
    only a sliver of the 4's stroke in its share of the line, and was measured about that
    sliver, with the 4 beside it, as tall as a digit. A mark with no more ink of its own than
    that is measured about the steps that read it."""
    image = np.zeros((LINE_HEIGHT, 90), np.uint8)
    cv2.putText(image, "4", (4, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, thickness)
    for y in (13, 19):
        cv2.line(image, (21, y), (21 + length, y), 255, thickness)
    cv2.putText(image, "28", (34, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, thickness)
    decoded = [DecodedDigit(4, 0.99, 2, 2), DecodedDigit(7, 0.9, step, step)]
    decoded += [DecodedDigit(2, 0.99, 10, 10), DecodedDigit(8, 0.99, 14, 14)]
    assert [ink.symbol for ink in digit_inks(image, decoded)] == [False, True, False, False]


@pytest.mark.parametrize("grid", [50, 70])
def test_an_equals_sign_between_a_faint_grids_lines_is_a_sign(grid):
    """A times table on squared paper, "7 = 49" written wide, "7 =" a line of its own: the
    equals sign's bars, flat, are no digit's strokes and were not boxed as its ink; measured
    across the columns about them, the grid's faint lines above and below made it as tall
    as the line, and it read as a 7. Taken at a third of its own brightest, it is flat."""
    image = np.zeros((LINE_HEIGHT, 64), np.uint8)
    image[[2, 29]] = grid  # the grid's lines, fainter than rules are looked for at
    cv2.putText(image, "7", (6, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    for y in (13, 19):
        cv2.line(image, (40, y), (52, y), 255, 2)
    decoded = [DecodedDigit(7, 0.99, 3, 3), DecodedDigit(7, 0.99, 11, 11)]
    assert [ink.symbol for ink in digit_inks(image, decoded)] == [False, True]


@pytest.mark.parametrize("digit", "0123456789")
def test_a_small_digit_on_a_slanting_rule_is_no_sign(digit):
    """Rules slanting through a small digit's top and foot (small digits on a ruled page, 0.6
    of their neighbours' height): with a row inked along most of the line taken for a rule's,
    they were an equals sign's bars; with the rules taken out, what was left was as flat as a
    minus sign."""
    image, columns = written(f"35,{digit}8", 0.6)
    cv2.line(image, (0, 13), (199, 9), 200, 2)  # through its top
    cv2.line(image, (0, 23), (199, 19), 200, 2)  # and its foot
    decoded = [
        DecodedDigit(1, 0.99, round((a + b) / 8 - 0.5), round((a + b) / 8 - 0.5))
        for a, b in columns
    ]
    assert [ink.symbol for ink in digit_inks(image, decoded)] == [False] * 4


def digits_and_a_mark(mark: Callable[[np.ndarray], None]) -> tuple[np.ndarray, list]:
    """A line image of a 6 and a 3 written 40 px apart (cv2's font, 17 px tall), with `mark`
    drawn in it, and the two digits as the reader decodes them: the mark read as blank."""
    image = np.zeros((LINE_HEIGHT, 120), np.uint8)
    decoded = []
    for x, digit in ((10, "6"), (64, "3")):
        cv2.putText(image, digit, (x, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
        decoded.append(DecodedDigit(int(digit), 0.99, (x + 7) // 4, (x + 7) // 4))
    mark(image)
    return image, decoded


def a_stroke(start: tuple[int, int], end: tuple[int, int]) -> Callable[[np.ndarray], None]:
    """A mark: a 2 px stroke from `start` to `end` (x, y)."""
    return lambda image: cv2.line(image, start, end, 255, 2)


def a_faint_stretch_of_a_rule(image: np.ndarray) -> None:
    """A rule along row 16, faint where it runs between the digits (under the level rules are
    looked for at, `_BOX_INK`): as flat as a minus sign there."""
    cv2.line(image, (0, 16), (119, 16), 200, 1)
    image[16, 34:56] = 60


@pytest.mark.parametrize(
    ("mark", "a_sign"),
    [
        (a_stroke((40, 16), (50, 16)), True),  # a minus
        (lambda image: [a_stroke((40, y), (50, y))(image) for y in (13, 19)], True),  # equals
        (lambda image: [a_stroke((40, 11 + d), (50, 21 - d))(image) for d in (0, 10)], True),  # x
        (a_stroke((45, 0), (45, 31)), False),  # a grid's upright line
        (lambda image: cv2.rectangle(image, (40, 1), (50, 30), 255, 2), False),  # a box
        (a_stroke((44, 16), (46, 16)), False),  # a dot, a speck
        (a_stroke((30, 16), (40, 16)), True),  # a dash written close after the 6
        (a_stroke((27, 16), (37, 16)), False),  # a stroke broken off the 6, beside it
        (a_stroke((40, 25), (50, 25)), False),  # low: an underline's end, a letter's foot
        (a_faint_stretch_of_a_rule, False),
    ],
)
def test_a_sign_the_reader_passed_over_parts_the_digits_either_side(mark, a_sign):
    """A sign written with room round it is often read as blank: a times table's widely
    spaced "6  x  3  =  18" read "6318", one number. A mark between two digits' ink is such
    a sign when it is clear of both, wide enough and about the digits' middle, off the line's
    rules."""
    image, decoded = digits_and_a_mark(mark)
    inks = digit_inks(image, decoded)
    assert [ink.symbol for ink in inks] == [False, False]
    assert [ink.after_a_mark for ink in inks] == [False, a_sign]


def strokes(*paths: list[tuple[int, int]]) -> Callable[[np.ndarray, int], None]:
    """A mark drawn as polylines through `paths` (x, y), shifted `x` px along the line."""

    def draw(image: np.ndarray, x: int) -> None:
        for path in paths:
            points = np.array([(px + x, py) for px, py in path], np.int32)
            cv2.polylines(image, [points], False, 255, 2, cv2.LINE_AA)

    return draw


TICK = strokes([(0, 14), (6, 26), (18, 4)])  # a teacher's check mark


@pytest.mark.parametrize(
    ("mark", "read_as", "a_tick"),
    [
        (TICK, [1], True),
        (strokes([(0, 12), (5, 25), (14, 6)]), [1], True),  # narrower, its short arm higher
        (TICK, [1, 1], True),  # read as two 1s, an arm each
        (TICK, [5], False),  # read as another digit: an MNIST 5 can have its shape
        (strokes([(12, 5), (3, 26)]), [1], False),  # a 1 slanting
        (strokes([(2, 10), (9, 5), (9, 26)]), [1], False),  # a 1 with a flag
        (strokes([(1, 5), (14, 5), (5, 26)]), [1], False),  # a 7
        (strokes([(3, 5), (3, 18), (14, 18)], [(11, 8), (11, 26)]), [1], False),  # a 4
        (strokes([(2, 6), (2, 26)], [(10, 6), (10, 26)]), [1, 1], False),  # two 1s
        (strokes([(0, 6), (8, 26), (16, 6)]), [1], False),  # a V: its arms alike
    ],
)
def test_a_tick_after_an_answer_is_no_digit(mark, read_as, a_tick):
    """Marked homework: a teacher's tick beside an answer read as a 1 ("61" read "611"). A
    mark read as a 1 (or two) after a 6 is a tick when it is a V leaning right, its left arm
    the shorter; 1s, 7s and 4s are not, nor a tick's shape read as another digit."""
    image = np.zeros((LINE_HEIGHT, 80), np.uint8)
    cv2.putText(image, "6", (6, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    mark(image, 40)
    decoded = [DecodedDigit(6, 0.99, 3, 3)]
    steps = [11] if len(read_as) == 1 else [10, 13]
    decoded += [DecodedDigit(d, 0.97, step, step) for d, step in zip(read_as, steps, strict=True)]
    symbols = [ink.symbol for ink in digit_inks(image, decoded)]
    assert symbols == [False] + [a_tick] * len(read_as)


@pytest.mark.parametrize(
    ("stroke", "a_slash"),
    [
        (strokes([(0, 30), (10, 5)]), True),  # beyond the digits both ways, leaning right
        (strokes([(0, 29), (9, 8)]), True),  # shorter, lower
        (strokes([(2, 26), (10, 5)]), False),  # a tall 1, standing on the line
        (strokes([(2, 26), (9, 9)]), False),  # a 1 leaning, as tall as the digits
        (strokes([(5, 30), (5, 5)]), False),  # upright: a table's line, a long 1
        (strokes([(0, 30), (5, 17), (6, 5)]), False),  # bent
    ],
)
def test_a_slash_between_digits_is_no_1(stroke, a_slash):
    """A date's or a fraction's slash read as a 1 ("3/4" read "314"): a straight stroke
    leaning right, taller than the digits beside it and reaching below their foot. A 1
    stands on the line, however tall and however it leans."""
    image = np.zeros((LINE_HEIGHT, 80), np.uint8)
    cv2.putText(image, "3", (6, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    stroke(image, 28)
    cv2.putText(image, "4", (46, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    decoded = [
        DecodedDigit(3, 0.99, 3, 3),
        DecodedDigit(1, 0.97, 8, 8),
        DecodedDigit(4, 0.99, 13, 13),
    ]
    assert [ink.symbol for ink in digit_inks(image, decoded)] == [False, a_slash, False]


@pytest.mark.parametrize("on", ["first", "last"])
def test_a_digit_read_on_a_small_printed_labels_letter_is_left_out(on):
    """A meter log's label "Bill" printed smaller than the number written after it: a digit
    read on one of its letters ("Bill 86" read "186") reaches, from its middle, as far as a
    written digit's own strokes would, which for print's smaller letters is their neighbours
    too: the word's other letters counted as read, and it was kept as a number."""
    image = np.zeros((LINE_HEIGHT, 100), np.uint8)
    cv2.putText(image, "Bill", (2, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 255, 2)
    _, _, stats, _ = cv2.connectedComponentsWithStats((image >= 128).view(np.uint8))
    letters = sorted((x + w // 2) // WIDTH_STEP for x, _, w, _, _ in stats[1:])
    cv2.ellipse(image, (66, 11), (5, 6), 0, 0, 360, 255, 2)  # an 8, twice the letters' height
    cv2.ellipse(image, (66, 22), (6, 6), 0, 0, 360, 255, 2)
    cv2.ellipse(image, (86, 21), (6, 7), 0, 0, 360, 255, 2)  # a 6
    cv2.line(image, (81, 19), (88, 4), 255, 2)
    step = letters[0] if on == "first" else letters[-1]
    number = [DecodedDigit(8, 0.99, 16, 16), DecodedDigit(6, 0.99, 21, 21)]
    assert without_letters(image, [DecodedDigit(1, 0.99, step, step), *number]) == number
