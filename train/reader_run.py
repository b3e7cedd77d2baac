"""One line-reader run end to end: compose lines, fit with CTC, evaluate once on MNIST's test
digits (composed strings, and each digit as a one-digit line), write the model and report."""

import logging
import time
from pathlib import Path

import keras

from train.architectures import LINE_READER, build
from train.artifacts import MODEL_FILE, REPORT_FILE
from train.data import Mnist
from train.reader import (
    evaluation_lines,
    exact_accuracy,
    fit_reader,
    make_lines,
    predict_lines,
)
from train.reports import cores, provenance, write_json
from train.settings import ReaderSettings
from train.strings import Digits, StringStyle, TrainingLine, mnist_line
from train.training import split_validation

log = logging.getLogger("train")

TEST_STRINGS = 2000  # composed strings of MNIST test digits in the report (and in quantize)


def mnist_test_lines(data: Mnist) -> list[TrainingLine]:
    """Every MNIST test digit as a one-digit line."""
    return [
        TrainingLine(mnist_line(image), (int(label),))
        for image, label in zip(data.x_test, data.y_test, strict=True)
    ]


def train_reader_and_report(
    data: Mnist,
    settings: ReaderSettings,
    limit: int | None,
    out: Path,
    command: str,
    started: float,
) -> dict:
    """Train the line reader, save `model.keras` and write `train_report.json`."""
    keras.utils.set_random_seed(settings.seed)
    x_fit, y_fit, x_val, y_val = split_validation(
        data.x_train[:limit], data.y_train[:limit], settings.val_size, settings.seed
    )
    made = time.perf_counter()
    train_lines = make_lines(
        Digits(x_fit, y_fit),
        settings.lines,
        settings.seed,
        StringStyle(sign_share=settings.sign_share),
        workers=cores(),
        what="composing training lines",
    )
    val_lines = evaluation_lines(
        Digits(x_val, y_val), settings.val_lines, seed=settings.seed + 1, camera=True
    )
    make_seconds = time.perf_counter() - made
    log.info("made %d training lines in %.0f s", len(train_lines), make_seconds)

    model = build(LINE_READER)
    model.summary(print_fn=log.info)
    fit_started = time.perf_counter()
    history = fit_reader(model, train_lines, val_lines, settings)
    fit_seconds = time.perf_counter() - fit_started
    (out / REPORT_FILE).unlink(missing_ok=True)  # an earlier model's: not this one's
    model.save(out / MODEL_FILE)

    # MNIST's test digits are looked at once, after training, for the report only.
    test_digits = Digits(data.x_test, data.y_test)
    test_lines = evaluation_lines(test_digits, TEST_STRINGS, seed=0)
    strings_exact = exact_accuracy(predict_lines(model, test_lines), test_lines)
    camera_lines = evaluation_lines(test_digits, TEST_STRINGS, seed=0, camera=True)
    camera_exact = exact_accuracy(predict_lines(model, camera_lines), camera_lines)
    singles = mnist_test_lines(data)
    singles_exact = exact_accuracy(predict_lines(model, singles), singles)
    report = {
        "architecture": LINE_READER,
        "parameters": model.count_params(),
        "training_lines": len(train_lines),
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "peak_learning_rate": settings.learning_rate,
        "seed": settings.seed,
        "sign_share": settings.sign_share,
        "train_digits": len(x_fit),
        "val_digits": len(x_val),
        "val_strings_exact_per_epoch": [round(v, 5) for v in history],
        "test_strings": len(test_lines),
        "test_strings_exact": strings_exact,
        "camera_test_strings_exact": camera_exact,
        "mnist_test_as_lines_accuracy": singles_exact,
        "mnist_test_errors": round((1 - singles_exact) * len(singles)),
        "make_lines_seconds": round(make_seconds, 1),
        "fit_seconds": round(fit_seconds, 1),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "command": command,
        **provenance(),
    }
    write_json(out / REPORT_FILE, report)
    log.info(
        "composed MNIST-test strings exact %.4f, MNIST test digits as lines %.4f, %d parameters, "
        "%.0f s; wrote %s",
        strings_exact,
        singles_exact,
        report["parameters"],
        report["wall_seconds"],
        out,
    )
    return report
