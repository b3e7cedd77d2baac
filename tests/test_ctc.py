"""CTC decoding: repeats merge, blanks separate, each digit keeps its steps; the forward algorithm
and Viterbi alignment checked against every path counted."""

import itertools

import numpy as np
import pytest

from edge.ctc import (
    BLANK,
    ctc_align,
    ctc_align_views,
    ctc_greedy_decode,
    ctc_greedy_labels,
    ctc_log_likelihoods,
)


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


@pytest.mark.parametrize("seed", range(4))
def test_the_labels_alone_are_the_greedy_readings(seed):
    rng = np.random.default_rng(seed)
    probabilities = rng.dirichlet(np.full(BLANK + 1, 0.3), size=int(rng.integers(0, 40)))
    expected = tuple(d.digit for d in ctc_greedy_decode(probabilities))
    assert ctc_greedy_labels(probabilities) == expected


def test_all_blank_and_no_steps_read_nothing():
    assert ctc_greedy_decode(steps(BLANK, BLANK)) == []
    assert ctc_greedy_decode(np.zeros((0, BLANK + 1), np.float32)) == []


def test_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="shape"):
        ctc_greedy_decode(np.zeros((5, 10), np.float32))


def brute_force(probabilities: np.ndarray, classes: tuple[int, ...]) -> dict:
    """Every path over `classes` (blank among them): each reading's total probability and its
    likeliest path."""
    totals: dict[tuple[int, ...], float] = {}
    best: dict[tuple[int, ...], tuple[float, tuple[int, ...]]] = {}
    steps_count = len(probabilities)
    for path in itertools.product(classes, repeat=steps_count):
        chance = float(np.prod(probabilities[np.arange(steps_count), path]))
        reading = tuple(
            c for i, c in enumerate(path) if c != BLANK and (i == 0 or path[i - 1] != c)
        )
        totals[reading] = totals.get(reading, 0.0) + chance
        if chance > best.get(reading, (-1.0, ()))[0]:
            best[reading] = (chance, path)
    return {"totals": totals, "best": best}


def runs_of(path: tuple[int, ...]) -> list[tuple[int, int]]:
    """(first, last) steps of each run of a digit along a path."""
    runs, step = [], 0
    while step < len(path):
        end = step
        while end + 1 < len(path) and path[end + 1] == path[step]:
            end += 1
        if path[step] != BLANK:
            runs.append((step, end))
        step = end + 1
    return runs


@pytest.mark.parametrize("seed", range(8))
def test_the_forward_algorithm_and_viterbi_agree_with_every_path_counted(seed):
    rng = np.random.default_rng(seed)
    probabilities = rng.dirichlet(np.full(BLANK + 1, 0.5), size=int(rng.integers(1, 6)))
    counted = brute_force(probabilities, (0, 1, 2, BLANK))
    readings = sorted(counted["totals"])
    likelihoods = ctc_log_likelihoods([probabilities], readings)[0]
    for reading, likelihood in zip(readings, likelihoods, strict=True):
        assert np.exp(likelihood) == pytest.approx(counted["totals"][reading], rel=1e-6)
        aligned = ctc_align(probabilities, reading)
        assert tuple(d.digit for d in aligned) == reading
        _, path = counted["best"][reading]
        assert [(d.first_step, d.last_step) for d in aligned] == runs_of(path)


def test_views_of_different_lengths_are_weighed_alike_and_too_few_steps_read_nothing():
    _ = BLANK
    short = steps(_, 4, _, sure=0.8)
    longer = np.concatenate([short, steps(_, _, sure=1.0)])  # sure blanks change nothing
    likelihoods = ctc_log_likelihoods([short, longer], [(4,), (4, 4), (4, 4, 4)])
    assert likelihoods[0, 0] == pytest.approx(likelihoods[1, 0])
    assert likelihoods[0, 0] > likelihoods[0, 1]
    assert likelihoods[0, 2] == -np.inf  # 4 4 4 needs blanks between: 5 steps at least
    assert ctc_align(short, (4, 4, 4)) is None
    assert ctc_align(short, ()) == []


@pytest.mark.parametrize("seed", range(4))
def test_views_aligned_at_once_are_each_aligned_as_alone(seed):
    rng = np.random.default_rng(seed)
    views = [rng.dirichlet(np.full(BLANK + 1, 0.5), size=n).astype(np.float32) for n in (3, 9, 6)]
    for reading in [(), (5,), (2, 7, 2), (1, 1, 1, 1)]:
        together = ctc_align_views(views, reading)
        assert together == [ctc_align(view, reading) for view in views]
        assert [tuple(d.digit for d in aligned or []) for aligned in together[1:2]] == [reading]
    # 1 1 1 1 needs 7 steps (blanks between): the views of 3 and 6 cannot read it.
    assert [aligned is None for aligned in ctc_align_views(views, (1, 1, 1, 1))] == [
        True,
        False,
        True,
    ]


def test_a_repeated_digit_is_aligned_with_a_blank_between():
    _ = BLANK
    probabilities = steps(_, 3, 3, 3, _, sure=0.7)
    decoded = ctc_align(probabilities, (3, 3))
    assert [d.digit for d in decoded] == [3, 3]
    first, second = decoded
    assert first.last_step + 1 < second.first_step  # a step between them is the blank


def test_likelihoods_and_alignment_refuse_wrong_shapes():
    with pytest.raises(ValueError, match="shape"):
        ctc_log_likelihoods([np.zeros((5, 10), np.float32)], [(1,)])
    with pytest.raises(ValueError, match="shape"):
        ctc_align(np.zeros((5, 10), np.float32), (1,))
