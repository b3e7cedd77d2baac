"""Convert, check the int8 contract, evaluate parity, and write models, report and card."""

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import keras

from edge.ink import LINE_HEIGHT
from edge.model import (
    CARD_FILE,
    FLOAT_FILE,
    INT8_FILE,
    DigitClassifier,
    LineModel,
    ModelError,
    read_card,
    verify_against_card,
)
from quantize.calibration import calibration_set
from quantize.card import build_card, digit_contract, write_card
from quantize.convert import int8_violations, to_float_tflite, to_int8_tflite
from quantize.parity import ParityThresholds, evaluate_pair, violations
from quantize.reader import (
    calibration_lines,
    evaluate_reader_pair,
    reader_contract,
)
from quantize.reader_thresholds import ReaderThresholds
from train.artifacts import PARITY_FILE, REPORT_FILE
from train.data import Mnist

log = logging.getLogger("quantize")

REJECTED_DIR = "rejected"  # a candidate that fails parity, with its report, beside the models
REPORTS_DIR = "reports"  # a models folder's reports, where it has the folder (edge/models)


class QuantizeInputError(Exception):
    """The Keras model or the calibration request cannot be used, or the conversion broke the
    int8 contract."""


@dataclass(frozen=True)
class Outcome:
    line_reader: bool  # else a single-digit design (for the comparison table, not for `edge`)
    problems: list[str]  # why parity fails; empty when the int8 model is fit to ship
    report: Path  # the parity report written


def load_keras_model(path: Path) -> keras.Model:
    try:
        return keras.models.load_model(path)
    except Exception as exc:  # keras raises many types for a bad zip/config; all mean "unusable"
        raise QuantizeInputError(
            f"{path} is not a loadable Keras model ({type(exc).__name__}: {exc}). "
            "Re-run `python -m train` to write it again."
        ) from exc


def quantize_and_check(
    model_path: Path,
    data: Mnist,
    calib: int,
    seed: int,
    out: Path,
    train_report: dict | None,
    threshold_overrides: dict[str, float],
    command: str,
) -> Outcome:
    """Both .tflite files, the parity report and the card, made in a staging folder in `out`
    and moved into `out` only when parity holds (the card last: edge checks the files against
    it); a candidate that fails goes to `out/rejected/` with its report, and an interrupted run
    leaves nothing: the models in `out` (edge/models, say) are never half replaced."""
    staging = Path(tempfile.mkdtemp(prefix=".quantize-", dir=out))
    try:
        outcome = _quantize_into(
            staging, model_path, data, calib, seed, train_report, threshold_overrides, command
        )
        if outcome.problems:
            rejected = out / REJECTED_DIR
            shutil.rmtree(rejected, ignore_errors=True)
            os.replace(staging, rejected)
            return Outcome(outcome.line_reader, outcome.problems, rejected / PARITY_FILE)
        reports = report_folder(out)
        report = reports / PARITY_FILE
        os.replace(staging / PARITY_FILE, report)
        if reports != out:  # the run's own train report beside its parity; none left above
            (out / PARITY_FILE).unlink(missing_ok=True)
            if train_report is not None:
                (reports / REPORT_FILE).write_text(json.dumps(train_report, indent=2) + "\n")
        for name in (FLOAT_FILE, INT8_FILE, CARD_FILE):
            os.replace(staging / name, out / name)
        return Outcome(outcome.line_reader, [], report)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def report_folder(models: Path) -> Path:
    """Where a models folder's reports go: its `reports/` when it has one, else itself."""
    return models / REPORTS_DIR if (models / REPORTS_DIR).is_dir() else models


def _quantize_into(
    out: Path,
    model_path: Path,
    data: Mnist,
    calib: int,
    seed: int,
    train_report: dict | None,
    threshold_overrides: dict[str, float],
    command: str,
) -> Outcome:
    """Write both .tflite files and the parity report into `out`; the card if parity holds."""
    model = load_keras_model(model_path)
    reader = is_line_reader(model)
    thresholds = (ReaderThresholds if reader else ParityThresholds)(**threshold_overrides)
    try:
        if reader:
            log.info("Making %d calibration lines from MNIST training digits...", calib)
            calibration = calibration_lines(data, calib, seed)
        else:
            calibration = calibration_set(data.x_train, calib, seed)
    except ValueError as exc:
        raise QuantizeInputError(str(exc)) from exc
    float_path, int8_path = out / FLOAT_FILE, out / INT8_FILE
    log.info("Converting to float and int8 TFLite, calibrating on %d samples...", calib)
    float_path.write_bytes(to_float_tflite(model))
    int8_model = to_int8_tflite(model, calibration)
    problems = int8_violations(int8_model)
    if problems:
        raise QuantizeInputError(
            "the converted model is not full-integer int8: " + "; ".join(problems)
        )
    int8_path.write_bytes(int8_model)

    if reader:
        parity, problems = _reader_parity(float_path, int8_path, data, thresholds)
    else:
        log.info("Evaluating float and int8 models on %d test images...", len(data.x_test))
        parity = evaluate_pair(float_path, int8_path, data.x_test, data.y_test)
        problems = violations(
            parity["int8"]["accuracy"],
            parity["accuracy_drop"],
            parity["top1_agreement"],
            thresholds,
        )
        log.info(
            "float %.4f  int8 %.4f  agreement %.4f  int8 %d bytes (%.1fx smaller), %.1f us/image",
            parity["float"]["accuracy"],
            parity["int8"]["accuracy"],
            parity["top1_agreement"],
            parity["int8"]["bytes"],
            parity["size_ratio"],
            parity["int8"]["us_per_image"],
        )
        parity["thresholds"] = thresholds.__dict__
        parity["passed"] = not problems
    (out / PARITY_FILE).write_text(json.dumps(parity, indent=2) + "\n")
    if problems:
        return Outcome(reader, problems, out / PARITY_FILE)
    int8 = (LineModel if reader else DigitClassifier)(int8_path, verify=False)
    contract = (reader_contract if reader else digit_contract)(
        parity, int8.input_quantization, int8.output_quantization
    )
    card = build_card(int8_path, float_path, train_report, contract, command, calib)
    write_card(out, card)
    return Outcome(reader, [], out / PARITY_FILE)


