"""The desktop flow for the line reader end to end: train briefly on composed strings, quantize
with a calibration set, hold the int8 reader to parity with the float one, and bundle it as
quantize says to."""

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from chatter import TF_LOG, assert_no_library_chatter
from checkout import REPO

from edge.ctc import BLANK
from edge.ink import LINE_HEIGHT
from edge.model import CARD_FILE, FLOAT_FILE, INT8_FILE, LineModel
from quantize.convert import int8_violations

pytestmark = pytest.mark.slow

QUANTIZE_LOG = "quantize.stderr"
TRAIN_LOG = "train.log"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packages, so bundling a model replaces the copy's bundled one."""
    root = tmp_path_factory.mktemp("checkout")
    for package in ("edge", "train", "quantize"):
        skip = shutil.ignore_patterns("__pycache__")
        shutil.copytree(REPO / package, root / package, ignore=skip)
    return root


@pytest.fixture(scope="module")
def fresh_reader(tmp_path_factory: pytest.TempPathFactory, mnist_path: Path, checkout: Path):
    out = tmp_path_factory.mktemp("reader")
    # 500 steps (two epochs): a pipeline check, not a model to use; the refusal is overridden.
    train = ["--lines", "16000", "--epochs", "2", "--limit", "22000", "--val-size", "2000"]
    train += ["--allow-short-run", "--data", str(mnist_path), "--out", str(out)]
    trained = subprocess.run(
        [sys.executable, "-m", "train", *train],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert trained.returncode == 0, trained.stderr
    (out / TRAIN_LOG).write_text(trained.stdout + trained.stderr)
    quantize = ["--calib", "100", "--min-int8-accuracy", "0.3", "--max-accuracy-drop", "0.05"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "quantize",
            "--model",
            str(out / "model.keras"),
            "--data",
            str(mnist_path),
            "--min-agreement",
            "0.9",
            *quantize,
        ],
        cwd=checkout,  # run as a user in their checkout: the packages there are the ones used
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    (out / QUANTIZE_LOG).write_text(result.stderr)
    return out


def test_training_reports_the_reader_on_test_strings_and_digits(fresh_reader: Path) -> None:
    report = json.loads((fresh_reader / "train_report.json").read_text())
    assert report["architecture"] == "line_reader" and report["training_lines"] == 16000
    assert report["train_digits"] == 20000 and report["val_digits"] == 2000
    # 500 steps: far short of the full recipe, well past reading nothing (73 % and 95 % here).
    assert report["test_strings_exact"] > 0.3
    assert report["mnist_test_as_lines_accuracy"] > 0.7
    assert len(report["val_strings_exact_per_epoch"]) == 2


def test_int8_reader_keeps_parity_with_float(fresh_reader: Path) -> None:
    parity = json.loads((fresh_reader / "parity_report.json").read_text())
    assert parity["test_strings"] == 2000 and parity["mnist_test_digits"] == 10000
    assert parity["passed"]
    assert parity["accuracy_drop"] <= 0.05
    assert parity["same_string"] >= 0.9
    assert parity["size_ratio"] > 3  # int8 weights are a quarter of float32


def test_int8_reader_contract(fresh_reader: Path) -> None:
    int8 = fresh_reader / INT8_FILE
    assert int8_violations(int8.read_bytes()) == []
    reader = LineModel(int8)  # verifies the card's sha256 too
    assert reader.quantized
    scale, zero_point = reader.input_quantization
    assert scale == pytest.approx(1 / 255, rel=1e-3) and zero_point == -128
    probabilities = reader.read(np.zeros((LINE_HEIGHT, 64), np.uint8))
    assert probabilities.shape == (16, BLANK + 1)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=0.05)


def test_card_records_the_reader_contract(fresh_reader: Path) -> None:
    card = json.loads((fresh_reader / CARD_FILE).read_text())
    assert card["kind"] == "line_reader" and set(card["files"]) == {INT8_FILE, FLOAT_FILE}
    assert card["output"]["blank_index"] == BLANK and card["output"]["input_px_per_step"] == 4
    assert card["input"]["shape"] == [1, LINE_HEIGHT, None, 1]
    assert card["quantization"]["calibration_images"] == 100
    assert card["training"]["command"].startswith("python -m train --lines 16000")


