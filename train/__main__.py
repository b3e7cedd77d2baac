"""`python -m train`: train the line reader (or, with --arch, a single-digit design) on MNIST."""

import argparse
import logging
import math
import shlex
import sys
import time
from pathlib import Path

from edge.interrupts import Interrupted, stop_on_signals
from edge.native_output import native_output_to_log
from train.architectures import ARCHITECTURES, DEFAULT_ARCH, LINE_READER
from train.artifacts import (
    ARTIFACTS_ENV,
    MODEL_FILE,
    REPORT_FILE,
    artifacts_dir,
    removed_if_left_empty,
    unwritable,
)
from train.data import DATA_ENV, DataError, Mnist, mnist_named
from train.desktop_install import desktop_tool_ready
from train.settings import MIN_READER_STEPS, ReaderSettings, TrainSettings

log = logging.getLogger("train")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = TrainSettings()
    parser = argparse.ArgumentParser(prog="python -m train", description=__doc__)
    parser.add_argument(
        "--data", help=f"local MNIST .npz in keras' layout (default: ${DATA_ENV}, else download)"
    )
    parser.add_argument(
        "--arch",
        choices=sorted(ARCHITECTURES),
        default=DEFAULT_ARCH,
        help=f"what to train (default {DEFAULT_ARCH}: the line reader the recognizer uses; the "
        "others are single-digit designs for the comparison table)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        help=f"default {ReaderSettings.epochs} for {LINE_READER}, {defaults.epochs} for the others",
    )
    parser.add_argument(
        "--lines",
        type=int,
        default=ReaderSettings.lines,
        help=f"composed training lines ({LINE_READER} only; default {ReaderSettings.lines:,})",
    )
    parser.add_argument("--batch-size", type=int, help="default 64 (line reader) or 128")
    parser.add_argument(
        "--lr",
        type=float,
        default=defaults.learning_rate,
        help=f"peak learning rate (default {defaults.learning_rate:g})",
    )
    parser.add_argument(
        "--val-size",
        type=int,
        default=defaults.val_size,
        help=f"MNIST training digits held out for validation (default {defaults.val_size:,})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=defaults.seed,
        help="seed for the validation split, the weights, augmentation and composed lines "
        f"(default {defaults.seed})",
    )
    parser.add_argument(
        "--limit",
        type=int,
        help="train on the first N training digits only (a line-reader run stays as long: "
        "--lines and --epochs set that)",
    )
    parser.add_argument("--no-augment", action="store_true", help="train on MNIST as it is")
    parser.add_argument(
        "--signs",
        type=float,
        default=ReaderSettings.sign_share,
        metavar="SHARE",
        help=f"{LINE_READER} only: the share of training strings (0-1) with handwritten +, -, = "
        "or x signs between digits, which the reader learns to pass over, for a child's sums "
        "(default 0, the bundled reader's recipe; README.md gives what 0.1 gains and costs)",
    )
    parser.add_argument(
        "--allow-short-run",
        action="store_true",
        help=f"train a line reader for fewer than {MIN_READER_STEPS:,} steps anyway (a throwaway "
        "model for checking the pipeline: it reads few strings right)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=artifacts_dir(),
        help=f"output directory (default: ${ARTIFACTS_ENV} or ./artifacts)",
    )
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "val_size", "lines"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not math.isfinite(args.lr) or args.lr <= 0:  # nan trains to nan weights, and exits 0
        parser.error(f"--lr must be a finite number above 0 (default {defaults.learning_rate:g})")
    if not 0 <= args.seed < 2**32:  # numpy's and TensorFlow's seeds
        parser.error(f"--seed must be from 0 to {2**32 - 1}, got {args.seed}")
    if not 0 <= args.signs <= 1:  # (nan fails both)
        parser.error(f"--signs must be a share from 0 to 1, got {args.signs}")
    if args.signs and args.arch != LINE_READER:
        parser.error(f"--signs is for the line reader ({LINE_READER}), not --arch {args.arch}")
    if args.limit is not None and args.limit <= args.val_size:
        parser.error("--limit must be larger than --val-size")
    if args.arch == LINE_READER and not args.allow_short_run:
        steps = reader_settings(args).steps
        if steps < MIN_READER_STEPS:
            parser.error(
                f"this run is {steps:,} training steps (--lines / --batch-size x --epochs), too "
                f"short for the line reader to learn to read: it needs at least "
                f"{MIN_READER_STEPS:,} (the default run is {ReaderSettings().steps:,}). Raise "
                "--lines or --epochs (--limit sets how many digits lines are composed from, not "
                "the run's length), or pass --allow-short-run for a throwaway model."
            )
    return args


