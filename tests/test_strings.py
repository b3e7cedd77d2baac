"""The reader's training strings (train.strings): composed as writing is, cut as the device cuts."""

import numpy as np
import pytest

from edge.ink import LINE_HEIGHT
from train.strings import EVALUATION, MAX_DIGITS, MAX_WIDTH, Digits, random_line


@pytest.fixture(scope="module")
def digits(mnist_path) -> Digits:
    with np.load(mnist_path) as npz:
        return Digits(npz["x_train"][:3000], npz["y_train"][:3000])


def test_lines_are_the_readers_input_with_their_labels(digits: Digits) -> None:
    rng = np.random.default_rng(2)
    lines = [random_line(digits, rng) for _ in range(60)]
    for line in lines:
        assert line.image.dtype == np.uint8 and line.image.shape[0] == LINE_HEIGHT
        assert 0 < line.image.shape[1] <= MAX_WIDTH
        assert all(0 <= d <= 9 for d in line.labels) and len(line.labels) <= MAX_DIGITS
        # The line's ink is stretched to full white (edge.ink.stretch_ink) unless it holds none.
        assert line.image.max() >= 200 or not line.labels


def test_a_seed_gives_the_same_lines(digits: Digits) -> None:
    first = [random_line(digits, np.random.default_rng(5)) for _ in range(3)]
    again = [random_line(digits, np.random.default_rng(5)) for _ in range(3)]
    for a, b in zip(first, again, strict=True):
        assert a.labels == b.labels and np.array_equal(a.image, b.image)


def test_evaluation_strings_have_the_issues_lengths_and_are_never_empty(digits: Digits) -> None:
    rng = np.random.default_rng(3)
    lengths = {len(random_line(digits, rng, EVALUATION).labels) for _ in range(200)}
    assert lengths == set(range(1, 9))
