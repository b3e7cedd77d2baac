"""CTC decoding (Graves et al., "Connectionist Temporal Classification", ICML 2006).

The reader gives, for each column step of a line, a probability for each of the 10 digits and
the blank. Greedy (best-path) decoding takes the likeliest class at every step, merges runs of
the same class and drops blanks: "1 1 _ 1 _ _ 7" reads "117". Each read digit keeps the steps
that produced it, so it gets a place on the line and a confidence: the probability that it is
emitted at all over its steps and the step on either side, 1 - prod(1 - p), since a CTC
reader often spreads one digit over two steps (0.59 at each is a sure digit, 0.83).

The forward algorithm (`ctc_log_likelihoods`) gives how likely a reading is over all the
alignments of it, and Viterbi alignment (`ctc_align`) the likeliest path that reads it: they
let the line reader weigh the readings of several views of one line against each other.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BLANK = 10  # index of the CTC blank among the reader's 11 classes (digits 0-9 first)
_FLOOR = 1e-12  # probabilities are floored here before their log: int8 softmax gives exact 0s


@dataclass(frozen=True)
class DecodedDigit:
    digit: int
    confidence: float  # probability that the digit is emitted over its steps (and one each side)
    first_step: int  # the steps (inclusive) where it was the likeliest class
    last_step: int


def ctc_greedy_decode(probabilities: np.ndarray) -> list[DecodedDigit]:
    """Best-path decoding of float `[T, 11]` per-step class probabilities (blank last).

    Raises ValueError for any other shape.
    """
    _check(probabilities)
    best = probabilities.argmax(axis=1)
    return _digits(probabilities, best)


def ctc_greedy_labels(probabilities: np.ndarray) -> tuple[int, ...]:
    """The digits best-path decoding reads in float `[T, 11]` probabilities, without their
    steps and confidences (`ctc_greedy_decode`'s digits, at a fraction of its cost).

    Raises ValueError for any other shape.
    """
    _check(probabilities)
    best = probabilities.argmax(axis=1)
    kept = best != BLANK
    kept[1:] &= best[1:] != best[:-1]
    return tuple(best[kept].tolist())


def ctc_align(probabilities: np.ndarray, labels: Sequence[int]) -> list[DecodedDigit] | None:
    """The digits `labels` (0-9 each) placed on float `[T, 11]` per-step probabilities along
    the likeliest path that reads them (Viterbi over CTC's paths: blanks between, a digit's
    steps in a run, a blank required between two equal digits), each with its steps and
    confidence as `ctc_greedy_decode` gives them. None when `T` steps are too few to read them.

    Raises ValueError for probabilities of any other shape.
    """
    return ctc_align_views([probabilities], labels)[0]


def ctc_align_views(
    views: Sequence[np.ndarray], labels: Sequence[int]
) -> list[list[DecodedDigit] | None]:
    """`ctc_align` of one reading on each of several views (float `[T, 11]` each, T may
    differ), all at once: the views are padded with blank steps, which a path that has read
    the digits stays on, so each view's path is its own.

    Raises ValueError for probabilities of any other shape.
    """
    for view in views:
        _check(view)
    states = _extended(labels)
    steps, count = max((len(view) for view in views), default=0), len(states)
    if steps == 0:
        return [None if len(labels) else [] for _ in views]
    log_p = _padded_logs(views, steps)[..., states]  # [V, T, S]
    skip = _can_skip(states)
    best = np.full((len(views), count), -np.inf)
    best[:, :2] = log_p[:, 0, :2]
    came_from = np.zeros((len(views), steps, count), np.int8)  # 0: stayed, 1: one on, 2: two on
    for step in range(1, steps):
        moves = np.stack([best, _later(best, 1), np.where(skip, _later(best, 2), -np.inf)])
        came_from[:, step] = moves.argmax(axis=0)
        best = moves.max(axis=0) + log_p[:, step]
    # A path ends on the last digit or the blank after it (after padding: the blank).
    state = np.full(len(views), count - 1)
    if count > 1:
        state[best[:, -2] > best[:, -1]] = count - 2
    rows = np.arange(len(views))
    reached = np.isfinite(best[rows, state])
    path = np.empty((len(views), steps), np.int64)
    for step in range(steps - 1, -1, -1):
        path[:, step] = state
        state = state - came_from[rows, step, state]
    aligned: list[list[DecodedDigit] | None] = []
    for view, view_path, found in zip(views, path, reached, strict=True):
        if not found:
            aligned.append(None)
            continue
        own = view_path[: len(view)]
        # Steps on a blank state read as the blank; consecutive steps on one digit's state
        # form its run, and two runs of one digit are apart by the blank between them.
        aligned.append(_digits(view, np.where(own % 2 == 1, states[own], BLANK), own))
    return aligned


def ctc_log_likelihoods(
    views: Sequence[np.ndarray], readings: Sequence[Sequence[int]]
) -> np.ndarray:
    """float64 `[len(views), len(readings)]`: log P(reading | view) by CTC's forward algorithm,
    the probability of a reading summed over all the paths that read it. Each view is a float
    `[T, 11]` of per-step probabilities (T may differ between views: they are padded with
    blank steps, which leave every likelihood as it is). A reading the steps are too few for
    is -inf.

    Raises ValueError for probabilities of any other shape.
    """
    for view in views:
        _check(view)
    steps = max((len(view) for view in views), default=0)
    if not readings or steps == 0:  # no steps read nothing, for sure
        empty = np.array([len(reading) == 0 for reading in readings], bool)
        return np.where(empty, 0.0, -np.inf)[np.newaxis].repeat(len(views), axis=0)
    log_p = _padded_logs(views, steps)  # [V, T, 11]
    extended = [_extended(reading) for reading in readings]
    width = max(len(states) for states in extended)
    states = np.full((len(readings), width), BLANK)  # [R, S]; states past a reading's own are
    skip = np.zeros((len(readings), width), bool)  # never fed back into its own
    for index, own in enumerate(extended):
        states[index, : len(own)] = own
        skip[index, : len(own)] = _can_skip(own)
    alpha = np.full((len(views), len(readings), width), -np.inf)
    alpha[..., 0] = log_p[:, 0, BLANK][:, np.newaxis]
    if width > 1:
        alpha[..., 1] = log_p[:, 0][:, states[:, 1]]
    for step in range(1, steps):
        moved = np.logaddexp(alpha, _later(alpha, 1))
        moved = np.logaddexp(moved, np.where(skip, _later(alpha, 2), -np.inf))
        alpha = moved + log_p[:, step][:, states]
    ends = np.array([len(own) for own in extended])
    rows = np.arange(len(readings))
    last = alpha[:, rows, ends - 1]
    before_last = np.where(ends >= 2, alpha[:, rows, np.maximum(ends - 2, 0)], -np.inf)
    return np.logaddexp(last, before_last)


def _check(probabilities: np.ndarray) -> None:
    if probabilities.ndim != 2 or probabilities.shape[1] != BLANK + 1:
        raise ValueError(f"expected probabilities of shape (T, 11), got {probabilities.shape}")


def _log(probabilities: np.ndarray) -> np.ndarray:
    """float64 natural logs of probabilities, floored at `_FLOOR`."""
    return np.log(np.maximum(probabilities.astype(np.float64), _FLOOR))


def _padded_logs(views: Sequence[np.ndarray], steps: int) -> np.ndarray:
    """float64 `[V, steps, 11]`: each view's `_log` probabilities, padded to `steps` with
    blank steps (a blank for sure), which leave every path's score as it is."""
    log_p = np.full((len(views), steps, BLANK + 1), -np.inf)
    log_p[..., BLANK] = 0.0
    for index, view in enumerate(views):
        log_p[index, : len(view)] = _log(view)
    return log_p


def _extended(labels: Sequence[int]) -> np.ndarray:
    """CTC's states for `labels`: a blank before, between and after the digits."""
    states = np.full(2 * len(labels) + 1, BLANK)
    states[1::2] = labels
    return states


def _can_skip(states: np.ndarray) -> np.ndarray:
    """bool per state: whether a path may reach it from two states back, skipping the blank
    between (only from one digit to a different one)."""
    skip = np.zeros(len(states), bool)
    skip[2:] = (states[2:] != BLANK) & (states[2:] != states[:-2])
    return skip


def _later(values: np.ndarray, by: int) -> np.ndarray:
    """`values` moved `by` places along the last axis, -inf coming in: each state's score from
    the state `by` before it."""
    moved = np.full_like(values, -np.inf)
    moved[..., by:] = values[..., :-by]
    return moved


def _digits(
    probabilities: np.ndarray, labels: np.ndarray, runs: np.ndarray | None = None
) -> list[DecodedDigit]:
    """The digits a path reads: `labels` [T], a class per step, split into runs where the
    label changes (or, given `runs` [T], where that does) and the blanks dropped."""
    runs = labels if runs is None else runs
    if len(runs) == 0:
        return []
    starts = np.flatnonzero(np.concatenate([[True], runs[1:] != runs[:-1]]))
    ends = np.append(starts[1:], len(runs)) - 1
    digits: list[DecodedDigit] = []
    for step, end in zip(starts.tolist(), ends.tolist(), strict=True):
        label = int(labels[step])
        if label == BLANK:
            continue
        around = probabilities[max(0, step - 1) : end + 2, label].tolist()
        # (math on a few floats: a fraction of numpy's cost per call, on every line read)
        missed = math.prod(1.0 - min(1.0, max(0.0, p)) for p in around)
        digits.append(DecodedDigit(label, 1.0 - missed, step, end))
    return digits
