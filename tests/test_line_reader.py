"""Reading a line: once when the reader is sure, else its scores averaged over shifted copies."""

import numpy as np

from edge.ctc import BLANK, ctc_greedy_decode
from edge.ink import LINE_HEIGHT
from edge.line_reader import read_digits


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


def test_a_line_read_surely_is_read_once():
    sure = steps(BLANK, 1, BLANK, 7, sure=0.95)
    reader = ScriptedReader(sure)
    assert read_digits(reader, a_line()) == ctc_greedy_decode(sure)
    assert len(reader.seen) == 1


def test_a_line_that_reads_nothing_is_read_once():
    reader = ScriptedReader(steps(BLANK, BLANK, BLANK, BLANK, sure=0.99))
    assert read_digits(reader, a_line()) == []
    assert len(reader.seen) == 1


def test_an_unsure_line_is_read_again_shifted_a_pixel_down_and_up_and_averaged():
    unsure = steps(BLANK, 1, BLANK, 7, sure=0.5)
    down, up = steps(BLANK, 1, BLANK, 1, sure=0.9), steps(BLANK, 1, BLANK, 7, sure=0.9)
    reader = ScriptedReader(unsure, down, up)
    line = a_line()
    digits = read_digits(reader, line)
    averaged = ctc_greedy_decode((unsure + down + up) / 3)
    assert [d.digit for d in digits] == [d.digit for d in averaged] == [1, 7]
    np.testing.assert_allclose([d.confidence for d in digits], [d.confidence for d in averaged])
    first, moved_down, moved_up = reader.seen
    np.testing.assert_array_equal(first, line)
    np.testing.assert_array_equal(moved_down[1:], line[:-1])
    np.testing.assert_array_equal(moved_up[:-1], line[1:])
    assert not moved_down[0].any() and not moved_up[-1].any()  # bare paper comes in