def _reader_parity(
    float_path: Path, int8_path: Path, data: Mnist, thresholds: ReaderThresholds
) -> tuple[dict, list[str]]:
    """Both readers on the composed test strings and MNIST's test digits, as edge reads lines;
    the parity report and its violations of `thresholds`."""
    log.info("Reading composed MNIST-test strings and MNIST test digits with both models...")
    parity = evaluate_reader_pair(float_path, int8_path, data)
    problems = violations(
        parity["int8"]["strings_exact"],
        parity["accuracy_drop"],
        parity["same_string"],
        thresholds,
        measured="reads of test strings exactly",
        agreeing="int8 and float read the same string",
    )
    log.info(
        "strings exact: float %.4f  int8 %.4f  same string %.4f; photographed: float %.4f  "
        "int8 %.4f; MNIST test as lines: float %.4f  int8 %.4f; int8 %d bytes (%.1fx "
        "smaller), %.2f ms per line",
        parity["float"]["strings_exact"],
        parity["int8"]["strings_exact"],
        parity["same_string"],
        parity["float"]["camera_strings_exact"],
        parity["int8"]["camera_strings_exact"],
        parity["float"]["mnist_test_as_lines_exact"],
        parity["int8"]["mnist_test_as_lines_exact"],
        parity["int8"]["bytes"],
        parity["size_ratio"],
        parity["int8"]["ms_per_line"],
    )
    parity["thresholds"] = thresholds.__dict__
    parity["passed"] = not problems
    return parity, problems


def remeasure_reader(directory: Path, data: Mnist, command: str) -> list[str]:
    """Read the test strings and digits again with the float and int8 readers a quantize run
    left in `directory`, as edge reads lines now, and rewrite the figures: the parity report
    (beside the card, or in its `reports/` folder, as `edge/models` keeps it) and the card's
    `accuracy`, which notes the command. For a change in how edge reads a line, not in the
    model: the files, and so the card's checksums, stay as they are. Returns parity's
    violations (of the thresholds the report held); then the card is left as it was.

    Raises QuantizeInputError when the folder holds no line reader's files and card, or files
    that are not the ones the card records.
    """
    if not directory.is_dir():
        raise QuantizeInputError(f"there is no folder {directory}")
    float_path, int8_path, card_path = (directory / n for n in (FLOAT_FILE, INT8_FILE, CARD_FILE))
    missing = [path.name for path in (float_path, int8_path, card_path) if not path.is_file()]
    if missing:
        raise QuantizeInputError(
            f"{directory} has no {', '.join(missing)}: --remeasure reads again the models a "
            "`python -m quantize` run wrote there."
        )
    try:
        card = read_card(int8_path)
        for path in (int8_path, float_path):  # figures of other files would pass as the card's
            verify_against_card(path, card)
    except ModelError as exc:
        raise QuantizeInputError(str(exc)) from exc
    if card.get("kind") != "line_reader":
        raise QuantizeInputError(f"{card_path} is not a line reader's card: nothing to re-read")
    report_path = report_folder(directory) / PARITY_FILE
    before = json.loads(report_path.read_text()) if report_path.is_file() else {}
    thresholds = ReaderThresholds(**before.get("thresholds", {}))
    parity, problems = _reader_parity(float_path, int8_path, data, thresholds)
    report_path.write_text(json.dumps(parity, indent=2) + "\n")
    if problems:
        return problems
    int8 = LineModel(int8_path, verify=False)
    contract = reader_contract(parity, int8.input_quantization, int8.output_quantization)
    card["accuracy"] = {**contract["accuracy"], "remeasured_by": command}
    write_card(directory, card)
    return []


def is_line_reader(model: keras.Model) -> bool:
    """Whether the model has the line reader's contract: `[N, 32, any width, 1]` in."""
    shape = tuple(model.input_shape)
    return len(shape) == 4 and shape[1] == LINE_HEIGHT and shape[2] is None
