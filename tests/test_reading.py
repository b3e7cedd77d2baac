"""Reading order, rejection of unsure digits, and the stabilizer, on boxes and scores built here."""

import dataclasses

import numpy as np
import pytest

from edge.events import DigitPrediction, FrameResult
from edge.reading import Stabilizer, predictions, reading_of, reading_order, text_of


def one_hot(digits: list[int], confidence: float = 0.99) -> np.ndarray:
    scores = np.full((len(digits), 10), (1 - confidence) / 9, np.float32)
    scores[np.arange(len(digits)), digits] = confidence
    return scores


def test_one_row_reads_left_to_right_whatever_the_input_order():
    boxes = [(300, 100, 40, 60), (100, 105, 40, 60), (200, 98, 40, 60)]
    assert reading_order(boxes) == [1, 2, 0]


def test_rows_read_top_to_bottom():
    top = [(100, 50, 40, 60), (160, 52, 40, 60)]
    bottom = [(90, 200, 40, 60), (150, 198, 40, 60), (210, 202, 40, 60)]
    boxes = [bottom[2], top[1], bottom[0], top[0], bottom[1]]
    ordered = [boxes[i] for i in reading_order(boxes)]
    assert ordered == top + bottom


def test_a_slanted_line_stays_one_row():
    # Paper turned by ~12 degrees: the last digit's top is lower than the first digit's bottom.
    boxes = [(100 + 70 * i, 100 + 15 * i, 40, 60) for i in range(6)]
    assert boxes[-1][1] > boxes[0][1] + boxes[0][3]
    assert reading_order(boxes[::-1]) == [5, 4, 3, 2, 1, 0]


def test_slanted_rows_of_different_lengths_keep_their_order():
    # Both lines fall 0.4 px per px to the right. The second is short and on the left, so on
    # average it sits higher in the frame than the long first line; along the slant it is below.
    first = [(50 + 60 * i, 100 + 24 * i, 40, 60) for i in range(8)]
    second = [(50 + 60 * i, 170 + 24 * i, 40, 60) for i in range(2)]
    mean_y = [sum(y for _, y, _, _ in row) / len(row) for row in (first, second)]
    assert mean_y[1] < mean_y[0]
    boxes = second + first
    ordered = [boxes[i] for i in reading_order(boxes)]
    assert ordered == first + second


def test_predictions_come_in_reading_order_with_unsure_digits_as_none():
    boxes = [(200, 10, 20, 30), (100, 10, 20, 30), (150, 12, 20, 30)]
    scores = one_hot([7, 4, 0])
    scores[2] = one_hot([3], confidence=0.5)[0]  # the middle digit is a guess
    digits = predictions(boxes, scores, confidence=0.6)
    assert [d.digit for d in digits] == [4, None, 7]
    assert [d.box for d in digits] == [(100, 10, 20, 30), (150, 12, 20, 30), (200, 10, 20, 30)]
    assert digits[1].confidence == pytest.approx(0.5)
    assert text_of(digits) == "4?7"


def test_confidence_exactly_at_the_threshold_is_accepted():
    digits = predictions([(0, 0, 10, 10)], one_hot([9], confidence=0.6), confidence=0.6)
    assert digits[0].digit == 9


def test_no_candidates_read_as_empty():
    assert predictions([], np.empty((0, 10), np.float32), 0.6) == ()
    assert text_of(()) == ""


def test_mismatched_boxes_and_scores_are_refused():
    with pytest.raises(ValueError, match="2 boxes but 1 rows"):
        predictions([(0, 0, 1, 1), (5, 0, 1, 1)], one_hot([1]), 0.6)


def frame(index: int, text: str, timestamp: float = 100.0) -> FrameResult:
    digits = tuple(
        DigitPrediction(None if c == "?" else int(c), 0.9 - 0.1 * i, (10 * i, 0, 8, 8))
        for i, c in enumerate(text)
    )
    return FrameResult(index, timestamp, np.zeros((4, 4), np.uint8), digits, text, {})


def feed(stabilizer: Stabilizer, texts: list[str]) -> list[str]:
    emitted = []
    for index, text in enumerate(texts):
        reading = stabilizer.update(frame(index, text), now=100.05)
        if reading is not None:
            emitted.append(reading.text)
    return emitted


