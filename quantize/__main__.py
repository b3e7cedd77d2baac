"""`python -m quantize`: int8 TFLite from the trained Keras model, with float-vs-int8 parity."""

import argparse
import json
import logging
import shlex
import sys
import zipfile
from pathlib import Path

from edge.interrupts import stop_on_signals
from edge.model import CARD_FILE, FLOAT_FILE, INT8_FILE, MODELS_DIR
from edge.native_output import native_output_to_log
from edge.sources import announced_as
from quantize.parity import ParityThresholds
from quantize.reader_thresholds import ReaderThresholds
from train.artifacts import (
    MODEL_FILE,
    REPORT_FILE,
    artifacts_dir,
    removed_if_left_empty,
    unwritable,
)
from train.data import DATA_ENV, DataError, Mnist, mnist_named
from train.desktop_install import desktop_tool_ready

log = logging.getLogger("quantize")


def fraction(text: str) -> float:
    """An argparse `type`: a share from 0 to 1 (`0.96`, not `96`); nan, which passes every
    comparison's test by failing none, is refused."""
    try:
        value = float(text)
    except ValueError:
        percent = text.strip().removesuffix("%")
        hint = ""
        if percent != text.strip() and percent.replace(".", "", 1).isdigit():
            hint = f" ({percent} % is {float(percent) / 100:g})"
        raise argparse.ArgumentTypeError(f"a fraction from 0 to 1, got {text!r}{hint}") from None
    if not 0.0 <= value <= 1.0:  # (nan is not)
        hint = f" (a percentage? {value:g} % is {value / 100:g})" if 1 < value <= 100 else ""
        raise argparse.ArgumentTypeError(f"a fraction from 0 to 1, got {text}{hint}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    digit, line = ParityThresholds(), ReaderThresholds()
    artifacts = artifacts_dir()
    parser = argparse.ArgumentParser(prog="python -m quantize", description=__doc__)
    parser.add_argument(
        "--model",
        type=Path,
        default=artifacts / MODEL_FILE,
        help="Keras model written by `python -m train` (default: %(default)s)",
    )
    parser.add_argument(
        "--data", help=f"local MNIST .npz in keras' layout (default: ${DATA_ENV}, else download)"
    )
    parser.add_argument(
        "--calib", type=int, default=500, help="calibration set: composed lines (%(default)s)"
    )
    parser.add_argument("--seed", type=int, default=0, help="calibration sample seed")
    parser.add_argument("--out", type=Path, help="output directory (default: the model's)")
    parser.add_argument(
        "--min-int8-accuracy",
        type=fraction,
        help=f"int8 accuracy: test strings read exactly by a line reader (default "
        f"{line.min_int8_accuracy}), MNIST test digits by a digit model "
        f"({digit.min_int8_accuracy})",
    )
    parser.add_argument(
        "--max-accuracy-drop",
        type=fraction,
        help=f"largest allowed float minus int8 accuracy, as a fraction (default "
        f"{line.max_accuracy_drop} reader, {digit.max_accuracy_drop} digit model)",
    )
    parser.add_argument(
        "--min-agreement",
        type=fraction,
        help=f"int8 reads what float reads: same string (default {line.min_agreement}) or same "
        f"top-1 digit ({digit.min_agreement})",
    )
    parser.add_argument(
        "--remeasure",
        type=Path,
        metavar="DIR",
        help="read the test strings and digits again with the line readers a quantize run left "
        "in DIR (e.g. edge/models), as edge reads lines now, and rewrite its parity report and "
        "the card's figures; after a change in edge's reading, not in the model (only --data "
        "is used with it)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not desktop_tool_ready("quantize", log):
        return 2
    command = "python -m quantize " + shlex.join(sys.argv[1:] if argv is None else argv)
    if args.model.is_dir():  # the folder train said it wrote
        args.model /= MODEL_FILE
    if not args.remeasure and not args.model.is_file():
        log.error(
            "quantize: error: no Keras model at %s. Run `python -m train` first, or pass "
            "--model PATH.",
            args.model,
        )
        return 2
    try:
        data = mnist_named(args.data)
    except DataError as exc:
        log.error("quantize: error: %s", exc)
        return 2
    # Ctrl-C or SIGTERM: one line and 128 + N; the models in --out are left as they were
    # (quantize_and_check moves new ones in only when parity holds).
    stop_on_signals("quantize")
    if args.remeasure:
        return remeasure(args.remeasure, data, command)

    out = args.out or args.model.parent
    with removed_if_left_empty(out):
        return _quantize(args, data, out, command)


def _quantize(args: argparse.Namespace, data: Mnist, out: Path, command: str) -> int:
    """`main` once the model and MNIST are found: the exit status."""
    problem = unwritable(out)
    if problem:
        log.error("quantize: error: %s; pass --out a folder you can write in.", problem)
        return 2
    if not zipfile.is_zipfile(args.model):
        # A .keras file is a zip archive: told now, not by Keras' own words ("File not
        # found") after TensorFlow's import.
        log.error("quantize: error: %s %s.", args.model, _not_keras(args.model))
        return 2
    with native_output_to_log(log):  # TensorFlow's import: slow, and prints oneDNN lines
        from quantize.run import QuantizeInputError, quantize_and_check
    report_path = args.model.parent / REPORT_FILE
    train_report = json.loads(report_path.read_text()) if report_path.is_file() else None
    if train_report is None:
        log.warning(
            "quantize: no %s beside %s: the model card will not say how it was trained",
            REPORT_FILE,
            args.model,
        )
    thresholds = {
        name: getattr(args, name)
        for name in ("min_int8_accuracy", "max_accuracy_drop", "min_agreement")
        if getattr(args, name) is not None
    }
    try:
        outcome = quantize_and_check(
            args.model, data, args.calib, args.seed, out, train_report, thresholds, command
        )
    except QuantizeInputError as exc:
        log.error("quantize: error: %s", exc)
        return 2
    if outcome.problems:
        log.error(
            "quantize: error: the int8 model fails parity:\n  - %s\nThe models in %s are "
            "unchanged; the rejected ones and their report are in %s. Retrain, use a larger "
            "--calib, or relax the thresholds (--min-int8-accuracy, --max-accuracy-drop, "
            "--min-agreement).",
            "\n  - ".join(outcome.problems),
            out,
            outcome.report.parent,
        )
        return 1
    log.info("\nModels in %s: %s, %s and model_card.json.", out, INT8_FILE, FLOAT_FILE)
    if not outcome.line_reader:
        log.info(
            "A single-digit design: compare it with `python -m quantize.compare %s`; edge reads "
            "lines and runs line readers only.",
            shlex.quote(str(out)),
        )
        return 0
    model = shlex.quote(str(out / INT8_FILE))
    log.info("Try it:          python -m edge --model %s --source demo", model)
    if out.resolve() != MODELS_DIR.resolve():
        log.info("Bundle it:       %s   (then commit edge/models)", bundle_command(args))
    log.info(
        "Install on a Pi: copy %s and %s beside it to the Pi, then there: sudo "
        "deploy/install.sh --model PATH/%s",
        model,
        CARD_FILE,
        INT8_FILE,
    )
    return 0


def _not_keras(path: Path) -> str:
    """What a --model file that is no zip archive is, and what to do, for its error."""
    with path.open("rb") as file:
        head = file.read(8)
    pass_keras = "pass the model.keras that `python -m train` wrote"
    if head[4:8] == b"TFL3":  # a FlatBuffer's identifier, after its root offset
        return f"is a TFLite model, as quantize writes: {pass_keras}"
    if head.startswith(b"PK"):  # a zip archive's start, its directory (at the end) lost
        return "is a .keras file damaged or cut short: run `python -m train` to write it again"
    if not head:
        return f"is empty: {pass_keras}"
    announced = announced_as(path)
    kind = f"{announced}, not" if announced else "not"
    return f"is {kind} a Keras model (a .keras file is a zip archive): {pass_keras}"


def remeasure(directory: Path, data: Mnist, command: str) -> int:
    """`--remeasure DIR`: the exit status (0 figures rewritten, 1 parity fails, 2 bad input)."""
    with native_output_to_log(log):
        from quantize.run import QuantizeInputError, remeasure_reader
    try:
        problems = remeasure_reader(directory, data, command)
    except QuantizeInputError as exc:
        log.error("quantize: error: %s", exc)
        return 2
    if problems:
        log.error(
            "quantize: error: read as edge reads now, the int8 reader fails parity; the card is "
            "unchanged:\n  - %s",
            "\n  - ".join(problems),
        )
        return 1
    log.info("\nRewrote the parity report and the figures of %s.", directory / CARD_FILE)
    return 0


def bundle_command(args: argparse.Namespace) -> str:
    """This run again, written to the package's models folder: the same model, data, calibration
    and thresholds, so it passes parity there too."""
    words = ["python", "-m", "quantize", "--model", str(args.model)]
    if args.data:
        words += ["--data", args.data]
    words += ["--calib", str(args.calib), "--seed", str(args.seed)]
    for name in ("min_int8_accuracy", "max_accuracy_drop", "min_agreement"):
        if getattr(args, name) is not None:
            words += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    models = MODELS_DIR.resolve()
    here = Path.cwd()
    words += ["--out", str(models.relative_to(here) if models.is_relative_to(here) else models)]
    return shlex.join(words)


if __name__ == "__main__":
    sys.exit(main())
