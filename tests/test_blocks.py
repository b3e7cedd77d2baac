"""A block of writing told apart into its rows by the gaps in its ink (`edge.blocks`)."""

import cv2
import numpy as np

from edge.blocks import rows_of_a_block


def block(bands: list[tuple[int, int]], height: int = 200, width: int = 120) -> np.ndarray:
    """uint8 grey paper (220) with dark ink (40) in each (top, bottom) band of pixel rows, as
    strokes: every other 6 px column, so a band holds ink and paper as writing does."""
    grey = np.full((height, width), 220, np.uint8)
    for top, bottom in bands:
        grey[top:bottom, 10:110:6] = 40
        grey[top:bottom, 11:110:6] = 40
    return grey


def test_a_blocks_rows_are_cut_at_the_middle_of_the_gaps_between_them():
    rows = rows_of_a_block(block([(10, 50), (62, 100), (110, 150)]))
    assert rows == [(5, 56), (56, 105), (105, 160)]  # each with up to a quarter of its height


def test_one_row_is_no_block():
    assert rows_of_a_block(block([(40, 90)])) == []
    assert rows_of_a_block(block([])) == []


def test_a_gap_within_a_row_a_broken_stroke_does_not_cut_it():
    """A gap under a twentieth of the rows' height is a pencil's broken stroke, not a row's end."""
    assert rows_of_a_block(block([(10, 50), (51, 90)], height=100)) == []
    assert len(rows_of_a_block(block([(10, 50), (54, 94)], height=100))) == 2


def test_a_sliver_of_the_row_above_is_no_row_of_its_own():
    """A block's box cut from a frame takes in the foot of the line above it: a band under 0.4
    of the rows' height is left out of the rows."""
    rows = rows_of_a_block(block([(0, 6), (25, 79), (84, 147)], height=170))
    assert [bottom - top > 50 for top, bottom in rows] == [True, True]
    assert rows[0][0] >= 6


def test_a_block_too_small_to_hold_rows_holds_none():
    assert rows_of_a_block(np.full((6, 50), 220, np.uint8)) == []


def touching_rows(rows: int, reach: int = 4, height: int = 30) -> np.ndarray:
    """uint8 grey paper with `rows` rows of five digit-like pieces (strokes 3 px wide, each a
    box's outline `height` px tall), one right under another, and in each row but the last a
    stroke reaching `reach` px into the row under it, so no pixel row between them is bare."""
    grey = np.full((rows * height + 20, 200), 220, np.uint8)
    for row in range(rows):
        top = 10 + row * height
        for left in range(15, 180, 35):
            cv2.rectangle(grey, (left, top + 4), (left + 18, top + height - 5), 40, 3)
        if row < rows - 1:
            cv2.line(grey, (60, top + height - 5), (60, top + height + reach), 40, 3)
    return grey


def test_rows_written_so_close_that_strokes_reach_across_are_told_apart_by_their_pieces():
    """A column sum on squared paper, each digit filling its square: a stroke of each row
    reaches into the next, no pixel row between them is bare, and the block was one row."""
    rows = rows_of_a_block(touching_rows(3))
    assert len(rows) == 3
    for (top, bottom), row in zip(rows, range(3), strict=True):
        assert abs(top - (10 + 30 * row)) <= 4 and abs(bottom - (40 + 30 * row)) <= 4
    # Two such rows are also a row cut in halves by a rule erased through it: left as one.
    assert rows_of_a_block(touching_rows(2)) == []


def test_lines_across_a_block_are_no_rows_and_fill_no_gap():
    """A grid's lines across the block, between its rows and at its edges, and a sum's bar
    drawn a degree turned: no rows of their own, and the rows apart by them are rows."""
    grey = block([(20, 60), (80, 120), (140, 180)], height=200)
    for y in (10, 70, 130, 190):
        grey[y, :] = 90  # the grid's lines, fainter than the ink
    cv2.line(grey, (5, 132), (115, 128), 40, 2)  # the bar, under the second row
    rows = rows_of_a_block(grey)
    assert len(rows) == 3
    for (top, bottom), (first, last) in zip(rows, [(20, 60), (80, 120), (140, 180)], strict=True):
        assert top <= first and last <= bottom and bottom - top < 70
