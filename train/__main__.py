"""`python -m train`: train the line reader (or, with --arch, a single-digit design) on MNIST."""

import argparse
import logging
import shlex
import sys
import time
from pathlib import Path

from train.architectures import ARCHITECTURES, DEFAULT_ARCH, LINE_READER
from train.artifacts import ARTIFACTS_ENV, artifacts_dir
from train.data import DATA_ENV, DataError, load_mnist, resolve_data_path
from train.reader_settings import ReaderSettings
from train.training import TrainSettings

log = logging.getLogger("train")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = TrainSettings()
    parser = argparse.ArgumentParser(prog="python -m train", description=__doc__)
    parser.add_argument(
        "--data", help=f"local MNIST .npz in keras' layout (default: ${DATA_ENV}, else download)"
    )
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default=DEFAULT_ARCH)
    parser.add_argument(
        "--epochs",
        type=int,
        help=f"default {ReaderSettings.epochs} for {LINE_READER}, {defaults.epochs} for the others",
    )
    parser.add_argument(
        "--lines",
        type=int,
        default=ReaderSettings.lines,
        help=f"composed training lines ({LINE_READER} only)",
    )
    parser.add_argument("--batch-size", type=int, help="default 64 (line reader) or 128")
    parser.add_argument("--lr", type=float, default=defaults.learning_rate, help="peak rate")
    parser.add_argument("--val-size", type=int, default=defaults.val_size)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--limit", type=int, help="train on the first N training images only (quick runs, tests)"
    )
    parser.add_argument("--no-augment", action="store_true", help="train on MNIST as it is")
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
    if args.limit is not None and args.limit <= args.val_size:
        parser.error("--limit must be larger than --val-size")
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        data = load_mnist(resolve_data_path(args.data))
    except DataError as exc:
        log.error("error: %s", exc)
        return 2

    command = "python -m train " + shlex.join(sys.argv[1:] if argv is None else argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.arch == LINE_READER:
        from train.reader_run import train_reader_and_report  # deferred: TensorFlow is slow

        reader = ReaderSettings(
            lines=args.lines,
            epochs=args.epochs or ReaderSettings.epochs,
            batch_size=args.batch_size or ReaderSettings.batch_size,
            learning_rate=args.lr,
            val_size=args.val_size,
            seed=args.seed,
        )
        train_reader_and_report(data, reader, args.limit, args.out, command, started)
        return 0

    from train.run import train_and_report  # deferred: TensorFlow takes seconds to import

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
