"""The int8 line reader shipped in edge/models on composed strings of MNIST test digits, every
MNIST test digit as a one-digit line, int8-vs-float agreement and size. The thresholds guard the
levels it measures; where those are below issue #11's bars (strings 96 %, same string 99.5 %,
MNIST lines 99.4 %) the README says so."""

import json
from pathlib import Path

import numpy as np
import pytest

from edge.ink import LINE_HEIGHT
from edge.model import BUNDLED_MODEL, CARD_FILE, FLOAT_FILE, MODELS_DIR, LineModel, sha256_of
from quantize.convert import int8_violations
from quantize.reader import evaluate_reader_pair
from train.data import load_mnist

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def parity(mnist_path: Path) -> dict:
    return evaluate_reader_pair(MODELS_DIR / FLOAT_FILE, BUNDLED_MODEL, load_mnist(mnist_path))


def test_composed_test_strings_are_read_exactly(parity: dict) -> None:
    assert parity["test_strings"] == 2000
    assert parity["int8"]["strings_exact"] >= 0.945  # measured 0.951; issue #11: 0.96


def test_int8_reads_what_float_reads(parity: dict) -> None:
    assert parity["same_string"] >= 0.995  # measured 0.999; issue #11: 0.995
    assert parity["accuracy_drop"] <= 0.005


def test_mnist_test_digits_read_as_one_digit_lines(parity: dict) -> None:
    assert parity["mnist_test_digits"] == 10000
    assert parity["int8"]["mnist_test_as_lines_exact"] >= 0.992  # 0.9931; issue #11: 0.994


def test_int8_file_fits_the_budget() -> None:
    assert BUNDLED_MODEL.stat().st_size <= 250 * 1024


def test_card_matches_files_and_figures(parity: dict) -> None:
    card = json.loads((MODELS_DIR / CARD_FILE).read_text())
    for name, entry in card["files"].items():
        assert sha256_of(MODELS_DIR / name) == entry["sha256"]
    assert card["kind"] == "line_reader" and card["architecture"] == "line_reader"
    accuracy = card["accuracy"]
    assert accuracy["int8_strings_exact"] == pytest.approx(parity["int8"]["strings_exact"])
    assert accuracy["float_strings_exact"] == pytest.approx(parity["float"]["strings_exact"])
    assert accuracy["mnist_test_as_lines_int8"] == pytest.approx(
        parity["int8"]["mnist_test_as_lines_exact"]
    )


def test_bundled_model_is_full_integer() -> None:
    assert int8_violations(BUNDLED_MODEL.read_bytes()) == []
    model = LineModel()
    assert model.quantized and model.name == "digits_int8.tflite"
    assert model.read(np.zeros((LINE_HEIGHT, 32), np.uint8)).shape == (8, 11)
