"""The desktop flow for a single-digit design (the comparison table's): train briefly, quantize,
and hold int8 to real parity thresholds."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from chatter import TF_LOG, assert_no_library_chatter

from edge.model import CARD_FILE, FLOAT_FILE, INT8_FILE, DigitClassifier
from quantize.convert import int8_violations

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fresh_models(tmp_path_factory: pytest.TempPathFactory, mnist_path: Path) -> Path:
    """Issue #13's quick run (213 steps), quantized. After it, batch-norm's running statistics
    had not settled and the model read 10 % of validation digits while fitting 95 % of its
    batches; it now reads 97-98 %."""
    out = tmp_path_factory.mktemp("artifacts")
    train = ["--arch", "pi_cnn", "--limit", "10000", "--val-size", "1000", "--epochs", "3"]
    trained = subprocess.run(
        [sys.executable, "-m", "train", *train, "--data", str(mnist_path), "--out", str(out)],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert trained.returncode == 0, trained.stderr
    (out / "train.log").write_text(trained.stdout + trained.stderr)
    quantize = subprocess.run(
        [
            sys.executable,
            "-m",
            "quantize",
            "--model",
            str(out / "model.keras"),
            "--data",
            str(mnist_path),
            "--calib",
            "200",
            # A brief run is held to parity, not to the full recipe's accuracy, and to the
            # agreement `test_int8_keeps_parity_with_float` asserts: its 213 steps, trained
            # again, agreed 0.9979-0.998+ (TensorFlow's threads sum in no fixed order).
            "--min-int8-accuracy",
            "0.95",
            "--min-agreement",
            "0.995",
        ],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    (out / "quantize.out").write_text(quantize.stdout)
    (out / "quantize.err").write_text(quantize.stderr)
    assert quantize.returncode == 0, quantize.stderr
    return out


def test_a_short_run_reads_95_percent_and_writes_its_reports(fresh_models: Path) -> None:
    report = json.loads((fresh_models / "train_report.json").read_text())
    assert report["architecture"] == "pi_cnn" and report["epochs"] == 3
    assert report["train_images"] == 9000 and report["val_images"] == 1000
    assert report["val_accuracy"] >= 0.95 and report["test_accuracy"] >= 0.95
    assert np.sum(report["confusion_matrix"]) == 10000
    for picture in ("confusion_matrix.png", "misclassified.png"):
        assert (fresh_models / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_training_prints_no_library_chatter(fresh_models: Path) -> None:
    told = (fresh_models / "train.log").read_text()
    assert not TF_LOG.search(told), told


def test_int8_keeps_parity_with_float(fresh_models: Path) -> None:
    parity = json.loads((fresh_models / "parity_report.json").read_text())
    assert parity["test_images"] == 10000 and parity["passed"]
    assert parity["int8"]["accuracy"] > 0.95
    assert parity["accuracy_drop"] <= 0.003
    assert parity["top1_agreement"] >= 0.995
    assert parity["mean_abs_probability_difference"] < 0.01
    assert parity["size_ratio"] > 3  # int8 weights are a quarter of float32


def test_int8_contract(fresh_models: Path) -> None:
    int8 = fresh_models / INT8_FILE
    assert int8_violations(int8.read_bytes()) == []
    classifier = DigitClassifier(int8)  # verifies the card's sha256 too
    assert classifier.quantized
    scale, zero_point = classifier.input_quantization
    assert scale == pytest.approx(1 / 255, rel=1e-3) and zero_point == -128
    out_scale, out_zero = classifier.output_quantization
    assert out_scale == pytest.approx(1 / 256) and out_zero == -128
    scores = classifier.classify(np.zeros((3, 28, 28), np.uint8))
    assert scores.shape == (3, 10) and scores.dtype == np.float32
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=0.03)


def test_card_records_provenance(fresh_models: Path) -> None:
    card = json.loads((fresh_models / CARD_FILE).read_text())
    assert set(card["files"]) == {INT8_FILE, FLOAT_FILE}
    assert card["training"]["command"].startswith("python -m train --arch pi_cnn --limit 10000")
    assert card["quantization"]["calibration_images"] == 200
    assert card["input"]["polarity"].startswith("white digit on black")


def test_float_model_fails_the_int8_check(fresh_models: Path) -> None:
    problems = int8_violations((fresh_models / FLOAT_FILE).read_bytes())
    assert "model input is float32, not int8" in problems
    assert any("float32" in problem and "CONV_2D" in problem for problem in problems)


def test_quantize_exits_nonzero_when_parity_fails(fresh_models: Path, mnist_path: Path) -> None:
    out = fresh_models / "strict"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "quantize",
            "--model",
            str(fresh_models / "model.keras"),
            "--data",
            str(mnist_path),
            "--calib",
            "50",
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
    assert "fails parity" in result.stderr and "int8 accuracy" in result.stderr
    assert not (out / CARD_FILE).exists()  # edge refuses a model without a card


def test_quantize_prints_no_library_chatter(fresh_models: Path) -> None:
    assert (fresh_models / "quantize.out").read_text() == ""
    told = (fresh_models / "quantize.err").read_text()
    assert_no_library_chatter(told)
    # A digit design is for the comparison table: no hint to run or bundle it in edge.
    assert "quantize.compare" in told and "Bundle it" not in told


def test_batch_norm_statistics_are_measured_with_the_final_weights() -> None:
    import keras

    from train.batch_norm import recompute_batch_norm

    model = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization()])
    norm = model.layers[0]
    rng = np.random.default_rng(0)
    batches = [rng.normal(5.0, 2.0, (64, 3)).astype(np.float32) for _ in range(4)]
    recompute_batch_norm(model, batches)
    np.testing.assert_allclose(norm.moving_mean, np.mean([b.mean(0) for b in batches], 0), 1e-5)
    np.testing.assert_allclose(norm.moving_variance, np.mean([b.var(0) for b in batches], 0), 1e-4)
    assert norm.momentum == 0.99  # as it was: training goes on as configured


def test_every_architecture_named_for_arch_builds() -> None:
    from train.architectures import ARCHITECTURES, build

    for name in ARCHITECTURES:
        assert build(name).name == name
