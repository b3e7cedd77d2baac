"""The LiteRT wrappers: the model's own quantization, the line reader's contract, widths, and
refusing unusable files. `tests/data/pi_cnn_int8.tflite` is the single-digit model the product
shipped before the line reader (a 28x28 classifier), with its card."""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from checkout import REPO, edge_command

from edge.ink import LINE_HEIGHT
from edge.model import (
    BUNDLED_MODEL,
    CARD_FILE,
    MODELS_DIR,
    DigitClassifier,
    LineModel,
    ModelError,
    sha256_of,
)

DIGIT_MODEL = REPO / "tests" / "data" / "pi_cnn_int8.tflite"


def test_input_is_quantized_with_the_models_own_parameters() -> None:
    model = LineModel()
    scale, zero_point = model.input_quantization
    grey = np.arange(256)
    expected = np.clip(np.round(grey / 255.0 / scale + zero_point), -128, 127)
    np.testing.assert_array_equal(model._lut.astype(int), expected.astype(int))


@pytest.mark.parametrize("width", [32, 100, 512])
def test_a_line_of_any_width_gives_a_column_of_probabilities_per_4_px(width: int) -> None:
    width -= width % 4
    probabilities = LineModel().read(np.zeros((LINE_HEIGHT, width), np.uint8))
    assert probabilities.shape == (width // 4, 11) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=0.05)
    assert (probabilities.argmax(axis=1) == 10).all()  # a blank line is all blank


def test_widths_in_turn_give_what_each_gives_alone() -> None:
    model = LineModel()
    rng = np.random.default_rng(0)
    lines = [rng.integers(0, 256, (LINE_HEIGHT, w), np.uint8) for w in (64, 96, 64, 128, 96)]
    alone = [LineModel().read(line) for line in lines]
    for line, expected in zip(lines, alone, strict=True):
        np.testing.assert_array_equal(model.read(line), expected)


@pytest.mark.parametrize(
    "line",
    [np.zeros((LINE_HEIGHT, 64), np.float32), np.zeros((28, 64), np.uint8), np.zeros(64, np.uint8)],
)
def test_wrong_line_images_are_refused(line: np.ndarray) -> None:
    with pytest.raises(ValueError, match="expected a uint8 line image"):
        LineModel().read(line)


def test_a_single_digit_model_is_refused_as_a_reader() -> None:
    with pytest.raises(ModelError, match="a line reader must take"):
        LineModel(DIGIT_MODEL)


def test_the_single_digit_wrapper_still_classifies_crops(mnist_test: tuple) -> None:
    images, labels = mnist_test
    classifier = DigitClassifier(DIGIT_MODEL)  # verifies its card
    together = classifier.classify(images[:7])
    alone = np.concatenate([classifier.classify(images[i : i + 1]) for i in range(7)])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    assert (together.argmax(axis=1) == labels[:7]).all()
    with pytest.raises(ModelError, match="a digit model must take"):
        DigitClassifier(BUNDLED_MODEL)


def test_truncated_model_without_verification_is_a_model_error(tmp_path: Path) -> None:
    broken = tmp_path / BUNDLED_MODEL.name
    broken.write_bytes(BUNDLED_MODEL.read_bytes()[:5000])
    with pytest.raises(ModelError, match=r"is not a loadable TFLite model.*copy it again"):
        LineModel(broken, verify=False)


def test_tampered_model_fails_its_sha256_check(tmp_path: Path) -> None:
    tampered = tmp_path / BUNDLED_MODEL.name
    data = bytearray(BUNDLED_MODEL.read_bytes())
    data[-100] ^= 0xFF
    tampered.write_bytes(bytes(data))
    shutil.copy(MODELS_DIR / CARD_FILE, tmp_path / CARD_FILE)
    with pytest.raises(ModelError, match="fails its sha256 check"):
        LineModel(tampered)


def test_model_missing_from_its_card_is_refused(tmp_path: Path) -> None:
    renamed = tmp_path / "other.tflite"
    shutil.copy(BUNDLED_MODEL, renamed)
    shutil.copy(MODELS_DIR / CARD_FILE, tmp_path / CARD_FILE)
    with pytest.raises(ModelError, match="not listed in its model card") as refused:
        LineModel(renamed)
    # It says which files the card lists, and that --model names the .tflite file itself.
    assert "digits_int8.tflite" in str(refused.value) and "the .tflite model file" in str(
        refused.value
    )
    with pytest.raises(ModelError, match=r"--model names the \.tflite model file itself"):
        LineModel(tmp_path / CARD_FILE)  # the card given for the model


def test_unreadable_card_is_named(tmp_path: Path) -> None:
    shutil.copy(BUNDLED_MODEL, tmp_path / BUNDLED_MODEL.name)
    (tmp_path / CARD_FILE).write_text("{not json")
    with pytest.raises(ModelError, match=r"unreadable .*python -m quantize"):
        LineModel(tmp_path / BUNDLED_MODEL.name)


def test_missing_model_says_what_to_do(tmp_path: Path) -> None:
    """Whether --model or the config's [model] path named it: the message fits both."""
    with pytest.raises(ModelError, match="does not exist") as error:
        LineModel(tmp_path / "nothing.tflite")
    assert "no --model, no [model] path in the config" in str(error.value)


def test_a_directory_for_a_model_is_said_to_be_one(tmp_path: Path) -> None:
    result = subprocess.run(
        edge_command("--model", str(tmp_path), "--source", "demo"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"edge: error: {tmp_path} is a directory, not a .tflite file" in result.stderr


def _with_card(tmp_path: Path, card: object) -> Path:
    model = tmp_path / BUNDLED_MODEL.name
    shutil.copy(BUNDLED_MODEL, model)
    (tmp_path / CARD_FILE).write_text(json.dumps(card))
    return model


@pytest.mark.parametrize(
    ("card", "complaint"),
    [
        ([], "holds a JSON array, not an object"),
        ("a card", "holds a JSON string, not an object"),
        ({"files": ["digits_int8.tflite"]}, '"files" is a JSON array'),
        ({"files": {"digits_int8.tflite": "abc"}}, "no sha256 string"),
        ({"files": {"digits_int8.tflite": {"sha256": 12}}}, "no sha256 string"),
        ({}, "lists no model files: it is empty"),
        ({"files": {}}, "lists no model files: it is empty"),
    ],
)
def test_a_card_of_the_wrong_shape_is_a_model_error_naming_it(
    tmp_path: Path, card: object, complaint: str
) -> None:
    with pytest.raises(ModelError, match=complaint) as error:
        LineModel(_with_card(tmp_path, card))
    assert str(tmp_path / CARD_FILE) in str(error.value)


def test_a_card_of_the_wrong_shape_exits_2_at_the_cli(tmp_path: Path) -> None:
    model = _with_card(tmp_path, {"files": {BUNDLED_MODEL.name: None}})
    result = subprocess.run(
        edge_command("recognize", "--model", str(model), str(tmp_path / "any.png")),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "edge: error: Model card" in result.stderr and "no sha256 string" in result.stderr


def test_sha256_is_the_files_whole_digest() -> None:
    assert sha256_of(BUNDLED_MODEL) == hashlib.sha256(BUNDLED_MODEL.read_bytes()).hexdigest()


def test_loading_a_model_prints_nothing() -> None:
    # LiteRT announces "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." on stderr.
    code = "from edge.model import LineModel; LineModel()"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout == "" and result.stderr == ""
