"""A block of writing told apart into its rows by the gaps in its ink (`edge.blocks`)."""

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
