"""How the bench scores read-outs against the scenes' truth, on boxes built here, and labelled
photos against the truth in their folder."""

import argparse
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.bench import (
    BenchError,
    _kept,
    accuracy,
    accuracy_by_condition,
    condition_list,
    format_real,
    overlap,
    real_figures,
    real_truths,
)
from edge.scenes import CONDITIONS, Scene

PAPER = np.zeros((48, 64, 3), np.uint8)


def scene(labels: list[int], boxes: list[tuple[int, int, int, int]], condition="plain") -> Scene:
    return Scene(PAPER, tuple(boxes), tuple(labels), condition)


def test_overlap_is_the_shared_part_of_the_smaller_box():
    assert overlap((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert overlap((0, 0, 10, 10), (5, 0, 10, 10)) == 0.5
    assert overlap((0, 0, 10, 10), (10, 0, 10, 10)) == 0.0
    # A "1" found two pixels narrower than the truth still matches it fully.
    assert overlap((100, 50, 6, 40), (101, 50, 4, 40)) == 1.0


def test_exact_and_per_digit_accuracy():
    scenes = [
        scene([4, 0], [(10, 10, 20, 30), (40, 10, 20, 30)]),
        scene([7, 1], [(10, 10, 20, 30), (40, 10, 8, 30)]),
        scene([3], [(10, 10, 20, 30)]),
        scene([9], [(10, 10, 20, 30)]),
    ]
    readouts = [
        ("40", [((11, 10, 19, 30), 4), ((41, 11, 18, 29), 0)]),  # all right
        ("71", [((10, 10, 20, 30), 7), ((41, 10, 5, 30), 1)]),  # right, a thin box for the 1
        ("38", [((10, 10, 20, 30), 3), ((200, 10, 20, 30), 8)]),  # an extra digit: not exact
        None,  # the frame failed
    ]
    figures = accuracy(scenes, readouts)
    assert figures["exact_readouts"] == 2 and figures["exact_readout"] == 0.5
    assert figures["correct_digits"] == 5 and figures["per_digit"] == pytest.approx(5 / 6, abs=1e-4)


def test_a_wrong_digit_or_a_missed_one_is_not_counted():
    truth = scene([5, 6], [(10, 10, 20, 30), (40, 10, 20, 30)])
    assert accuracy([truth], [("8", [((10, 10, 20, 30), 8)])])["correct_digits"] == 0
    assert accuracy([truth], [("6", [((40, 10, 20, 30), 6)])])["correct_digits"] == 1
    # One found box cannot count for two true digits.
    both = [("?", [((10, 10, 50, 30), 5)])]
    assert accuracy([truth], both)["correct_digits"] == 1


def test_readouts_must_pair_with_scenes():
    with pytest.raises(ValueError):
        accuracy([scene([1], [(0, 0, 5, 5)])], [])


def test_peak_rss_is_the_commands_own_not_its_big_parents():
    ballast = np.ones(300_000_000 // 8)  # this process holds 300 MB; the command needs ~80
    command = [sys.executable, "-c", "import numpy as n; a = n.ones(60_000_000 // 8); print(a[0])"]
    done = subprocess.run(
        [sys.executable, "-m", "edge.peak_rss", *command], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert 60 <= int(done.stdout) / 1024 < 150
    assert ballast[-1] == 1.0


def test_peak_rss_passes_on_the_commands_exit_status():
    done = subprocess.run(
        [sys.executable, "-m", "edge.peak_rss", sys.executable, "-c", "raise SystemExit(3)"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3


def test_accuracy_per_condition_counts_each_conditions_scenes_alone():
    scenes = [
        scene([4, 0], [(10, 10, 20, 30), (40, 10, 20, 30)], "touching"),
        scene([7], [(10, 10, 20, 30)], "plain"),
        scene([2, 3], [(10, 10, 20, 30), (40, 10, 20, 30)], "touching"),
        scene([5], [(10, 10, 20, 30)], "dim"),
        scene([6], [(10, 10, 20, 30)], "plain"),
    ]
    readouts = [
        ("4", [((10, 10, 50, 30), 4)]),  # the touching pair read as one digit: 1 of 2
        ("7", [((10, 10, 20, 30), 7)]),
        ("23", [((10, 10, 20, 30), 2), ((40, 10, 20, 30), 3)]),
        None,  # the frame failed
        ("0", [((10, 10, 20, 30), 0)]),
    ]
    by_condition = accuracy_by_condition(scenes, readouts)
    assert list(by_condition) == ["plain", "touching", "dim"]  # in CONDITIONS order
    assert by_condition["plain"] == {
        "scenes": 2,
        "digits": 2,
        "exact_readout": 0.5,
        "exact_readouts": 1,
        "per_digit": 0.5,
        "correct_digits": 1,
    }
    touching = by_condition["touching"]
    assert (touching["scenes"], touching["digits"]) == (2, 4)
    assert (touching["exact_readouts"], touching["correct_digits"]) == (1, 3)
    assert touching["per_digit"] == 0.75
    assert by_condition["dim"]["exact_readout"] == 0.0 and by_condition["dim"]["digits"] == 1
    # The parts add up to the whole.
    overall = accuracy(scenes, readouts)
    assert overall["exact_readouts"] == sum(c["exact_readouts"] for c in by_condition.values())
    assert overall["correct_digits"] == sum(c["correct_digits"] for c in by_condition.values())


def test_conditions_option_takes_names_commas_and_all():
    assert condition_list("touching, close") == ("touching", "close")
    assert condition_list("dim,dim") == ("dim",)
    assert condition_list("all") == tuple(CONDITIONS)
    with pytest.raises(argparse.ArgumentTypeError, match="unknown condition foggy"):
        condition_list("plain,foggy")
    with pytest.raises(argparse.ArgumentTypeError):
        condition_list(",")


def write_photo(path: Path) -> None:
    cv2.imwrite(str(path), np.full((20, 30, 3), 230, np.uint8))


def test_truth_comes_from_file_names_like_score_readings(tmp_path):
    for name in (
        "4_dcaj_1.png", "0_me_12.JPG", "seq-4071_me_3.jpg", "seq-7_x_1.webp",  # labelled
        "12_me_1.png", "x_4_me_1.png", "seq-_me_1.png", "7me.png", "notes_1.png",  # not
    ):  # fmt: skip
        write_photo(tmp_path / name)
    (tmp_path / "5_me_1.txt").write_text("not a photo")
    (tmp_path / "3_me_9.gif").write_bytes(b"GIF89a")  # not a kind score_readings.py takes
    (tmp_path / "rotate-180").mkdir()
    assert real_truths(tmp_path) == {
        "0_me_12.JPG": "0",
        "4_dcaj_1.png": "4",
        "seq-4071_me_3.jpg": "4071",
        "seq-7_x_1.webp": "7",
    }


def test_a_truth_file_overrides_the_file_names(tmp_path):
    write_photo(tmp_path / "4_me_1.png")
    write_photo(tmp_path / "page.png")
    (tmp_path / "truth.txt").write_text("page.png 4071\n\n  card.jpg   09 \n")
    assert real_truths(tmp_path) == {"page.png": "4071", "card.jpg": "09"}


@pytest.mark.parametrize(
    ("truth", "message"),
    [
        ("page.png\n", "line 1: expected `FILE DIGITS`"),
        ("page.png 4071\ncard.jpg 40 71\n", "line 2: expected `FILE DIGITS`"),
        ("page.png four\n", "line 1"),
        ("\n", "no labelled images"),
    ],
)
def test_a_bad_truth_file_is_refused_with_the_line(tmp_path, truth, message):
    (tmp_path / "truth.txt").write_text(truth)
    with pytest.raises(BenchError, match=message):
        real_truths(tmp_path)


def test_a_folder_without_labelled_photos_is_refused(tmp_path):
    write_photo(tmp_path / "page.png")
    with pytest.raises(BenchError, match="no labelled images"):
        real_truths(tmp_path)
    with pytest.raises(BenchError, match="no such folder"):
        real_truths(tmp_path / "missing")


def test_real_figures_exact_read_outs_per_kind_class_misses_and_the_misses():
    truth = {"4_a_1.png": "4", "4_a_2.png": "4", "7_a_1.png": "7", "1_a_1.png": "1",
             "seq-4071_a_1.png": "4071", "seq-11_a_1.png": "11", "bad.png": "3"}  # fmt: skip
    reads = {
        "4_a_1.png": {"text": "4"},
        "4_a_2.png": {"text": "11"},  # an open 4 read as two 1s
        "7_a_1.png": {"text": "7"},
        "1_a_1.png": {"text": "", "empty_reason": "no ink found"},
        "seq-4071_a_1.png": {"text": "4071"},
        "seq-11_a_1.png": {"text": "1"},  # two 1s written touching, read as one
        "bad.png": {"error": "bad.png: not an image"},
    }
    figures = real_figures(truth, reads)
    assert figures["photos"] == 7
    assert list(figures)[1:3] == ["single", "multi"]
    assert figures["single"] == {"right": 2, "of": 5, "exact": 0.4}
    assert figures["multi"] == {"right": 1, "of": 2, "exact": 0.5}
    assert figures["per_class"] == {
        "0": {"digits": 1, "missed": 0},
        "1": {"digits": 4, "missed": 2},  # 1_a_1 and one of the two in seq-11
        "3": {"digits": 1, "missed": 1},
        "4": {"digits": 3, "missed": 1},
        "7": {"digits": 2, "missed": 0},
    }
    assert figures["misses"] == [
        {"file": "4_a_2.png", "truth": "4", "reading": "11", "empty_reason": None},
        {"file": "1_a_1.png", "truth": "1", "reading": "", "empty_reason": "no ink found"},
        {"file": "seq-11_a_1.png", "truth": "11", "reading": "1", "empty_reason": None},
        {"file": "bad.png", "truth": "3", "reading": None, "empty_reason": None,
         "error": "bad.png: not an image"},
    ]  # fmt: skip
    text = format_real(
        {
            "model": "m.tflite",
            "quantized": True,
            "mounting": {"rotation": 180, "hflip": False, "vflip": False},
            "folders": [{"folder": "photos", **figures}],
        }
    )
    assert "m.tflite, turned 180 degrees" in text
    assert "photos: 7 photos, exact read-out single-digit 2/5 = 40.0%, multi-digit 1/2" in text
    assert "1: 2/4" in text and "bad.png  3  (unreadable)  bad.png: not an image" in text


def test_a_digit_counts_as_read_when_the_reading_lines_up_with_it():
    assert _kept("4071", "4071") == [True] * 4
    assert _kept("4071", "471") == [True, False, True, True]
    assert _kept("4071", "40?1") == [True, True, False, True]
    assert _kept("4071", "") == [False] * 4
    assert _kept("4", "14") == [True]  # an extra digit misses the photo, not the 4
    assert _kept("11", "1") == [True, False]
