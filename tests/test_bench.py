"""How the bench scores read-outs against the scenes' truth, on boxes built here, and labelled
photos against the truth in their folder."""

import argparse
import contextlib
import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import termios
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from checkout import REPO, edge_command
from processes import HAS_PROC, children, running

from edge.bench import (
    BenchError,
    Readout,
    _kept,
    accuracy,
    accuracy_by_condition,
    bench_digits,
    condition_list,
    draw_misreads,
    float_beside,
    format_real,
    made_small,
    overlap,
    pixel_range,
    real_figures,
    real_truths,
    scene_misreads,
    scene_settings,
)
from edge.lines import FindSettings
from edge.misread_sheet import (
    CAPTION_H,
    GAP,
    MAX_TILES,
    PICTURE_H,
    PICTURE_W,
    TITLE_H,
    Misread,
    _what_was_read,
    _wrapped,
    write_sheet,
)
from edge.model import BUNDLED_MODEL
from edge.scenes import CONDITIONS, Scene, SceneSettings, mixed_scenes, random_scene, sample_digits

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


def test_digit_heights_are_asked_in_pixels_and_the_scenes_show_them():
    assert pixel_range("14-22") == (14, 22) and pixel_range("18") == (18, 18)
    for wrong, message in (("22-14", "LOW <= HIGH"), ("0-5", "1 <= LOW"), ("big", "14-22")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            pixel_range(wrong)
    images, labels = sample_digits()
    settings = scene_settings(640, 480, (14, 22))
    scenes = mixed_scenes(images, labels, np.random.default_rng(0), 18, settings=settings)
    heights = [box[3] for s in scenes for box in s.boxes]
    # The ink's box: the paper's tilt and the camera's perspective make it a little taller.
    assert 14 <= np.median(heights) <= 22 and max(heights) <= 1.3 * 22
    assert scene_settings(640, 480, None).digit_height == (0.085, 0.23)
    with pytest.raises(BenchError, match=r"--digit-height 200-200: digits at most 192 px"):
        scene_settings(640, 480, (200, 200))


def test_ruled_scenes_rule_every_plain_page():
    images, labels = sample_digits()
    ruled = scene_settings(640, 480, (14, 22), ruled=True)
    assert ruled.rules_prob == 1.0 and scene_settings(640, 480, None, ruled=True).rules_prob == 1
    assert scene_settings(640, 480, (14, 22)).rules_prob == SceneSettings().rules_prob < 1

    def plain_scenes(settings):
        return mixed_scenes(images, labels, np.random.default_rng(3), 8, ("plain",), settings)

    # Ruled or not is drawn before anything else is drawn differently: a scene the same as
    # its never-ruled twin was left unruled.
    never = plain_scenes(replace(ruled, rules_prob=0.0))
    by_default = plain_scenes(scene_settings(640, 480, (14, 22)))
    pairs = zip(plain_scenes(ruled), never, strict=True)
    assert all(not np.array_equal(a.frame, b.frame) for a, b in pairs)
    assert any(np.array_equal(a.frame, b.frame) for a, b in zip(by_default, never, strict=True))


@pytest.mark.parametrize("too_small", ["1-2", "2-3", "3-4", "3-3", "9", "9-40"])
def test_digits_smaller_than_the_finder_reads_are_refused_before_any_scene_is_made(too_small):
    """They were drawn with no ink at all (a TypeError, a zero-size array) or read as nothing."""
    least = FindSettings().min_height
    with pytest.raises(argparse.ArgumentTypeError, match=f"digits under {least} px tall"):
        pixel_range(too_small)
    assert pixel_range(f"{least}-{least}") == (least, least)
    images, labels = sample_digits()
    settings = scene_settings(64, 64, (least, least))  # the smallest scene too
    for seed in range(3):
        mixed_scenes(images, labels, np.random.default_rng(seed), 18, settings=settings)


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
    write_photo(tmp_path / "card.jpg")
    (tmp_path / "truth.txt").write_text("page.png 4071\n\n  card.jpg   09 \n")
    assert real_truths(tmp_path) == {"page.png": "4071", "card.jpg": "09"}


def test_images_the_truth_leaves_out_are_named(tmp_path, capsys):
    # They were skipped without a word: a photo added to the folder and not to truth.txt, or
    # a name with a typo, was simply not scored.
    write_photo(tmp_path / "4_me_1.png")
    write_photo(tmp_path / "four_me_2.png")
    assert real_truths(tmp_path) == {"4_me_1.png": "4"}
    assert "1 image(s) in" in capsys.readouterr().err
    (tmp_path / "truth.txt").write_text("4_me_1.png 4\n")
    real_truths(tmp_path)
    said = capsys.readouterr().err
    assert "not in its truth.txt are left out: four_me_2.png" in said


def test_a_truth_file_from_a_windows_editor_with_comments_and_spaced_names_is_read(tmp_path):
    # A byte-order mark (Notepad's UTF-8) made the first name "\ufeffpage.png", which was then
    # scored as a photo that cannot be read; a name with a space stopped the bench.
    for name in ("page.png", "meter log 2.jpg"):
        write_photo(tmp_path / name)
    text = "# meter photos\r\npage.png 4071\r\nmeter log 2.jpg 815\r\n"
    (tmp_path / "truth.txt").write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert real_truths(tmp_path) == {"page.png": "4071", "meter log 2.jpg": "815"}


@pytest.mark.parametrize(
    ("truth", "message"),
    [
        ("page.png\n", "line 1: expected `FILE DIGITS`"),
        ("page.png 4071\ncard.jpg 40 71\n", "line 2: expected `FILE DIGITS`"),
        ("page.png four\n", "line 1"),
        ("\n", "no labelled images"),
        ("page.png 4071\n\xa0\n", "cannot be read .* save it as UTF-8"),
    ],
)
def test_a_bad_truth_file_is_refused_with_the_line(tmp_path, truth, message):
    write_photo(tmp_path / "page.png")
    (tmp_path / "truth.txt").write_text(truth, encoding="latin-1")
    with pytest.raises(BenchError, match=message):
        real_truths(tmp_path)


def test_a_folder_without_labelled_photos_is_refused(tmp_path):
    write_photo(tmp_path / "page.png")
    with pytest.raises(BenchError, match="no labelled images"):
        real_truths(tmp_path)
    with pytest.raises(BenchError, match="no such folder"):
        real_truths(tmp_path / "missing")


RAW_REAL = {
    "model": "m.tflite",
    "quantized": True,
    "mounting": {"rotation": 0, "hflip": False, "vflip": False},
}


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
    unsure = [{"digit": None, "confidence": c} for c in (0.52, 0.46)]
    reads["seq-11_a_1.png"] = {"text": "??", "digits": unsure}
    figures = real_figures(truth, reads)
    assert figures["photos"] == 7
    assert list(figures)[1:3] == ["single", "multi"]
    assert figures["single"] == {"right": 2, "of": 5, "exact": 0.4}
    assert figures["multi"] == {"right": 1, "of": 2, "exact": 0.5}
    assert figures["per_class"] == {
        "0": {"digits": 1, "missed": 0},
        "1": {"digits": 4, "missed": 3},  # 1_a_1 and both in seq-11
        "3": {"digits": 1, "missed": 1},
        "4": {"digits": 3, "missed": 1},
        "7": {"digits": 2, "missed": 0},
    }
    assert figures["misses"] == [
        {"file": "4_a_2.png", "truth": "4", "reading": "11", "empty_reason": None},
        {"file": "1_a_1.png", "truth": "1", "reading": "", "empty_reason": "no ink found"},
        {"file": "seq-11_a_1.png", "truth": "11", "reading": "??", "empty_reason": None,
         "unsure": 0.46},
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
    assert "1: 3/4" in text and "bad.png  3  (unreadable)  bad.png: not an image" in text
    assert "1_a_1.png  1  ''  no ink found" in text
    assert "seq-11_a_1.png  11  '??'  unsure 0.46" in text  # how unsure the model was
    one = {"folder": "one", **real_figures({"4_a_1.png": "4"}, {"4_a_1.png": {"text": "4"}})}
    assert "one: 1 photo, exact read-out" in format_real({**RAW_REAL, "folders": [one]})


def test_a_digit_counts_as_read_when_the_reading_lines_up_with_it():
    assert _kept("4071", "4071") == [True] * 4
    assert _kept("4071", "471") == [True, False, True, True]
    assert _kept("4071", "40?1") == [True, True, False, True]
    assert _kept("4071", "") == [False] * 4
    assert _kept("4", "14") == [True]  # an extra digit misses the photo, not the 4
    assert _kept("11", "1") == [True, False]


# --- the float model a custom int8 one is compared with ------------------------------------


def test_the_float_model_is_the_one_quantize_wrote_beside_the_int8_one(tmp_path):
    int8 = tmp_path / "custom_int8.tflite"
    int8.write_bytes(b"int8")
    assert float_beside(int8) is None  # none there: no stand-in from elsewhere
    (tmp_path / "custom_float.tflite").write_bytes(b"float")
    assert float_beside(int8) == tmp_path / "custom_float.tflite"
    twice = tmp_path / "int8_run_int8.tflite"  # the last "int8" is the kind
    (tmp_path / "int8_run_float.tflite").write_bytes(b"float")
    assert float_beside(twice) == tmp_path / "int8_run_float.tflite"
    (tmp_path / "mine.tflite").write_bytes(b"?")
    (tmp_path / "mine_float.tflite").write_bytes(b"float")
    assert float_beside(tmp_path / "mine.tflite") is None  # no int8 in the name to go by
    assert float_beside(BUNDLED_MODEL) == BUNDLED_MODEL.with_name("digits_float.tflite")


def test_scenes_show_the_test_digits_or_the_training_digits_asked_for(
    mnist_path, monkeypatch, tmp_path
):
    with np.load(mnist_path, allow_pickle=False) as npz:
        x_train, x_test = npz["x_train"], npz["x_test"]
    images, _, source = bench_digits(str(mnist_path))
    assert np.array_equal(images, x_test) and source.startswith("MNIST test set")
    images, labels, source = bench_digits(str(mnist_path), "train")
    assert np.array_equal(images, x_train) and len(labels) == len(x_train)
    assert source == f"MNIST training set ({mnist_path})"
    monkeypatch.delenv("EDGE_DIGITS_MNIST", raising=False)
    assert bench_digits(None)[2].startswith("bundled sample")
    with pytest.raises(BenchError, match="--digits train needs MNIST: pass --data PATH"):
        bench_digits(None, "train")
    np.savez(tmp_path / "tests_only.npz", x_test=x_test[:5], y_test=x_test[:5, 0, 0])
    with pytest.raises(
        BenchError, match=r"\(--data\) is not an MNIST .npz with x_train and y_train .*layout\.$"
    ):
        bench_digits(str(tmp_path / "tests_only.npz"), "train")  # no sample offered instead
    cv2.imwrite(str(tmp_path / "digits.png"), np.zeros((8, 8), np.uint8))
    with pytest.raises(
        BenchError, match=r"not an MNIST .npz: by its first bytes it is a PNG image"
    ):
        bench_digits(str(tmp_path / "digits.png"))  # not numpy's words of pickles
    missing = tmp_path / "moved.npz"
    # What to do said as it can be done: it was "name none", and `--data none` is a file name.
    with pytest.raises(
        BenchError,
        match=r"moved.npz \(--data\) does not exist: .*leave out --data to use the bundled",
    ):
        bench_digits(str(missing))
    with pytest.raises(BenchError, match=r"\(--data\) is not a file: name MNIST's mnist.npz"):
        bench_digits(str(tmp_path))  # the folder that holds it
    monkeypatch.setenv("EDGE_DIGITS_MNIST", str(missing))
    with pytest.raises(
        BenchError, match=r"moved.npz \(\$EDGE_DIGITS_MNIST\) does not exist.*unset \$EDGE_DIGITS"
    ):
        bench_digits(None)


def test_the_bench_says_which_digits_its_scenes_show(mnist_path, tmp_path):
    quick = ["--scenes", "1", "--conditions", "plain", "--no-verify", "--data", str(mnist_path)]
    report, _ = bench_json(
        *quick,
        "--digits",
        "train",
        "--digit-height",
        "14-22",
        "--misreads",
        str(tmp_path / "m.png"),
    )
    assert report["digit_source"] == f"MNIST training set ({mnist_path})"
    assert report["digit_height_px"] == [14, 22]


def bench_json(*args: str, cwd: Path = REPO) -> tuple[dict, str]:
    done = subprocess.run(
        edge_command("bench", *args, "--json"),
        cwd=cwd,
        env={**os.environ, "EDGE_DIGITS_CONFIG": ""},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_large_scenes_read_reduced_are_scored_in_their_own_pixels(tmp_path):
    """A 2400x2000 scene is decoded at half size, as a large photo is: its digits' boxes are
    matched to the truth in the scene's pixels (per digit was 0 % when they were not)."""
    report, _ = bench_json(
        "--scenes", "3", "--conditions", "plain", "--no-verify", "--width", "2400",
        "--height", "2000", "--misreads", str(tmp_path / "m.png"),
    )  # fmt: skip
    int8 = report["models"]["int8"]
    assert int8["exact_readouts"] >= 2 and int8["correct_digits"] >= report["digits"] - 2


def test_a_custom_int8_model_is_compared_with_its_own_float_model_or_none(tmp_path):
    """Not with the bundled float model: a custom model would seem to lose points to int8."""
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(BUNDLED_MODEL, models / "custom_int8.tflite")
    quick = ["--scenes", "1", "--conditions", "plain", "--no-verify"]
    quick += ["--model", str(models / "custom_int8.tflite"), "--misreads", str(tmp_path / "m.png")]
    alone, said = bench_json(*quick)
    assert list(alone["models"]) == ["int8"] and "int8_read_vs_float" not in alone
    assert alone["no_float_model"] == "no custom_float.tflite beside it"
    assert "no float model to compare" in said and "--float-model PATH" in said
    named = tmp_path / "elsewhere.tflite"
    shutil.copy(BUNDLED_MODEL.with_name("digits_float.tflite"), named)
    paired, _ = bench_json(*quick, "--float-model", str(named))
    assert list(paired["models"]) == ["int8", "float"] and paired["int8_read_vs_float"] > 0
    assert paired["models"]["float"]["model"] == str(named)
    assert not paired["models"]["float"]["quantized"] and "no_float_model" not in paired


def test_a_float_model_benched_alone_is_headed_float_not_int8(tmp_path):
    """`--model digits_float.tflite` was headed int8 in every column, and said to have no float
    model to compare it with since its name holds no int8."""
    quick = ["--scenes", "1", "--conditions", "plain", "--no-verify"]
    quick += ["--model", str(BUNDLED_MODEL.with_name("digits_float.tflite"))]
    done = subprocess.run(
        edge_command("bench", *quick, "--misreads", str(tmp_path / "m.png")),
        env={**os.environ, "EDGE_DIGITS_CONFIG": ""},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "is a float model, not int8: it is benched alone, in columns headed float" in done.stderr
    assert "float median" in done.stdout and "float exact" in done.stdout
    assert "int8" not in done.stdout.replace("digits_float", "")


def test_two_models_of_one_kind_are_headed_tested_and_other_in_aligned_columns(tmp_path):
    """`--float-model` naming an int8 model too: its columns were headed "float"; then
    "tested" and "compared", which ran into the column before ("p95compared")."""
    quick = ["--scenes", "1", "--conditions", "plain", "--no-verify"]
    quick += ["--float-model", str(BUNDLED_MODEL), "--misreads", str(tmp_path / "m.png")]
    done = subprocess.run(
        edge_command("bench", *quick),
        env={**os.environ, "EDGE_DIGITS_CONFIG": ""},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"  other: {BUNDLED_MODEL} (int8)" in done.stdout
    assert "tested median      p95  other median      p95" in done.stdout
    assert "tested exact    digit   other exact    digit" in done.stdout


# --- the contact sheet of misreads ----------------------------------------------------------


def misread(index: int, image: np.ndarray | None = PAPER) -> Misread:
    return Misread(f"photo {index}", "4071", "407", image, ((5, 5, 10, 20),), (2, 2, 30, 30))


@pytest.mark.parametrize(("count", "rows", "columns"), [(1, 1, 1), (5, 1, 5), (60, 8, 6)])
def test_the_sheet_has_a_tile_per_misread_up_to_its_limit(tmp_path, count, rows, columns):
    path = tmp_path / "sheet.png"
    tiles = write_sheet([misread(i) for i in range(count)], "misread", path)
    assert tiles == min(count, MAX_TILES)
    sheet = cv2.imread(str(path))
    assert sheet is not None  # a PNG that decodes
    assert sheet.shape == (TITLE_H + rows * (PICTURE_H + CAPTION_H), columns * (PICTURE_W + GAP), 3)


def test_the_sheet_draws_what_could_not_be_read_and_grey_photos(tmp_path):
    path = tmp_path / "deep" / "sheet.png"  # its folder is made
    grey = np.full((3000, 4000), 200, np.uint8)
    shown = [misread(0, None), misread(1, grey), Misread("wide", "1", None, PAPER, (), None)]
    assert write_sheet(shown, "misread", path) == 3
    assert cv2.imread(str(path)).shape[1] >= 3 * PICTURE_W


def test_misread_scenes_are_the_ones_not_read_exactly_and_failed_frames():
    scenes = [
        scene([4, 0], [(10, 10, 20, 30), (40, 10, 20, 30)], "touching"),
        scene([7], [(10, 10, 20, 30)]),
        scene([5], [(10, 10, 20, 30)], "dim"),
    ]
    readouts = [
        Readout("4", [((10, 10, 50, 30), 4)]),
        Readout("7", [((10, 10, 20, 30), 7)]),
        Readout("", [], "too dark"),
        None,
    ]
    first, empty, failed = scene_misreads([*scenes, scenes[2]], readouts)
    assert (first.name, first.truth, first.reading) == ("scene 0, touching", "40", "4")
    assert first.found == ((10, 10, 50, 30),) and first.focus == (10, 10, 50, 30)
    assert (empty.reading, empty.why) == ("", "too dark")
    assert (failed.name, failed.reading, failed.found, failed.focus) == (
        "scene 3, dim", None, (), (10, 10, 20, 30),
    )  # fmt: skip


def test_a_tile_says_why_nothing_was_read_in_lines_that_fit_it():
    assert _what_was_read(misread(0)) == "read 407"
    assert _what_was_read(Misread("a", "4", None, None)) == "read (could not read it)"
    nothing = Misread("b", "4", "", None, why="nothing written: the image is one flat colour")
    said = _what_was_read(nothing)
    assert said == "read nothing (nothing written: the image is one flat colour)"
    lines = _wrapped(said, PICTURE_W - 8)
    assert " ".join(lines) == said and len(lines) == 2
    widths = [cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)[0][0] for line in lines]
    assert max(widths) <= PICTURE_W - 8


def test_nothing_misread_writes_no_sheet_and_removes_an_old_one(tmp_path):
    path = tmp_path / "sheet.png"
    path.write_bytes(b"an earlier run's sheet")
    real = {"model": "m.tflite", "folders": [{"folder": "photos", "photos": 3, "misses": []}]}
    drawn = draw_misreads([], {"real": real}, path)
    assert drawn == {"path": None, "misread": 0, "tiles": 0} and not path.exists()


def test_a_sheet_that_cannot_be_written_is_said_and_costs_no_figures(tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    path = tmp_path / "file" / "sheet.png"
    real = {"model": "m.tflite", "folders": [{"folder": "photos", "photos": 3, "misses": [{}]}]}
    drawn = draw_misreads([misread(0)], {"real": real}, path)
    assert drawn["path"] is None and drawn["misread"] == 1 and str(path) in drawn["error"]
    assert f"edge: cannot write {path}" in capsys.readouterr().err


def test_bench_real_draws_the_photos_it_misread(mnist_test, tmp_path):
    images, labels = mnist_test
    photos = tmp_path / "photos"
    photos.mkdir()
    page = random_scene(images, labels, np.random.default_rng(3))
    cv2.imwrite(str(photos / f"seq-{page.text}_t_1.png"), page.frame)
    cv2.imwrite(str(photos / "7_t_1.png"), np.full((200, 300, 3), 230, np.uint8))  # blank
    (photos / "3_t_1.png").write_bytes(b"not an image")
    cv2.imwrite(str(photos / "seq-98_t_1.png"), page.frame)  # the page, mislabelled
    sheet = tmp_path / "misreads.png"
    report, _ = bench_json("--real", str(photos), "--misreads", str(sheet))
    misses = report["real"]["folders"][0]["misses"]
    assert {miss["file"] for miss in misses} >= {"7_t_1.png", "3_t_1.png", "seq-98_t_1.png"}
    assert report["misread_sheet"] == {
        "path": str(sheet),
        "misread": len(misses),
        "tiles": len(misses),
    }
    assert cv2.imread(str(sheet)).shape[0] == TITLE_H + PICTURE_H + CAPTION_H  # one row of them


def test_made_small_makes_a_pictures_long_side_that_long_and_leaves_a_smaller_one():
    small = made_small(lambda image: image[::-1], 48)  # after the camera's turn
    turned = np.zeros((480, 640, 3), np.uint8)
    turned[-1] = 255
    assert small(turned).shape == (36, 48, 3) and small(turned)[0].max() > 0
    assert small(np.zeros((20, 30), np.uint8)).shape == (20, 30)
    assert small(np.zeros((2000, 10), np.uint8)).shape == (48, 1)


def test_bench_real_long_side_reads_photos_made_that_small(mnist_test, tmp_path):
    # A 48 px thumbnail of a page of writing 300 px tall: the finder searches it enlarged.
    images, labels = mnist_test
    photos = tmp_path / "photos"
    photos.mkdir()
    ink = np.zeros((300, 300), np.uint8)
    digit = images[np.flatnonzero(labels == 7)[0]]
    ink[40:260, 60:240] = cv2.resize(digit, (180, 220), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(photos / "7_t_1.png"), 235 - (ink.astype(np.float32) * 0.8).astype(np.uint8))
    report, _ = bench_json(
        "--real", str(photos), "--long-side", "48", "--misreads", str(tmp_path / "m.png")
    )
    assert report["real"]["long_side"] == 48
    assert report["real"]["folders"][0]["single"]["right"] == 1
    assert "made 48 px on the long side" in format_real(report["real"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--long-side", "48"], "--long-side is for --real DIR: give a folder too"),
        (["--real", ".", "--long-side", "8"], "--long-side must be at least 16 px"),
    ],
)
def test_a_long_side_without_photos_or_under_16_px_is_refused(args, message):
    done = subprocess.run(edge_command("bench", *args), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert message in done.stderr


def test_a_contact_sheet_named_other_than_png_is_refused_before_any_work(tmp_path):
    sheet = tmp_path / "misses.jpg"
    done = subprocess.run(
        edge_command("bench", "--scenes", "1", "--misreads", str(sheet)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "the contact sheet is a PNG; end its name in .png" in done.stderr
    assert not sheet.exists()


# --- ending early -----------------------------------------------------------------------------


def test_a_closed_stdout_ends_the_bench_quietly(tmp_path):
    """`bench ... | head`: as run and recognize, it ends with 141 and no traceback."""
    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "7_t_1.png"), np.full((200, 300, 3), 230, np.uint8))
    bench = subprocess.Popen(
        edge_command(
            "bench", "--real", str(photos), "--json", "--misreads", str(tmp_path / "m.png")
        ),
        cwd=REPO,
        env={**os.environ, "EDGE_DIGITS_CONFIG": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    bench.stdout.close()  # the reader has gone before the report is written: head had its lines
    try:
        err = bench.stderr.read()
        bench.wait(timeout=120)
    finally:
        bench.kill()
    assert (bench.returncode, err) == (128 + signal.SIGPIPE, "")


WATCHED_TIMEOUT_S = 120.0  # for the bench to reach the moment a test signals it in
# Measured: 0.05-0.2 s from the signal to the bench's end, its children gone with it. The
# bounds catch a bench that goes on (waits for its measuring run, or never ends); they are
# generous so that a loaded CI machine does not fail them.
STOP_WITHIN_S = 3.0
CHILDREN_GONE_S = 1.0  # after the bench's end


def wait_for(condition, what: str, timeout: float = WATCHED_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.02)
    return found


@pytest.mark.skipif(not HAS_PROC, reason="watches processes in /proc")
@pytest.mark.parametrize(
    ("signum", "moment"),
    [
        (signal.SIGTERM, "scenes written"),
        (signal.SIGTERM, "measuring memory"),
        (signal.SIGINT, "measuring memory"),
    ],
)
def test_a_signal_stops_the_bench_and_removes_what_it_made(tmp_path, signum, moment):
    """Its folder of scenes and the `python -m edge` it measures (through edge.peak_rss) go
    with it; it says so in one line and ends with 128 + the signal's number."""
    scratch = tmp_path / "tmp"  # where tempfile puts the bench's scenes
    scratch.mkdir()
    bench = subprocess.Popen(
        edge_command("bench", "--scenes", "60", "--conditions", "plain",
                     "--misreads", str(tmp_path / "m.png")),
        cwd=REPO,
        env={**os.environ, "EDGE_DIGITS_CONFIG": "", "TMPDIR": str(scratch)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        if moment == "scenes written":
            wait_for(lambda: list(scratch.glob("edge-bench-*/scene-00059.jpg")), "wrote scenes")
            measured: list[int] = []
        else:

            def measuring() -> list[int]:
                for child in children(bench.pid):
                    if grandchildren := children(child):
                        return [child, *grandchildren]
                return []

            measured = wait_for(measuring, "measured memory")
        sent = time.monotonic()
        bench.send_signal(signum)
        out, err = bench.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        bench.kill()
    assert bench.returncode == 128 + signum
    assert err.startswith("edge: stopped by") and err.count("\n") == 1, err
    assert out == "" and list(scratch.iterdir()) == [] and took < STOP_WITHIN_S
    stopped = lambda: not any(running(pid) for pid in measured)  # noqa: E731
    wait_for(stopped, "stopped its measuring processes", CHILDREN_GONE_S)


# --- progress ------------------------------------------------------------------------------


def test_progress_bars_on_a_terminal_and_nothing_in_a_pipe(mnist_test, tmp_path):
    images, labels = mnist_test
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(4)
    for index in range(3):
        page = random_scene(images, labels, rng)
        cv2.imwrite(str(photos / f"seq-{page.text}_t_{index}.png"), page.frame)
    command = edge_command("bench", "--real", str(photos), "--misreads", str(tmp_path / "m.png"))
    env = {**os.environ, "EDGE_DIGITS_CONFIG": ""}
    terminal, side = pty.openpty()
    termios.tcsetwinsize(side, (24, 100))  # a new one is 0 columns wide: no room for a bar
    with subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=side) as run:
        os.close(side)  # the child holds it now: reading ends when the child has gone
        shown = b""
        with contextlib.suppress(OSError):  # EIO: the terminal's last writer closed it
            while chunk := os.read(terminal, 4096):
                shown += chunk
        os.close(terminal)
    assert run.returncode == 0
    assert f"reading {photos}: 100%" in shown.decode() and "3/3" in shown.decode()
    piped = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stderr == ""
