"""`python -m quantize.validation`: how the int8 line reader in a folder reads validation strings,
read once and as `edge` reads a line (`edge.line_reader.read_digits`).

The strings are composed from the MNIST *training* digits the reader's run held out (the
`--val-size` digits `train.training.split_validation` drew with the run's seed, from its model
card), so a change in how `edge` reads lines is chosen here, never on MNIST's test digits:
black on white and photographed as the test strings are (1-8 digits, gaps -0.15..+0.6 digit
heights), and written touching as training's touching strings are. Exact read-outs, no "?";
and how the strings misread as `edge` reads them were misread (digits left out, read as
another, added: `edge.bench.miss_kinds`).
"""

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.bench import format_miss_kinds, miss_kinds
from edge.ctc import ctc_greedy_labels
from edge.line_reader import read_digits
from edge.model import CARD_FILE, INT8_FILE, MODELS_DIR, LineModel, ModelError, read_card
from edge.native_output import native_output_to_log
from train.data import DataError, mnist_named
from train.desktop_install import desktop_tool_ready
from train.settings import ReaderSettings
from train.strings import CAMERA_EVALUATION, EVALUATION, Digits, StringStyle

log = logging.getLogger("quantize")

# Training's touching strings (every neighbour slid over until strokes meet), photographed.
TOUCHING = StringStyle(
    max_digits=8, touching_share=1.0, close_share=0.0, empty_share=0.0, label_share=0.0
)
KINDS = {"black on white": EVALUATION, "photographed": CAMERA_EVALUATION, "touching": TOUCHING}


@dataclass(frozen=True)
class KindFigures:
    kind: str
    once: float  # exact read-outs, each line read once (greedy CTC)
    as_edge_reads: float  # exact read-outs, read as edge reads a line
    reads_per_line: float  # the reader's runs per line as edge reads (views of unsure lines)
    misreads: list[tuple[str, str]]  # (truth, reading) of each line edge reads wrong


class _CountingReads:
    """A LineModel that counts how often it is run."""

    def __init__(self, model: LineModel):
        self.model = model
        self.reads = 0

    def read(self, image: np.ndarray) -> np.ndarray:
        self.reads += 1
        return self.model.read(image)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m quantize.validation", description=__doc__)
    parser.add_argument(
        "--models",
        type=Path,
        default=MODELS_DIR,
        metavar="DIR",
        help=f"folder with {INT8_FILE} and its model card (default: the bundled edge/models)",
    )
    parser.add_argument(
        "--data", help="MNIST .npz in keras' layout (default: $EDGE_DIGITS_MNIST, else download)"
    )
    parser.add_argument("--lines", type=int, default=3000, help="strings of each kind (3000)")
    parser.add_argument("--seed", type=int, default=777, help="composing seed (777)")
    parser.add_argument(
        "--train-seed",
        type=int,
        help="the run's training seed (default: the one its model card records)",
    )
    parser.add_argument(
        "--val-size",
        type=int,
        default=ReaderSettings().val_size,
        help="training digits the run held out (its --val-size; default %(default)s)",
    )
    return parser.parse_args(argv)


def kind_figures(
    model: LineModel, kind: str, images: list[np.ndarray], truths: list[tuple[int, ...]]
) -> KindFigures:
    """Line images (uint8 `[32, W]`, W a multiple of 4) read once and as edge reads them,
    against their `truths`: exact read-outs, and runs of the reader."""
    counting = _CountingReads(model)
    once = 0
    misreads = []
    for image, truth in zip(images, truths, strict=True):
        once += ctc_greedy_labels(model.read(image)) == truth
        reading = tuple(d.digit for d in read_digits(counting, image))
        if reading != truth:
            misreads.append(("".join(map(str, truth)), "".join(map(str, reading))))
    count = max(1, len(images))
    as_edge = (len(images) - len(misreads)) / count
    return KindFigures(kind, once / count, as_edge, counting.reads / count, misreads)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not desktop_tool_ready("quantize.validation", log):
        return 2
    for flag, value, least in (("--lines", args.lines, 1), ("--val-size", args.val_size, 1)):
        if value < least:
            log.error("error: %s must be at least %d, got %d", flag, least, value)
            return 2
    for flag, value in (("--seed", args.seed), ("--train-seed", args.train_seed)):
        if value is not None and value < 0:
            log.error("error: %s must be 0 or more, got %d", flag, value)
            return 2
    int8_path = args.models / INT8_FILE
    if not (int8_path.is_file() and (args.models / CARD_FILE).is_file()):
        log.error(
            "error: %s holds no %s and %s: pass --models DIR, a folder `python -m quantize` "
            "wrote (the card names the run's training seed, and so its validation digits).",
            args.models,
            INT8_FILE,
            CARD_FILE,
        )
        return 2
    try:
        card = read_card(int8_path)
        model = LineModel(int8_path, threads=1, verify=True)
        data = mnist_named(args.data)
    except (ModelError, DataError) as exc:
        log.error("error: %s", exc)
        return 2
    if args.val_size >= len(data.x_train):
        log.error(
            "error: --val-size %d leaves no training digits of %d; give the run's --val-size",
            args.val_size,
            len(data.x_train),
        )
        return 2
    training = card.get("training")
    recorded = training.get("seed") if isinstance(training, dict) else None
    train_seed = args.train_seed if args.train_seed is not None else recorded
    if not isinstance(train_seed, int):
        log.error(
            "error: %s records no training seed, so its validation digits are unknown; pass "
            "--train-seed N, the --seed its `python -m train` run was given (default 1).",
            args.models / CARD_FILE,
        )
        return 2
    with native_output_to_log(log):  # TensorFlow's import: slow, and prints oneDNN lines
        from quantize.reader import line_input
        from train.reader import make_lines
        from train.training import split_validation
    _, _, x_val, y_val = split_validation(data.x_train, data.y_train, args.val_size, train_seed)
    digits = Digits(x_val, y_val)
    figures = []
    for kind, style in KINDS.items():
        lines = make_lines(digits, args.lines, args.seed, style, what=f"composing {kind} strings")
        images = [line_input(line.image) for line in lines]
        figures.append(kind_figures(model, kind, images, [tuple(ln.labels) for ln in lines]))
    # The figures are the command's output (stdout); progress and errors go to the log (stderr).
    print(
        f"{int8_path} on {args.lines} strings of each kind from the {args.val_size} training "
        f"digits its run held out (training seed {train_seed}, composing seed {args.seed}), "
        "read exactly:"
    )
    print("| strings | read once | as edge reads | reads per line |\n| --- | ---: | ---: | ---: |")
    for f in figures:
        print(f"| {f.kind} | {f.once:.2%} | {f.as_edge_reads:.2%} | {f.reads_per_line:.2f} |")
    print("\nHow the strings misread as edge reads them were misread:")
    for f in figures:
        print(f"- {f.kind}: {format_miss_kinds(miss_kinds(f.misreads))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
