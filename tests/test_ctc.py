"""Greedy CTC decoding: repeats merge, blanks separate, each digit keeps its steps."""

import numpy as np
import pytest

from edge.ctc import BLANK, ctc_greedy_decode


def steps(*labels: int, sure: float = 0.9) -> np.ndarray:
    """Per-step probabilities whose likeliest class is each of `labels` in turn."""
    probabilities = np.full((len(labels), BLANK + 1), (1 - sure) / BLANK, np.float32)
    probabilities[np.arange(len(labels)), labels] = sure
    return probabilities


def test_repeats_merge_and_blanks_separate():
    _ = BLANK
    decoded = ctc_greedy_decode(steps(_, 1, 1, _, 1, _, _, 7, 7, 7, _))
    assert [d.digit for d in decoded] == [1, 1, 7]
    assert [(d.first_step, d.last_step) for d in decoded] == [(1, 2), (4, 4), (7, 9)]


def test_a_double_digit_needs_a_blank_between():
    assert [d.digit for d in ctc_greedy_decode(steps(0, 0, 0))] == [0]
    assert [d.digit for d in ctc_greedy_decode(steps(0, BLANK, 0))] == [0, 0]


def test_confidence_is_the_chance_the_digit_is_emitted_over_its_steps():
    probabilities = steps(BLANK, 4, 4, BLANK, BLANK, sure=0.6)
    probabilities[0, 4] = 0.3  # the step before the run counts; two steps after it do not
    probabilities[4, 4] = 0.3
    [four] = ctc_greedy_decode(probabilities)
    assert four.digit == 4
    assert four.confidence == pytest.approx(1 - 0.7 * 0.4 * 0.4 * (1 - 0.4 / 10))


def test_all_blank_and_no_steps_read_nothing():
    assert ctc_greedy_decode(steps(BLANK, BLANK)) == []
    assert ctc_greedy_decode(np.zeros((0, BLANK + 1), np.float32)) == []


def test_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="shape"):
        ctc_greedy_decode(np.zeros((5, 10), np.float32))
