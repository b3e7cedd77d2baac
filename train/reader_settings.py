"""The line reader's training settings (no TensorFlow here: `python -m train --help` is quick)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ReaderSettings:
    lines: int = 120_000  # composed training lines made for the run
    epochs: int = 4
    batch_size: int = 64
    learning_rate: float = 2e-3
    val_size: int = 5000  # MNIST training digits held out for validation strings
    val_lines: int = 2000
    seed: int = 1
