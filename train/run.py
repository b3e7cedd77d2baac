"""One training run end to end: seed, build, fit, evaluate on the test set, write artifacts."""

import logging
import time
from pathlib import Path

import keras
import numpy as np

from train.architectures import build
from train.artifacts import MODEL_FILE, REPORT_FILE
from train.data import Mnist
from train.reports import (
    confusion_matrix,
    plot_confusion,
    plot_misclassified,
    provenance,
    write_json,
)
from train.settings import TrainSettings
from train.training import fit, to_model_input

log = logging.getLogger("train")


def train_and_report(
    data: Mnist,
    arch: str,
    settings: TrainSettings,
    limit: int | None,
    out: Path,
    command: str,
    started: float,
) -> dict:
    """Train `arch`, save `model.keras`, and write the report, confusion matrix and error grid."""
    keras.utils.set_random_seed(settings.seed)
    x_train, y_train = data.x_train[:limit], data.y_train[:limit]
    model = build(arch)
    model.summary(print_fn=log.info)
    fit_started = time.perf_counter()
    history, val_accuracy = fit(model, x_train, y_train, settings)
    fit_seconds = time.perf_counter() - fit_started
    (out / REPORT_FILE).unlink(missing_ok=True)  # an earlier model's: not this one's
    model.save(out / MODEL_FILE)

    # The test set is looked at once, after training, for the report only.
    probabilities = model.predict(to_model_input(data.x_test), batch_size=512, verbose=0)
    predicted = probabilities.argmax(axis=1)
    test_accuracy = float(np.mean(predicted == data.y_test))
    counts = confusion_matrix(data.y_test, predicted)
    plot_confusion(
        counts, f"{arch}: test accuracy {test_accuracy:.2%}", out / "confusion_matrix.png"
    )
    plot_misclassified(data.x_test, data.y_test, predicted, out / "misclassified.png")

    report = {
        "architecture": arch,
        "parameters": model.count_params(),
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "peak_learning_rate": settings.learning_rate,
        "augment": settings.augment,
        "seed": settings.seed,
        "train_images": len(x_train) - settings.val_size,
        "val_images": settings.val_size,
        "val_accuracy": val_accuracy,  # after batch-norm statistics are measured again
        "val_accuracy_per_epoch": [round(v, 5) for v in history.history["val_accuracy"]],
        "test_accuracy": test_accuracy,
        "test_errors": int(np.sum(predicted != data.y_test)),
        "confusion_matrix": counts.tolist(),
        "fit_seconds": round(fit_seconds, 1),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "command": command,
        **provenance(),
    }
    write_json(out / REPORT_FILE, report)
    log.info(
        "validation accuracy %.4f, test accuracy %.4f (%d errors), %d parameters, %.0f s; wrote %s",
        val_accuracy,
        test_accuracy,
        report["test_errors"],
        report["parameters"],
        report["wall_seconds"],
        out,
    )
    return report
