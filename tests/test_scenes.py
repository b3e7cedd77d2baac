"""The scene generator: reproducible, truthful boxes, and clear refusals."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from edge.scenes import (
    SAMPLE_DIGITS,
    SceneSettings,
    pen_path,
    random_scene,
    render_scene,
    sample_digits,
    unbroken_pen,
)
from edge.scenes import stroke_width

# Nothing but ink on flat paper, seen square on: every dark pixel belongs to a digit.
PLAIN = SceneSettings(
    tilt_deg=0.0,
    perspective=0.0,
    light=0.0,
    shadow_prob=0.0,
    rules_prob=0.0,
    paper_edge_prob=0.0,
    blur_sigma=(0.0, 0.0),
    noise_sigma=(0.0, 0.0),
    jpeg_quality=(95.0, 95.0),
)


def test_a_seed_gives_the_same_scene_and_another_seed_a_different_one(mnist_test):
    images, labels = mnist_test
    first = random_scene(images, labels, np.random.default_rng(5))
    again = random_scene(images, labels, np.random.default_rng(5))
    other = random_scene(images, labels, np.random.default_rng(6))
    assert np.array_equal(first.frame, again.frame) and first.boxes == again.boxes
    assert first.labels == again.labels
    assert not np.array_equal(first.frame, other.frame)


def test_labels_and_boxes_follow_the_given_digits_in_reading_order(mnist_test):
    images, labels = mnist_test
    picked = np.arange(12)
    scene = render_scene(images[picked], labels[picked], np.random.default_rng(1))
    assert scene.labels == tuple(int(v) for v in labels[picked])
    assert scene.text == "".join(str(v) for v in labels[picked])
    assert scene.frame.shape == (480, 640, 3) and scene.frame.dtype == np.uint8
    rows: list[list[tuple[int, int, int, int]]] = []
    for box in scene.boxes:  # a box left of its predecessor starts a new row, lower down
        if rows and box[0] > rows[-1][-1][0]:
            rows[-1].append(box)
        else:
            assert not rows or box[1] > max(b[1] + b[3] for b in rows[-1]) - box[3] // 2
            rows.append([box])
    assert len(rows) >= 2
    for x, y, w, h in scene.boxes:
        assert x > 0 and x + w < 640 and y > 0 and y + h < 480


def test_boxes_hold_exactly_the_ink(mnist_test):
    images, labels = mnist_test
    for seed in range(5):
        rng = np.random.default_rng(seed)
        scene = render_scene(images[seed : seed + 3], labels[seed : seed + 3], rng, PLAIN)
        grey = scene.frame.mean(axis=2)
        paper = np.median(grey)
        near_a_box = np.zeros(grey.shape, bool)
        for x, y, w, h in scene.boxes:
            near_a_box[y - 2 : y + h + 2, x - 2 : x + w + 2] = True
            box = grey[y : y + h, x : x + w]
            # Tight: the ink's half-tone edge reaches all four sides of its box.
            half = (paper + box.min()) / 2 + 8
            edges = box[0], box[-1], box[:, 0], box[:, -1]
            assert all((edge < half).any() for edge in edges)
        assert not (grey[~near_a_box] < paper - 25).any()


def test_a_fine_pen_writes_a_thin_line(mnist_test):
    images, labels = mnist_test
    widths = {}
    for fine_pen_prob in (0.0, 1.0):
        settings = replace(PLAIN, digit_height=(0.2, 0.2), fine_pen_prob=fine_pen_prob)
        scene = render_scene(images[:3], labels[:3], np.random.default_rng(4), settings)
        ink = scene.frame.mean(axis=2) < 150
        widths[fine_pen_prob] = stroke_width(ink)
    assert widths[1.0] <= 4 < 8 <= widths[0.0]  # a ballpoint's ~3 px against MNIST's pen


def stroke_image(thick_loop: bool) -> np.ndarray:
    """A float 0-1 "6" 84 px tall: a stem curving into a loop, the loop open or filled in."""
    image = np.zeros((84, 56), np.float32)
    cv2.ellipse(image, (40, 60), (36, 50), 0, 180, 260, 1.0, 6)  # the stem
    cv2.circle(image, (30, 60), 15, 1.0, -1 if thick_loop else 6)
    return image


def test_a_pen_path_is_one_unbroken_line_that_keeps_the_loop():
    path = pen_path(stroke_image(thick_loop=False))
    assert path is not None and set(np.unique(path)) <= {0, 1}
    assert cv2.connectedComponents(path, connectivity=8)[0] - 1 == 1  # one stroke
    assert cv2.connectedComponents(1 - path, connectivity=4)[0] - 1 == 2  # the loop stays shut
    assert not cv2.erode(path, np.ones((2, 2), np.uint8)).any()  # one pixel wide


def test_no_pen_path_for_a_digit_whose_loop_is_filled_in():
    """Its centre line would be a "C", not a 6: such a digit is written with the pen in hand."""
    assert pen_path(stroke_image(thick_loop=True)) is None


def test_a_thin_pen_does_not_cut_a_faint_stroke_into_pieces():
    """A "1" whose middle MNIST drew faint (grey 0.4): a thin pen's cut at 0.55 would write it
    as two dashes, so the cut comes down below the faint part; a sound stroke keeps its pen."""
    one = np.zeros((84, 30), np.float32)
    cv2.line(one, (15, 4), (15, 80), 0.9, 6)
    assert unbroken_pen(one, 0.55) == 0.55
    one[35:50] *= 0.4 / 0.9
    pen = unbroken_pen(one, 0.55)
    assert pen < 0.4 and cv2.connectedComponents((one > pen).view(np.uint8))[0] - 1 == 1
    assert unbroken_pen(one, 0.25) == 0.25  # a thick pen's cut is already below it


def test_the_frame_size_is_the_settings(mnist_test):
    images, labels = mnist_test
    scene = random_scene(images, labels, np.random.default_rng(0), SceneSettings(320, 240))
    assert scene.frame.shape == (240, 320, 3)


def test_too_many_digits_for_the_frame_is_refused(mnist_test):
    images, labels = mnist_test
    with pytest.raises(ValueError, match="do not fit"):
        render_scene(images[:60], labels[:60], np.random.default_rng(0))


@pytest.mark.parametrize(
    ("digits", "labels", "message"),
    [
        (np.zeros((2, 28, 28), np.uint8), [1, 2], "blank"),
        (np.ones((2, 28, 28), np.float32), [1, 2], r"uint8 \[N, 28, 28\]"),
        (np.ones((2, 20, 20), np.uint8), [1, 2], r"uint8 \[N, 28, 28\]"),
        (np.ones((2, 28, 28), np.uint8), [1], "one label per digit"),
        (np.ones((0, 28, 28), np.uint8), [], "one label per digit"),
    ],
)
def test_bad_digits_are_refused_with_the_reason(digits, labels, message):
    with pytest.raises(ValueError, match=message):
        render_scene(digits, labels, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"width": 32}, "64x64 minimum"),
        ({"gap": (0.5, 0.2)}, "gap"),
        ({"digit_height": (0.1, 0.6)}, "does not fit two rows"),
    ],
)
def test_impossible_settings_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        SceneSettings(**settings)


def test_the_bundled_sample_is_mnist_test_digits_with_their_labels(mnist_test):
    images, labels = sample_digits()
    assert images.shape == (300, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [30] * 10
    with np.load(SAMPLE_DIGITS) as sample:
        indices = sample["test_indices"]
    assert np.array_equal(images, mnist_test[0][indices])
    assert np.array_equal(labels, mnist_test[1][indices])
