"""What a training run leaves behind for a human: JSON report, confusion matrix, error gallery."""

import json
import os
import platform
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; desktops without a display train too
import matplotlib.pyplot as plt
import numpy as np


def cores() -> int:
    """CPU cores this process may use."""
    return len(os.sched_getaffinity(0))


def provenance() -> dict[str, str]:
    """What a report records of the software and machine that trained the model."""
    import keras  # deferred: callers have TensorFlow loaded already; plotting needs neither
    import tensorflow as tf

    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "machine": f"{platform.machine()}, {cores()} cores",
    }


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, classes: int = 10) -> np.ndarray:
    """counts[true, predicted]."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (truth, predicted), 1)
    return counts


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.write_text(json.dumps(report, indent=2) + "\n")


def plot_confusion(counts: np.ndarray, title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    # Log colour so the few off-diagonal errors are visible next to ~1000 correct per class.
    ax.imshow(np.log1p(counts), cmap="Blues")
    for (true, pred), value in np.ndenumerate(counts):
        if value:
            colour = "white" if true == pred else "black"
            ax.text(pred, true, str(value), ha="center", va="center", fontsize=7, color=colour)
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_misclassified(
    images: np.ndarray, truth: np.ndarray, predicted: np.ndarray, path: Path, limit: int = 100
) -> None:
    """A grid of wrongly classified test digits titled 'pred/true'."""
    wrong = np.flatnonzero(truth != predicted)[:limit]
    cols = 10
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.0, rows * 1.15), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, index in zip(axes.flat, wrong, strict=False):
        ax.imshow(images[index], cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"{predicted[index]}/{truth[index]}", fontsize=8, color="crimson")
    fig.suptitle(f"{len(np.flatnonzero(truth != predicted))} misclassified (predicted/true)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
