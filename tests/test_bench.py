"""How the bench scores read-outs against the scenes' truth, on boxes built here."""

import subprocess
import sys

import numpy as np
import pytest

from edge.bench import accuracy, overlap
from edge.scenes import Scene

PAPER = np.zeros((48, 64, 3), np.uint8)


def scene(labels: list[int], boxes: list[tuple[int, int, int, int]]) -> Scene:
    return Scene(PAPER, tuple(boxes), tuple(labels))


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
