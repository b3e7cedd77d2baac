"""Desktop CLIs on bad input: a clear error, a non-zero exit, no traceback."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


def run(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )


def assert_clean_failure(result: subprocess.CompletedProcess, *phrases: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def test_train_missing_data_file(tmp_path: Path) -> None:
    result = run("train", "--data", str(tmp_path / "missing.npz"), cwd=tmp_path)
    assert_clean_failure(result, "missing.npz does not exist", "--data")
    assert not (tmp_path / "artifacts").exists()


def test_train_wrong_array_shapes(tmp_path: Path) -> None:
    path = tmp_path / "odd.npz"
    np.savez(
        path,
        x_train=np.zeros((10, 32, 32), np.uint8),
        y_train=np.zeros(10, np.uint8),
        x_test=np.zeros((2, 28, 28), np.uint8),
        y_test=np.zeros(2, np.uint8),
    )
    assert_clean_failure(run("train", "--data", str(path), cwd=tmp_path), "x_train has shape")


def test_train_rejects_unknown_architecture(tmp_path: Path) -> None:
    result = run("train", "--arch", "resnet152", cwd=tmp_path)
    assert_clean_failure(result, "invalid choice: 'resnet152'")


def test_quantize_missing_model(tmp_path: Path, mnist_path: Path) -> None:
    result = run(
        "quantize", "--model", str(tmp_path / "none.keras"), "--data", str(mnist_path), cwd=tmp_path
    )
    assert_clean_failure(result, "no Keras model at", "python -m train")


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 definitely not a keras archive"])
def test_quantize_corrupt_keras_file(tmp_path: Path, mnist_path: Path, content: bytes) -> None:
    model = tmp_path / "model.keras"
    model.write_bytes(content)
    result = run("quantize", "--model", str(model), "--data", str(mnist_path), cwd=tmp_path)
    assert_clean_failure(result, "is not a loadable Keras model", "Re-run `python -m train`")
    assert not list(tmp_path.glob("*.tflite"))