def test_a_reading_is_emitted_once_after_holding_for_n_frames():
    assert feed(Stabilizer(3), ["12", "12", "12", "12", "12"]) == ["12"]
    assert feed(Stabilizer(3), ["12", "12"]) == []


def test_a_flicker_resets_the_count():
    assert feed(Stabilizer(3), ["12", "12", "17", "12", "12"]) == []
    assert feed(Stabilizer(3), ["12", "12", "17", "12", "12", "12"]) == ["12"]


def test_a_change_is_emitted_and_a_return_is_emitted_again():
    texts = ["12"] * 3 + ["45"] * 3 + ["12"] * 3
    assert feed(Stabilizer(3), texts) == ["12", "45", "12"]


def test_the_same_reading_after_a_brief_flicker_is_not_repeated():
    assert feed(Stabilizer(2), ["12", "12", "1?", "12", "12", "12"]) == ["12"]


def test_an_empty_view_is_news_only_after_something_was_read():
    assert feed(Stabilizer(2), ["", "", "", "8", "8", "", ""]) == ["8", ""]


def test_an_empty_view_says_the_reason_most_of_its_frames_gave():
    """A hand over the lens: "no ink found" in most frames, "ink found, no digits read" in the
    one the empty view held on; it was said for the whole."""
    stabilizer = Stabilizer(3)
    feed(stabilizer, ["8", "8", "8"])
    reasons = ["no ink found", "no ink found", "ink found, no digits read"]
    said = [
        stabilizer.update(dataclasses.replace(frame(3 + i, ""), empty_reason=why), now=101.0)
        for i, why in enumerate(reasons)
    ]
    assert said[:2] == [None, None] and said[2].text == ""
    assert said[2].empty_reason == "no ink found" and said[2].frame_index == 5


@pytest.mark.parametrize(
    ("texts", "at_end"),
    [
        (["12"], "12"),  # one photo saved as a video
        (["12", "12"], "12"),  # a clip shorter than the 3 frames a reading must hold
        (["12", "17"], None),  # frames that disagree: no reading to trust
        (["", ""], None),  # nothing read
        (["12", "12", "12"], None),  # it held: said already
        (["45", "45", "45", "12"], None),  # a reading held; the last frame alone is not one
    ],
)
def test_a_replay_too_short_for_a_reading_to_hold_says_what_all_its_frames_read(texts, at_end):
    stabilizer = Stabilizer(3)
    feed(stabilizer, texts)
    reading = stabilizer.at_end(now=101.0)
    assert (reading.text if reading else None) == at_end
    assert stabilizer.at_end(now=101.0) is None  # said once


def test_stable_frames_of_one_emits_every_change():
    assert feed(Stabilizer(1), ["3", "3", "4", "?"]) == ["3", "4", "?"]


def test_the_reading_carries_the_weakest_confidence_and_the_latency():
    stabilizer = Stabilizer(2)
    stabilizer.update(frame(0, "4?1", timestamp=100.0), now=100.01)
    reading = stabilizer.update(frame(1, "4?1", timestamp=100.0), now=100.025)
    assert reading is not None
    assert reading.text == "4?1"
    assert reading.frame_index == 1
    assert reading.confidence == pytest.approx(0.7)
    assert reading.latency_ms == pytest.approx(25.0)
    assert [d.digit for d in reading.digits] == [4, None, 1]


def test_a_still_images_reading_is_the_frame_as_it_is_with_its_file_and_truth():
    still = dataclasses.replace(frame(4, "4?1", timestamp=100.0), path="a.jpg", truth="471")
    reading = reading_of(still, now=100.02)
    assert (reading.text, reading.frame_index, reading.path, reading.truth) == (
        "4?1",
        4,
        "a.jpg",
        "471",
    )
    assert reading.confidence == pytest.approx(0.7)
    assert reading.latency_ms == pytest.approx(20.0)


def test_a_stable_reading_says_what_the_confirming_frame_had_written():
    stabilizer = Stabilizer(2)
    for index, truth in enumerate(["12", "13"]):
        reading = stabilizer.update(
            dataclasses.replace(frame(index, "13"), truth=truth), now=100.05
        )
    assert reading is not None and reading.truth == "13"


def test_stable_frames_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        Stabilizer(0)
