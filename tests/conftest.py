"""Shared fixtures. MNIST comes from $EDGE_DIGITS_MNIST, else ../shared/data/mnist.npz (CI)."""

import os
from pathlib import Path

import numpy as np
import pytest
from checkout import REPO


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    path = Path(os.environ.get("EDGE_DIGITS_MNIST", REPO.parent / "shared" / "data" / "mnist.npz"))
    if not path.is_file():
        pytest.fail(f"MNIST not found at {path}: set EDGE_DIGITS_MNIST to a keras-layout mnist.npz")
    return path


@pytest.fixture(scope="session")
def mnist_test(mnist_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's test digits (uint8 [10000, 28, 28], white on black) and their labels."""
    with np.load(mnist_path, allow_pickle=False) as npz:
        return npz["x_test"], npz["y_test"]