def test_quantize_exits_nonzero_when_reader_parity_fails_and_leaves_the_models_as_they_were(
    fresh_reader: Path, mnist_path: Path, tmp_path: Path
):
    """Into a folder of models that passed (edge/models, say): the failing candidate and its
    report go to rejected/, and the models there stay whole, card and all. It replaced both
    .tflite files and deleted the card, and edge then refused to start."""
    out = tmp_path / "models"
    out.mkdir()
    for name in (FLOAT_FILE, INT8_FILE, CARD_FILE, "parity_report.json"):
        shutil.copy(fresh_reader / name, out / name)
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "quantize",
            "--model",
            str(fresh_reader / "model.keras"),
            "--data",
            str(mnist_path),
            "--calib",
            "20",
            "--out",
            str(out),
            "--min-int8-accuracy",
            "0.9999",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 1
    assert "fails parity" in result.stderr and "test strings exactly" in result.stderr
    assert f"The models in {out} are unchanged" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    rejected = json.loads((out / "rejected" / "parity_report.json").read_text())
    assert rejected["passed"] is False and (out / "rejected" / INT8_FILE).is_file()
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["rejected"]  # no staging
    LineModel(out / INT8_FILE)  # the card still vouches for the files


def test_training_the_reader_prints_no_library_chatter(fresh_reader: Path) -> None:
    # TensorFlow's oneDNN notice (E0000 ... DT_BOOL) came once its first training step ran.
    told = (fresh_reader / TRAIN_LOG).read_text()
    assert "epoch 2/2" in told and not TF_LOG.search(told), told


def test_quantize_tells_the_user_only_what_is_theirs(fresh_reader: Path) -> None:
    told = (fresh_reader / QUANTIZE_LOG).read_text()
    assert_no_library_chatter(told)
    assert "strings exact: float" in told and "Bundle it:" in told


def test_the_bundle_hint_works_as_printed(fresh_reader: Path, checkout: Path) -> None:
    told = (fresh_reader / QUANTIZE_LOG).read_text()
    hint = next(line for line in told.splitlines() if line.startswith("Bundle it:"))
    command = shlex.split(hint.removeprefix("Bundle it:").split("   (")[0])
    assert command[:3] == ["python", "-m", "quantize"]
    result = subprocess.run(
        [sys.executable, *command[1:]],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    bundled = checkout / "edge" / "models"
    card = json.loads((bundled / CARD_FILE).read_text())
    assert card["training"] == json.loads((fresh_reader / CARD_FILE).read_text())["training"]
    assert LineModel(bundled / INT8_FILE).quantized  # its card's sha256 holds
    assert "Bundle it:" not in result.stderr  # it is bundled now


def remeasure(folder: Path, mnist_path: Path) -> subprocess.CompletedProcess:
    """`python -m quantize --remeasure FOLDER`, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "quantize", "--remeasure", str(folder), "--data", str(mnist_path)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_remeasure_rewrites_the_figures_and_keeps_the_files(fresh_reader: Path, mnist_path: Path):
    # After a change in how edge reads a line, the shipped readers' figures are measured again
    # without retraining: the same files, their card's checksums holding, new figures.
    folder = fresh_reader / "remeasured"
    shutil.copytree(fresh_reader, folder, ignore=shutil.ignore_patterns("remeasured", "strict"))
    card_path, report_path = folder / CARD_FILE, folder / "parity_report.json"
    card = json.loads(card_path.read_text())
    card["accuracy"]["int8_strings_exact"] = -1.0  # a figure gone stale
    card_path.write_text(json.dumps(card))
    result = remeasure(folder, mnist_path)
    assert result.returncode == 0, result.stderr
    card, report = json.loads(card_path.read_text()), json.loads(report_path.read_text())
    assert card["accuracy"]["int8_strings_exact"] == report["int8"]["strings_exact"] >= 0.0
    assert card["accuracy"]["same_string"] == report["same_string"]
    assert card["accuracy"]["remeasured_by"].startswith("python -m quantize --remeasure")
    assert card["files"] == json.loads((fresh_reader / CARD_FILE).read_text())["files"]
    assert LineModel(folder / INT8_FILE).quantized  # the checksums hold


def test_remeasure_says_what_is_missing(tmp_path: Path, mnist_path: Path) -> None:
    result = remeasure(tmp_path, mnist_path)
    assert result.returncode == 2
    assert "has no digits_float.tflite, digits_int8.tflite, model_card.json" in result.stderr
    assert "Traceback" not in result.stderr
