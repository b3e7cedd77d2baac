"""The LiteRT wrapper: the model's own quantization, batch sizes, and refusing unusable files."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from edge.model import BUNDLED_MODEL, CARD_FILE, MODELS_DIR, DigitClassifier, ModelError


def test_input_is_quantized_with_the_models_own_parameters() -> None:
    classifier = DigitClassifier()
    scale, zero_point = classifier.input_quantization
    grey = np.arange(256)
    expected = np.clip(np.round(grey / 255.0 / scale + zero_point), -128, 127)
    np.testing.assert_array_equal(classifier._lut.astype(int), expected.astype(int))


def test_batches_of_any_size_match_one_at_a_time(mnist_test: tuple) -> None:
    images, _ = mnist_test
    classifier = DigitClassifier()
    together = classifier.classify(images[:7])
    alone = np.concatenate([classifier.classify(images[i : i + 1]) for i in range(7)])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    assert together.shape == (7, 10)


@pytest.mark.parametrize(
    "crops",
    [
        np.zeros((2, 28, 28), np.float32),
        np.zeros((2, 32, 32), np.uint8),
        np.zeros((28, 28), np.uint8),
    ],
)
def test_wrong_crops_are_refused(crops: np.ndarray) -> None:
    with pytest.raises(ValueError, match=r"expected uint8 crops of shape \(N, 28, 28\)"):
        DigitClassifier().classify(crops)


def test_truncated_model_without_verification_is_a_model_error(tmp_path: Path) -> None:
    broken = tmp_path / BUNDLED_MODEL.name
    broken.write_bytes(BUNDLED_MODEL.read_bytes()[:5000])
    with pytest.raises(ModelError, match="is not a loadable TFLite model"):
        DigitClassifier(broken, verify=False)


def test_model_missing_from_its_card_is_refused(tmp_path: Path) -> None:
    renamed = tmp_path / "other.tflite"
    shutil.copy(BUNDLED_MODEL, renamed)
    shutil.copy(MODELS_DIR / CARD_FILE, tmp_path / CARD_FILE)
    with pytest.raises(ModelError, match="not listed in its model card"):
        DigitClassifier(renamed)


def test_unreadable_card_is_named(tmp_path: Path) -> None:
    shutil.copy(BUNDLED_MODEL, tmp_path / BUNDLED_MODEL.name)
    (tmp_path / CARD_FILE).write_text("{not json")
    with pytest.raises(ModelError, match="unreadable"):
        DigitClassifier(tmp_path / BUNDLED_MODEL.name)