def reader_settings(args: argparse.Namespace) -> ReaderSettings:
    """The line reader's settings: the flags given, the recipe's defaults for the rest."""
    return ReaderSettings(
        lines=args.lines,
        epochs=args.epochs or ReaderSettings.epochs,
        batch_size=args.batch_size or ReaderSettings.batch_size,
        learning_rate=args.lr,
        val_size=args.val_size,
        seed=args.seed,
        sign_share=args.signs,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not desktop_tool_ready("train", log):
        return 2
    started = time.perf_counter()
    try:
        data = mnist_named(args.data)
    except DataError as exc:
        log.error("train: error: %s", exc)
        return 2
    if args.val_size >= len(data.x_train):
        log.error(
            "train: error: --val-size %d leaves no training digits of %d; pass fewer (default %d).",
            args.val_size,
            len(data.x_train),
            TrainSettings().val_size,
        )
        return 2
    with removed_if_left_empty(args.out):
        problem = unwritable(args.out)
        if problem:  # said now, not after twenty minutes of training
            log.error("train: error: %s; pass --out a folder you can write in.", problem)
            return 2
        stop_on_signals("train")  # Ctrl-C or SIGTERM: one line and 128 + N, not a traceback
        try:
            return _train(args, data, argv, started)
        except Interrupted:
            if (args.out / MODEL_FILE).is_file() and not (args.out / REPORT_FILE).is_file():
                log.error(  # the model is saved, then evaluated for its report: stopped between
                    "train: %s holds the trained model but not its report (stopped while it "
                    "was evaluated); quantize it anyway, or train again for the report.",
                    args.out / MODEL_FILE,
                )
            raise


def _train(args: argparse.Namespace, data: Mnist, argv: list[str] | None, started: float) -> int:
    """The run the flags ask for; its files written in `args.out`."""
    command = "python -m train " + shlex.join(sys.argv[1:] if argv is None else argv)
    if args.arch == LINE_READER:
        with native_output_to_log(log):  # TensorFlow's import: slow, and prints oneDNN lines
            from train.reader_run import train_reader_and_report

        reader = reader_settings(args)
        log.info(
            "line reader: %s composed lines x %d epochs = %s steps of %d lines",
            f"{reader.lines:,}",
            reader.epochs,
            f"{reader.steps:,}",
            reader.batch_size,
        )
        train_reader_and_report(data, reader, args.limit, args.out, command, started)
        _say_next(args)
        return 0

    with native_output_to_log(log):  # TensorFlow's import: slow, and prints oneDNN lines
        from train.run import train_and_report

    defaults = TrainSettings()
    settings = TrainSettings(
        epochs=args.epochs or defaults.epochs,
        batch_size=args.batch_size or defaults.batch_size,
        learning_rate=args.lr,
        val_size=args.val_size,
        augment=not args.no_augment,
        seed=args.seed,
    )
    train_and_report(data, args.arch, settings, args.limit, args.out, command, started)
    _say_next(args)
    return 0


def _say_next(args: argparse.Namespace) -> None:
    """What to run next: the int8 model, with its calibration and parity check."""
    words = ["python", "-m", "quantize", "--model", str(args.out / MODEL_FILE)]
    words += ["--data", args.data] if args.data else []
    log.info("Next, int8 for the Pi: %s", shlex.join(words))


if __name__ == "__main__":
    sys.exit(main())
