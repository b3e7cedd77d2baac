"""The desktop flow for the line reader end to end: train briefly on composed strings, quantize
with a calibration set, and hold the int8 reader to parity with the float one."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge.ctc import BLANK
from edge.ink import LINE_HEIGHT
from edge.model import CARD_FILE, FLOAT_FILE, INT8_FILE, LineModel
from quantize.convert import int8_violations

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fresh_reader(tmp_path_factory: pytest.TempPathFactory, mnist_path: Path) -> Path:
    out = tmp_path_factory.mktemp("reader")
    common = {"cwd": out, "check": True, "timeout": 1200}
    train = ["--lines", "16000", "--epochs", "3", "--limit", "22000", "--val-size", "2000"]
    subprocess.run(
        [sys.executable, "-m", "train", "--data", str(mnist_path), "--out", str(out), *train],
        **common,
    )
    quantize = ["--calib", "100", "--min-int8-accuracy", "0.3", "--max-accuracy-drop", "0.05"]
    subprocess.run(
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
        **common,
    )
    return out


def test_training_reports_the_reader_on_test_strings_and_digits(fresh_reader: Path) -> None:
    report = json.loads((fresh_reader / "train_report.json").read_text())
    assert report["architecture"] == "line_reader" and report["training_lines"] == 16000
    assert report["train_digits"] == 20000 and report["val_digits"] == 2000
    # 750 steps: far short of the full recipe, well past reading nothing.
    assert report["test_strings_exact"] > 0.3
    assert report["mnist_test_as_lines_accuracy"] > 0.7
    assert len(report["val_strings_exact_per_epoch"]) == 3


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
    assert card["training"]["command"].startswith("python -m train --data")


def test_quantize_exits_nonzero_when_reader_parity_fails(fresh_reader: Path, mnist_path: Path):
    out = fresh_reader / "strict"
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
    assert not (out / CARD_FILE).exists()  # edge refuses a model without a card
