"""The int8 model shipped in edge/models meets the product's figures on the full MNIST test set."""

import json
from pathlib import Path

import numpy as np
import pytest

from edge.model import BUNDLED_MODEL, CARD_FILE, FLOAT_FILE, MODELS_DIR, DigitClassifier, sha256_of
from quantize.convert import int8_violations
from quantize.parity import evaluate_pair
from train.data import load_mnist

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def parity(mnist_path: Path) -> dict:
    data = load_mnist(mnist_path)
    return evaluate_pair(MODELS_DIR / FLOAT_FILE, BUNDLED_MODEL, data.x_test, data.y_test)


def test_float_accuracy(parity: dict) -> None:
    assert parity["test_images"] == 10000
    assert parity["float"]["accuracy"] >= 0.996


def test_int8_accuracy_and_agreement(parity: dict) -> None:
    assert parity["int8"]["accuracy"] >= 0.9955
    assert parity["top1_agreement"] >= 0.999


def test_int8_file_fits_the_budget() -> None:
    assert BUNDLED_MODEL.stat().st_size <= 80 * 1024


def test_card_matches_files_and_figures(parity: dict) -> None:
    card = json.loads((MODELS_DIR / CARD_FILE).read_text())
    for name, entry in card["files"].items():
        assert sha256_of(MODELS_DIR / name) == entry["sha256"]
    assert card["accuracy"]["int8"] == pytest.approx(parity["int8"]["accuracy"])
    assert card["accuracy"]["float"] == pytest.approx(parity["float"]["accuracy"])
    assert card["architecture"] == "pi_cnn"


def test_bundled_model_is_full_integer() -> None:
    assert int8_violations(BUNDLED_MODEL.read_bytes()) == []
    classifier = DigitClassifier()
    assert classifier.quantized and classifier.name == "digits_int8.tflite"
    assert classifier.classify(np.zeros((0, 28, 28), np.uint8)).shape == (0, 10)
