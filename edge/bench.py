"""`python -m edge bench`: the real pipeline on generated scenes, int8 against float, one run;
and with `--real DIR`, the reader on folders of labelled photos.

Scenes (640x480 by default) are generated from MNIST test digits (with `--digits train`, its
training digits: the scenes the finder is tuned on) with a fixed seed, an equal
share of each scene condition (`edge.scenes.CONDITIONS`: plain, digits close or touching,
coloured ink, a card on a table, printed boxes, chalk, dim light, a turned page; `--conditions`
picks some), and written as JPEG files, then replayed through the same pipeline `python -m edge`
runs: per-stage timings (median and p95), digits per second, read time per digit, read-out
accuracy against the scenes' truth overall and per condition, and the peak RSS of a real
`python -m edge` process replaying them.

`--real DIR` reads every labelled photo in DIR as `recognize` does and scores exact read-outs,
the truth taken as ../shared/tools/score_readings.py takes it: from DIR/truth.txt (lines
`FILE DIGITS`) if there is one, else from the file names (`<d>_<source>_<n>.<ext>` holds the
one digit d, `seq-<digits>_<source>_<n>.<ext>` several, in reading order).

`--real-lines DIR` sets each writer's single-digit photos in DIR side by side into lines of 2-5
digits (`edge.real_lines`), at gaps from 0.4 digit heights down to none, and scores the exact
read-outs per gap, and how the misread lines were misread (`miss_kinds`): real strokes,
written close. With `--uneven-sizes SPREAD` each digit is set in a size of its own, their feet
on one line, as people write; with `--rows N`, pages of N such lines one under another, a list
written `--row-pitch` digit heights apart; with `--on-notes`, each line on a sticky note filling
the view, in a pen of any colour, photographed (scored per note colour and per pen too).

What the model under test misread, scenes and photos, is drawn on a contact sheet (`--misreads`).
Long steps show progress bars on a terminal. SIGINT or SIGTERM stops the bench at once, its
temporary scenes removed and its measuring processes stopped.
"""

import argparse
import contextlib
import difflib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
from tqdm import tqdm

from edge.config import ROTATIONS, Settings
from edge.events import Box, FrameResult, Sink, Stats
from edge.ink import MIN_FRAME
from edge.interrupts import signals_held, write_line
from edge.lines import FindSettings
from edge.misread_sheet import MAX_TILES, Misread, write_sheet
from edge.model import LineModel, model_file
from edge.outputs.console import plural
from edge.pipeline import STAGES, DigitReader, Pipeline
from edge.reading import Stabilizer, enclosing, overlap, text_of
from edge.real_lines import LINE_GAPS, real_lines, writers_digits
from edge.recognize import Orient, recognize_file
from edge.scenes import (
    CONDITIONS,
    TALLEST_DIGIT,
    DigitsDoNotFit,
    Scene,
    SceneSettings,
    mixed_scenes,
    sample_digits,
)
from edge.sources import (
    ImageFiles,
    UnreadableFrame,
    announced_as,
    decode_image,
    orientation_of,
)

MNIST_ENV = "EDGE_DIGITS_MNIST"
DEFAULT_SCENES = 200
DIGIT_SETS = {"test": "test set", "train": "training set"}  # --digits: MNIST's two sets
DEFAULT_LINES_PER_WRITER = 20
DEFAULT_PITCH = 1.5  # digit heights from one line's top to the next's on --rows pages
MAX_ROWS = 6  # lines on a --rows page: more do not fit 480 px at 30 px a digit
_LISTED_MISSES = 12  # of a folder's misread lines, printed in the table
JPEG_QUALITY = 95  # what a camera app saves; the scenes carry their own compression already
# A found box is a true digit's when they share half of the smaller one. Not IoU: a "1" is a
# few pixels wide, and a box two pixels narrower than the truth halves its IoU.
MATCH_OVERLAP = 0.5
RSS_FRAMES = 200  # frames the memory run replays: enough to reach the steady state
TRUTH_FILE = "truth.txt"
# The photos ../shared/tools/score_readings.py finds by name, and how it reads their truth.
REAL_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})
_SEQUENCE_NAME = re.compile(r"^seq-(\d+)_")
_DIGIT_NAME = re.compile(r"^(\d)_")
# Outside the working directory, which may be a checkout or the service's; the path is printed.
DEFAULT_MISREADS = Path(tempfile.gettempdir()) / "edge-bench-misreads.png"


class Readout(NamedTuple):
    """What was read from a scene: its text, each digit's box and value, and why nothing was
    read when nothing was."""

    text: str
    found: list[tuple[Box, int | None]]
    empty_reason: str | None = None


class BenchError(Exception):
    """The bench cannot run (unreadable digits file, bad option); the message says what to do."""


def condition_list(text: str) -> tuple[str, ...]:
    """`--conditions`: scene conditions, comma-separated ("all" for every one)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        return tuple(CONDITIONS)
    unknown = [name for name in names if name not in CONDITIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown condition {', '.join(unknown) or repr(text)}: "
            f"choose from all, {', '.join(CONDITIONS)}"
        )
    return tuple(dict.fromkeys(names))


def whole_number(least: int, what: str) -> Callable[[str], int]:
    """An argparse `type`: a whole number, `least` or more; its errors name `what` ("a seed"),
    and argparse shows them with the command's own usage."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} is a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{what} is {least} or more, got {value}")
        return value

    return parse


seed_number = whole_number(0, "a seed")  # `--seed`: numpy's generators take no negative seed


def pixel_range(text: str) -> tuple[int, int]:
    """`--digit-height`: "LOW-HIGH" px (or one height, "N"), whole numbers, LOW <= HIGH, and
    LOW at least the finder's `FindSettings.min_height` (10 px): smaller writing is never
    looked for, and the scenes draw digits of a few px with no ink at all."""
    low, _, high = text.partition("-")
    try:
        heights = int(low), int(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a height in px, or a range LOW-HIGH such as 14-22, got {text!r}"
        ) from None
    if not 1 <= heights[0] <= heights[1]:
        raise argparse.ArgumentTypeError(f"need 1 <= LOW <= HIGH px, got {text!r}")
    least = FindSettings().min_height
    if heights[0] < least:
        raise argparse.ArgumentTypeError(
            f"digits under {least} px tall are never read (the finder looks for writing "
            f"{least} px tall or more): need LOW >= {least}, got {text!r}"
        )
    return heights


def scene_settings(
    width: int, height: int, digit_height: tuple[int, int] | None, ruled: bool = False
) -> SceneSettings:
    """The scenes' settings for `--width`, `--height`, `--digit-height` (px, or None for the
    default: 0.085-0.23 of the height, 41-110 px at 480 rows) and `--ruled` (every page
    without printed boxes or a grid ruled, not half of them); BenchError naming the options
    for sizes that leave no room."""
    options = f"--width {width} --height {height}"
    rules_prob = 1.0 if ruled else SceneSettings.rules_prob
    try:
        if digit_height is None:
            return SceneSettings(width=width, height=height, rules_prob=rules_prob)
        low, high = digit_height
        options += f" --digit-height {low}-{high}"
        if high > TALLEST_DIGIT * height:
            raise ValueError(
                f"digits at most {int(TALLEST_DIGIT * height)} px tall fit two rows in "
                f"{height} rows; ask for smaller ones, or a bigger --height"
            )
        tall = (low / height, high / height)
        return SceneSettings(width=width, height=height, digit_height=tall, rules_prob=rules_prob)
    except ValueError as exc:
        raise BenchError(f"{options}: {exc}") from None


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenes",
        type=whole_number(1, "a scene count"),
        help=f"how many scenes (default {DEFAULT_SCENES}; with --real or --real-lines, no scenes "
        "unless given)",
    )
    parser.add_argument(
        "--conditions",
        type=condition_list,
        default=tuple(CONDITIONS),
        metavar="NAME[,NAME...]",
        help="scene conditions, an equal share of the scenes each (default: all): "
        # argparse formats help with %: a description's own "%" must be doubled.
        + "; ".join(f"{name}: {what}" for name, what in CONDITIONS.items()).replace("%", "%%"),
    )
    parser.add_argument(
        "--seed",
        type=seed_number,
        default=0,
        help="seed of the scenes and of --real-lines' lines (default 0)",
    )
    parser.add_argument("--width", type=int, default=640, help="scene width (default 640)")
    parser.add_argument("--height", type=int, default=480, help="scene height (default 480)")
    parser.add_argument(
        "--digit-height",
        type=pixel_range,
        metavar="LOW-HIGH",
        help="how tall the scenes' digits are, px (default 0.085-0.23 of --height: 41-110 at "
        "480 rows); e.g. 14-22 for a page seen from afar",
    )
    parser.add_argument(
        "--ruled",
        action="store_true",
        help="rule every page that has no printed boxes or grid (by default half of them are "
        "ruled); e.g. with --conditions plain --digit-height 14-22: small digits on ruled paper",
    )
    parser.add_argument(
        "--data",
        help=f"MNIST .npz (keras' layout) whose digits (--digits) the scenes show "
        f"(default: ${MNIST_ENV}, else the bundled sample of test digits)",
    )
    parser.add_argument(
        "--digits",
        choices=DIGIT_SETS,
        default="test",
        help="which of MNIST's digits the scenes show: test (default; the figures issue #11 "
        "asks for) or train (scenes to tune the finder on, which never sees the test digits; "
        "needs --data)",
    )
    parser.add_argument(
        "--float-model",
        type=Path,
        metavar="PATH",
        help="the float model to compare the int8 one with (default: the one `python -m "
        "quantize` wrote beside it, named with float for int8, as digits_float.tflite beside "
        "digits_int8.tflite; without one the float columns are left out)",
    )
    parser.add_argument(
        "--misreads",
        type=Path,
        default=DEFAULT_MISREADS,
        metavar="PNG",
        help=f"where to draw the scenes and photos the model misread, the first {MAX_TILES} "
        "(default: %(default)s; with nothing misread, a sheet there is removed)",
    )
    parser.add_argument(
        "--real",
        action="append",
        type=Path,
        metavar="DIR",
        help=f"score the labelled photos in DIR as `recognize` reads them (truth from "
        f"DIR/{TRUTH_FILE}, else from names like 4_me_1.jpg or seq-4071_me_1.jpg); repeatable",
    )
    parser.add_argument(
        "--long-side",
        type=int,
        metavar="PX",
        help="--real: make each photo PX px on its long side first (area averaging), as a "
        "thumbnail, a crop or a page seen from afar has it; a smaller photo is left as it is",
    )
    parser.add_argument(
        "--real-lines",
        action="append",
        type=Path,
        metavar="DIR",
        help="read lines of 2-5 digits set together from each writer's single-digit photos in "
        "DIR (named <digit>_<writer>_<n>.jpg), their ink "
        + ", ".join(map(str, LINE_GAPS))
        + " digit heights apart; repeatable",
    )
    parser.add_argument(
        "--uneven-sizes",
        type=float,
        metavar="SPREAD",
        help="--real-lines: set each digit in a size of its own, 1 - SPREAD to 1 + SPREAD "
        "times the line's (e.g. 0.25), their feet on one line (default: one size)",
    )
    parser.add_argument(
        "--rows",
        type=int,
        metavar="N",
        help="--real-lines: set N lines one under another on each page, as a list is written, "
        "and score each page's read-out, line after line (default 1)",
    )
    parser.add_argument(
        "--row-pitch",
        type=float,
        metavar="HEIGHTS",
        help=f"--rows: digit heights from one line's top to the next's (default {DEFAULT_PITCH}; "
        "1 is lines touching)",
    )
    parser.add_argument(
        "--on-notes",
        action="store_true",
        default=None,
        help="--real-lines: write each line on a sticky note filling the view (yellow, pink, "
        "blue, green or orange), in a black, blue, red or green pen or a pencil, photographed "
        "as the scenes are, and score it per note colour and per pen too",
    )
    parser.add_argument(
        "--lines-per-writer",
        type=int,
        metavar="N",
        help=f"--real-lines: lines of each writer at each gap (default {DEFAULT_LINES_PER_WRITER})",
    )
    parser.add_argument(
        "--rotation", type=int, choices=ROTATIONS, help="turn each --real photo clockwise (degrees)"
    )
    for flag, how in (("hflip", "left-right"), ("vflip", "top-bottom")):
        parser.add_argument(
            f"--{flag}",
            action=argparse.BooleanOptionalAction,
            help=f"mirror each --real photo {how} (--no-{flag}: not, whatever the config says)",
        )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


@dataclass
class _Recorder(Sink):
    """A sink that keeps what the bench measures: each frame's timings, text and digits.

    Readings are what a person sees; the bench judges every frame instead.
    """

    progress: tqdm
    frames: dict[int, FrameResult] = field(default_factory=dict)

    def on_frame(self, result: FrameResult, stats: Stats) -> None:
        self.frames[result.index] = result
        self.progress.update()


def bench(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bench and print its table (or JSON); 0 when it ran.

    With --real or --real-lines the scenes run only when --scenes is given too, so scoring
    photos is quick.
    A signal (edge.interrupts) unwinds it: its folder of scenes goes with the `with` that made
    it, its measuring processes with `_peak_rss_mb`."""
    folders = list(args.real or [])
    line_folders = list(args.real_lines or [])
    if args.long_side is not None and not folders:
        raise BenchError("--long-side is for --real DIR: give a folder too")
    if args.long_side is not None and args.long_side < MIN_FRAME:
        raise BenchError(
            f"--long-side must be at least {MIN_FRAME} px (a smaller picture holds no digit "
            f"one can read), got {args.long_side}"
        )
    mounted = [
        f"--{flag}" for flag in ("rotation", "hflip", "vflip") if getattr(args, flag) is not None
    ]
    if mounted and not folders:
        # The scenes are drawn upright; only photos are taken with the camera mounted so.
        one = len(mounted) == 1
        upright = "--real-lines' lines are set" if line_folders else "the scenes are drawn"
        raise BenchError(
            f"{' and '.join(mounted)} {'is' if one else 'are'} for the photos of --real DIR "
            f"(taken with the camera mounted so); {upright} upright: give --real DIR, or leave "
            f"out {' and '.join(mounted)}"
        )
    truths = [real_truths(folder) for folder in folders]  # a bad folder stops it before work
    for option in ("lines_per_writer", "uneven_sizes", "rows", "on_notes"):
        if getattr(args, option) is not None and not line_folders:
            flag = "--" + option.replace("_", "-")
            raise BenchError(f"{flag} is for --real-lines DIR: give a folder too")
    per_writer = args.lines_per_writer
    per_writer = DEFAULT_LINES_PER_WRITER if per_writer is None else per_writer
    if per_writer < 1:
        raise BenchError(f"--lines-per-writer must be at least 1, got {per_writer}")
    uneven = 0.0 if args.uneven_sizes is None else args.uneven_sizes
    if not 0.0 <= uneven < 1.0:  # (a digit 0 px tall, or twice the line's, is no line's)
        raise BenchError(f"--uneven-sizes is a spread from 0 up to (not) 1, got {uneven}")
    rows, pitch = args.rows, args.row_pitch
    if pitch is not None and (rows is None or rows < 2):
        raise BenchError("--row-pitch is for pages of several lines: give --rows 2 or more too")
    rows = 1 if rows is None else rows
    pitch = DEFAULT_PITCH if pitch is None else pitch
    if not 1 <= rows <= MAX_ROWS:
        raise BenchError(f"--rows is 1 to {MAX_ROWS} lines a page, got {rows}")
    if not 1.0 <= pitch <= 4.0:  # (under 1, lines lie across each other)
        raise BenchError(f"--row-pitch is 1 to 4 digit heights, got {pitch}")
    for folder in line_folders:  # a bad folder stops it before work
        _check_folder(folder, "--real-lines")
    if args.misreads.suffix.lower() != ".png":
        raise BenchError(
            f"--misreads {args.misreads}: the contact sheet is a PNG; end its name in .png"
        )
    report: dict[str, Any] = {}
    misreads: list[Misread] = []
    if args.scenes is not None or not (folders or line_folders):
        scenes_report, misreads = scene_bench(args, settings)
        report.update(scenes_report)
    if folders:
        report["real"], photo_misreads = real_bench(folders, truths, settings, args.long_side)
        misreads += photo_misreads
    if line_folders:
        report["real_lines"], line_misreads = real_lines_bench(
            line_folders, settings, per_writer, args.seed, uneven, rows, pitch, bool(args.on_notes)
        )
        misreads += line_misreads
    report["misread_sheet"] = draw_misreads(misreads, report, args.misreads)
    # A closed stdout (`| head`) ends the bench quietly, as it does run and recognize.
    write_line(sys.stdout, json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def scene_bench(
    args: argparse.Namespace, settings: Settings
) -> tuple[dict[str, Any], list[Misread]]:
    """Generated scenes through the int8 and the float model: timings, memory, accuracy; and
    the scenes the int8 model misread."""
    # The digits first: a missing or wrong MNIST file is told before the scenes' count is.
    images, labels, digit_source = bench_digits(args.data, args.digits)
    count = DEFAULT_SCENES if args.scenes is None else args.scenes
    conditions = [c for c in CONDITIONS if c in args.conditions]
    if count < len(conditions):
        fewer = " or fewer --conditions" if len(conditions) > 1 else ""
        raise BenchError(
            f"--scenes {count} cannot give each of {len(conditions)} conditions a scene; "
            f"pass --scenes {len(conditions)} or more{fewer}"
        )
    int8_path = model_file(settings.model)
    # (Loaded first: a model that cannot be read stops the bench before the scenes are made.)
    tested = LineModel(int8_path, settings.model.threads, settings.model.verify)
    quantized = tested.quantized
    float_path = args.float_model or (float_beside(int8_path) if quantized else None)
    if not quantized and float_path is None:
        print(
            f"edge: {int8_path} is a float model, not int8: it is benched alone, in columns "
            "headed float; --float-model PATH names another to compare it with",
            file=sys.stderr,
        )
    elif float_path is None:
        print(
            f"edge: no float model to compare {int8_path} with ({_no_float(int8_path)}): "
            "the float columns are left out; --float-model PATH names one",
            file=sys.stderr,
        )
    settings_of_scenes = scene_settings(args.width, args.height, args.digit_height, args.ruled)
    rng = np.random.default_rng(args.seed)
    with _elapsed(f"making {count} scenes"):
        try:
            scenes = mixed_scenes(images, labels, rng, count, conditions, settings_of_scenes)
        except DigitsDoNotFit as exc:
            raise BenchError(
                f"the scenes could not be made ({exc}): bench a bigger --width and --height"
            ) from None
    report: dict[str, Any] = {
        "scenes": len(scenes),
        "digits": sum(len(s.labels) for s in scenes),
        "conditions": {c: sum(s.condition == c for s in scenes) for c in conditions},
        "digit_source": digit_source,
        "frame_size": [args.width, args.height],
        "digit_height_px": [round(side * args.height) for side in settings_of_scenes.digit_height],
        "ruled_pages": settings_of_scenes.rules_prob,
        "threads": settings.model.threads,
        "seed": args.seed,
        "models": {},
    }
    models = {"int8": int8_path} | ({"float": float_path} if float_path else {})
    readouts: dict[str, list[Readout | None]] = {}
    with tempfile.TemporaryDirectory(prefix="edge-bench-") as folder:
        paths = _write_scenes(scenes, Path(folder))
        for kind, path in models.items():
            model = (
                tested
                if kind == "int8"
                else LineModel(path, settings.model.threads, settings.model.verify)
            )
            reader = DigitReader(
                model, settings.reading.confidence, FindSettings(ink=settings.reading.ink)
            )
            figures, readouts[kind] = _replay(paths, scenes, reader, kind)
            figures["peak_rss_mb"] = _peak_rss_mb(Path(folder), path, settings, args.config, kind)
            report["models"][kind] = {"model": str(path), "quantized": model.quantized, **figures}
    report["opencv_threads"] = cv2.getNumThreads()  # as the pipeline set it for its frames
    if float_path:
        int8, float_ = report["models"]["int8"], report["models"]["float"]
        ratio = int8["read_us_per_digit"] / float_["read_us_per_digit"]
        report["int8_read_vs_float"] = round(ratio, 3)
    elif quantized:
        report["no_float_model"] = _no_float(int8_path)
    return report, scene_misreads(scenes, readouts["int8"])


def float_beside(int8_path: Path) -> Path | None:
    """The float model `python -m quantize` wrote next to an int8 one (it names them
    digits_int8.tflite and digits_float.tflite), None when there is none."""
    partner = _float_name(int8_path)
    return partner if partner and partner.is_file() else None


def _float_name(int8_path: Path) -> Path | None:
    """The int8 model's name with float for its last "int8"; None when it has none."""
    head, int8, tail = int8_path.name.rpartition("int8")
    return int8_path.with_name(f"{head}float{tail}") if int8 else None


def _no_float(int8_path: Path) -> str:
    """Why there is no float model to compare `int8_path` with, in a few words."""
    partner = _float_name(int8_path)
    if partner is None:
        return "its name has no int8 to find a float one by"
    return f"no {partner.name} beside it"


@contextlib.contextmanager
def _elapsed(what: str) -> Iterator[None]:
    """On a terminal, `what` with the seconds it has taken so far, for work that counts no
    steps; nothing elsewhere."""
    line = tqdm(desc=what, bar_format="{desc}: {elapsed}", disable=None)
    done = threading.Event()

    def tick() -> None:
        while not done.wait(0.5):
            line.refresh()

    ticker = threading.Thread(target=tick, daemon=True)
    if not line.disable:
        ticker.start()
    try:
        yield
    finally:
        done.set()
        if ticker.is_alive():
            ticker.join()
        line.close()


def bench_digits(data: str | None, split: str = "test") -> tuple[np.ndarray, np.ndarray, str]:
    """Digits (uint8 [N, 28, 28], white on black) and labels to write scenes with, and where
    they came from.

    MNIST's test set, or with `split` "train" its training set, when given (--data or
    $EDGE_DIGITS_MNIST); else the bundled sample of test digits, so the bench also runs on a Pi
    without the dataset. Raises BenchError for a file that is not MNIST, or for training
    digits asked for without one.
    """
    path = data or os.environ.get(MNIST_ENV)
    if not path:
        if split != "test":
            raise BenchError(
                f"--digits {split} needs MNIST: pass --data PATH or set ${MNIST_ENV} (the "
                "bundled sample holds test digits only)."
            )
        images, labels = sample_digits()
        return images, labels, f"bundled sample ({len(images)} MNIST test digits)"
    named_by = "--data" if data else f"${MNIST_ENV}"
    # The bundled sample stands in for test digits only.
    fallback = ""
    if split == "test":
        leave_out = "leave out --data" if data else f"unset ${MNIST_ENV}"
        fallback = f" (or {leave_out} to use the bundled sample)"
    if not Path(path).is_file():
        problem = "is not a file" if Path(path).exists() else "does not exist"
        raise BenchError(
            f"{path} ({named_by}) {problem}: name MNIST's mnist.npz, in keras' layout{fallback}."
        )
    if not zipfile.is_zipfile(path):  # (numpy's own words for a PNG would be of pickles)
        announced = announced_as(Path(path))
        what = f"by its first bytes it is {announced}" if announced else "it is no zip archive"
        raise BenchError(
            f"{path} ({named_by}) is not an MNIST .npz: {what}; "
            f"name MNIST's mnist.npz, in keras' layout{fallback}."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            images, labels = npz[f"x_{split}"], npz[f"y_{split}"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise BenchError(
            f"{path} ({named_by}) is not an MNIST .npz with x_{split} and y_{split} ({exc}): "
            f"name MNIST's mnist.npz, in keras' layout{fallback}."
        ) from exc
    return images, labels, f"MNIST {DIGIT_SETS[split]} ({path})"


def _write_scenes(scenes: list[Scene], folder: Path) -> list[Path]:
    paths = []
    for index, scene in enumerate(tqdm(scenes, "writing scenes", unit=" scenes", disable=None)):
        path = folder / f"scene-{index:05d}.jpg"
        cv2.imwrite(str(path), scene.frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        paths.append(path)
    return paths


def _replay(
    paths: list[Path], scenes: list[Scene], reader: DigitReader, kind: str
) -> tuple[dict[str, Any], list[Readout | None]]:
    """Every scene once through the real pipeline; timing and accuracy figures, and what was
    read from each scene (None where the frame failed)."""
    stats = Stats(model=reader.model.name, quantized=reader.model.quantized)
    source = ImageFiles(paths, pace_fps=None, loop=False)
    with tqdm(total=len(paths), desc=f"{kind}: reading", unit=" scenes", disable=None) as bar:
        recorder = _Recorder(bar)
        Pipeline(source, reader, Stabilizer(1), [recorder], stats).run()
    results = list(recorder.frames.values())
    stage_ms = np.array([[r.timings_ms[stage] for stage in STAGES] for r in results])
    timings = {stage: stage_ms[:, i] for i, stage in enumerate(STAGES)}
    timings["processing"] = timings["total"] - timings["capture"]  # without file decoding
    classified = sum(len(r.digits) for r in results)
    readouts = [_readout(recorder.frames.get(i)) for i in range(len(scenes))]
    figures = {
        "stage_ms": {
            stage: {
                "median": round(float(np.median(ms)), 3),
                "p95": round(float(np.percentile(ms, 95)), 3),
            }
            for stage, ms in timings.items()
        },
        "digits_per_second": round(classified / (timings["total"].sum() / 1000), 1),
        "read_us_per_digit": round(timings["read"].sum() * 1000 / max(classified, 1), 2),
        "failed_frames": stats.failed_frames,
        **accuracy(scenes, readouts),
        "by_condition": accuracy_by_condition(scenes, readouts),
    }
    return figures, readouts


def accuracy(scenes: list[Scene], readouts: list[Readout | None]) -> dict[str, Any]:
    """Exact read-outs over scenes, and true digits found (boxes overlap) and read right.

    `readouts[i]` is what was read from `scenes[i]`, None when that frame failed.
    """
    exact = 0
    correct = 0
    for scene, readout in zip(scenes, readouts, strict=True):
        if readout is None:
            continue
        text, found = readout[0], list(readout[1])
        exact += text == scene.text
        for box, label in zip(scene.boxes, scene.labels, strict=True):
            match = max(found, key=lambda f: overlap(box, f[0]), default=None)
            if match is not None and overlap(box, match[0]) >= MATCH_OVERLAP:
                correct += match[1] == label
                found.remove(match)
    digits = sum(len(s.labels) for s in scenes)
    return {
        "exact_readout": round(exact / len(scenes), 4),
        "exact_readouts": exact,
        "per_digit": round(correct / max(digits, 1), 4),
        "correct_digits": correct,
    }


def accuracy_by_condition(
    scenes: list[Scene], readouts: list[Readout | None]
) -> dict[str, dict[str, Any]]:
    """`accuracy` over each condition's scenes (in CONDITIONS order), with their counts."""
    groups: dict[str, tuple[list[Scene], list[Readout | None]]] = {}
    for scene, readout in zip(scenes, readouts, strict=True):
        own_scenes, own_readouts = groups.setdefault(scene.condition, ([], []))
        own_scenes.append(scene)
        own_readouts.append(readout)
    known = list(CONDITIONS)
    order = sorted(groups, key=lambda c: known.index(c) if c in known else len(known))
    return {
        condition: {
            "scenes": len(groups[condition][0]),
            "digits": sum(len(s.labels) for s in groups[condition][0]),
            **accuracy(*groups[condition]),
        }
        for condition in order
    }


def _readout(result: FrameResult | None) -> Readout | None:
    if result is None:
        return None
    digits = result.source_digits()  # a large scene is decoded reduced; its truth is not
    return Readout(result.text, [(d.box, d.digit) for d in digits], result.empty_reason)


def _peak_rss_mb(
    folder: Path, model: Path, settings: Settings, config: str | None, kind: str
) -> float:
    """Peak resident memory of `python -m edge` replaying the scenes, as the kernel counted it."""
    command = [
        sys.executable, "-m", "edge", "--source", str(folder), "--model", str(model),
        "--threads", str(settings.model.threads), "--json", "--max-frames", str(RSS_FRAMES),
    ]  # fmt: skip
    if config:
        command += ["--config", config]
    if not settings.model.verify:
        command.append("--no-verify")
    # Through edge.peak_rss: started from this process, the figure would be the bench's own.
    # In a process group of its own, so that it and the command it runs stop with the bench.
    measuring = None
    try:
        with signals_held():  # an interrupt inside Popen would leave its child running, unheld
            measuring = subprocess.Popen(
                [sys.executable, "-m", "edge.peak_rss", *command],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        with _elapsed(f"{kind}: peak memory of python -m edge"):
            out, err = measuring.communicate()
    except BaseException:  # an interrupt above all
        if measuring is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(measuring.pid, signal.SIGKILL)  # its output is of no use now
            measuring.communicate()
        raise
    if measuring.returncode != 0:
        raise BenchError(f"`{' '.join(command)}` failed ({measuring.returncode}): {err.strip()}")
    return round(int(out) / 1024, 1)


def format_table(report: dict[str, Any]) -> str:
    """The report as a table a person reads: one column per model."""
    models = report["models"]
    kinds = list(models)
    # Each column headed by what its model is (`--model` may name a float one), or by the
    # part it plays when both are alike.
    kinds_of = {kind: "int8" if models[kind]["quantized"] else "float" for kind in kinds}
    heads = dict(kinds_of)
    if len(set(heads.values())) < len(heads):
        heads = {"int8": "tested", "float": "other"}
    rows = [
        f"edge-digits bench: {plural(report['scenes'], 'scene')} "
        f"({plural(report['digits'], 'digit')}), "
        f"{report['frame_size'][0]}x{report['frame_size'][1]}, digits "
        f"{report['digit_height_px'][0]}-{report['digit_height_px'][1]} px tall, "
        f"{report['threads']} interpreter "
        f"thread(s), {report['opencv_threads']} OpenCV thread(s), seed {report['seed']}, "
        f"digits from the {report['digit_source']}",
        *(
            f"  {heads[kind]}: {models[kind]['model']}"
            + (f" ({kinds_of[kind]})" if heads[kind] != kinds_of[kind] else "")
            for kind in kinds
        ),
        *([f"  float: none, {report['no_float_model']}"] if "no_float_model" in report else []),
        f"{'':32}" + "".join(f"{heads[kind] + ' median':>14}{'p95':>9}" for kind in kinds),
    ]
    labels = {
        "capture": "capture/decode ms",
        "find": "find lines ms",
        "read": "read lines ms",
        "processing": "processing ms (no decode)",
        "total": "total per frame ms",
    }
    for stage, label in labels.items():
        cells = "".join(
            f"{models[k]['stage_ms'][stage]['median']:>14.3f}"
            f"{models[k]['stage_ms'][stage]['p95']:>9.3f}"
            for k in kinds
        )
        rows.append(f"{label:32}{cells}")

    def row(label: str, key: str, spec: str) -> str:
        return f"{label:32}" + "".join(f"{models[k][key]:>14{spec}}{'':9}" for k in kinds)

    rows += [
        row("digits per second", "digits_per_second", ".1f"),
        row("read us per digit", "read_us_per_digit", ".2f"),
        row("peak RSS of python -m edge, MB", "peak_rss_mb", ".1f"),
        row("exact read-out", "exact_readout", ".2%"),
        row("per digit", "per_digit", ".2%"),
        row("failed frames", "failed_frames", "d"),
        *(
            [f"int8 read time / float: {report['int8_read_vs_float']:.3f}"]
            if "int8_read_vs_float" in report and list(heads.values()) == ["int8", "float"]
            else []
        ),
        "",
        f"{'per condition':32}"
        + "".join(f"{heads[kind] + ' exact':>14}{'digit':>9}" for kind in kinds),
    ]
    for condition, count in report["conditions"].items():
        figures = [models[k]["by_condition"][condition] for k in kinds]
        label = f"{condition} ({count}, {plural(figures[0]['digits'], 'digit')})"
        cells = "".join(f"{f['exact_readout']:>14.2%}{f['per_digit']:>9.2%}" for f in figures)
        rows.append(f"{label:32}{cells}")
    return "\n".join(line.rstrip() for line in rows)


def format_report(report: dict[str, Any]) -> str:
    """The scene table, the real photos' figures, or both."""
    parts = [format_table(report)] if "models" in report else []
    if "real" in report:
        parts.append(format_real(report["real"]))
    if "real_lines" in report:
        parts.append(format_real_lines(report["real_lines"]))
    sheet = report["misread_sheet"]
    if sheet["path"]:
        first = f"the first {sheet['tiles']} " if sheet["tiles"] < sheet["misread"] else ""
        parts.append(f"misread: {sheet['misread']}, {first}drawn in {sheet['path']}")
    else:
        parts.append(f"misread: {sheet['misread'] or 'none'}, {sheet.get('error', 'no sheet')}")
    return "\n\n".join(parts)


def format_real(real: dict[str, Any]) -> str:
    """Each folder's exact read-outs, misses per digit class, and every miss."""
    mounting = real["mounting"]
    turned = [f"turned {mounting['rotation']} degrees"] * bool(mounting["rotation"])
    turned += ["mirrored left-right"] * mounting["hflip"] + ["mirrored top-bottom"] * mounting[
        "vflip"
    ]
    if real.get("long_side"):
        turned.append(f"made {real['long_side']} px on the long side")
    rows = [
        f"real photos, read as `recognize` reads them: {real['model']}"
        + "".join(f", {t}" for t in turned)
    ]
    for folder in real["folders"]:
        kinds = [
            f"{kind}-digit {f['right']}/{f['of']} = {f['exact']:.1%}"
            for kind in ("single", "multi")
            if (f := folder.get(kind))
        ]
        rows.append(
            f"{folder['folder']}: {plural(folder['photos'], 'photo')}, exact read-out "
            + ", ".join(kinds)
        )
        classes = folder["per_class"]
        rows.append(
            "  digits missed by class: "
            + ", ".join(f"{d}: {c['missed']}/{c['digits']}" for d, c in classes.items())
        )
        if folder["misses"]:
            rows.append(f"  misses ({len(folder['misses'])}): file, truth, reading, why")
        for miss in folder["misses"]:
            reading = "(unreadable)" if miss["reading"] is None else repr(miss["reading"])
            why = miss.get("error") or miss.get("empty_reason") or ""
            if "unsure" in miss:
                why = f"unsure {miss['unsure']:.2f}"
            rows.append(f"    {miss['file']}  {miss['truth']}  {reading}  {why}".rstrip())
    return "\n".join(rows)


def format_real_lines(real_lines: dict[str, Any]) -> str:
    """Each folder's lines read exactly, per gap, and the first misses."""
    sizes = ""
    if real_lines.get("uneven_sizes"):
        spread = real_lines["uneven_sizes"]
        sizes = f", each digit {1 - spread:g}-{1 + spread:g} times the line's size"
    if real_lines.get("rows", 1) > 1:
        sizes += f", pages of {real_lines['rows']} lines {real_lines['row_pitch']:g} heights apart"
    if real_lines.get("on_notes"):
        sizes += ", on sticky notes filling the view, photographed"
    rows = [
        f"lines set from single-digit photos (edge.real_lines, seed {real_lines['seed']}{sizes}), "
        f"read as frames: {real_lines['model']}"
    ]
    for folder in real_lines["folders"]:
        rows.append(
            f"{folder['folder']}: {plural(folder['writers'], 'writer')}, "
            f"{plural(folder['lines'], 'line')}, exact read-out {folder['exact']:.1%}"
        )
        for key, by in (
            ("per_gap", "gap (digit heights)"),
            ("per_note", "note"),
            ("per_pen", "pen"),
        ):
            if key in folder:
                rows.append(
                    f"  by {by}: "
                    + ", ".join(
                        f"{name}: {f['right']}/{f['of']} = {f['exact']:.1%}"
                        for name, f in folder[key].items()
                    )
                )
        if folder["misses"]:
            rows.append(f"  how: {format_miss_kinds(folder['miss_kinds'])}")
        shown = folder["misses"][:_LISTED_MISSES]
        if shown:
            rows.append(
                f"  misses ({len(folder['misses'])}, the first {len(shown)}): "
                + ", ".join(
                    f"{m['truth']} read {m['reading']!r} ({m['writer']}, {m['gap']}"
                    + ("".join(f", {what}" for what in m["note"]) if "note" in m else "")
                    + ")"
                    for m in shown
                )
            )
        for name, why in folder["left_out"].items():
            rows.append(f"  left out: {name}: {why}")
    return "\n".join(rows)


def miss_kinds(misreads: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """How lines were misread, from (truth, reading) pairs: lines with a '?' (`unsure`), and
    in the others the digits left out, added and read as another ("9>1": a 9 read as 1), each
    with its count, commonest first. The reading is lined up with the truth as `--real`'s
    per-class misses are (`_lined_up`); a stretch of one length read as another of a
    different length counts as its digits left out and the reading's added."""
    unsure = 0
    left_out: Counter[str] = Counter()
    added: Counter[str] = Counter()
    read_as: Counter[str] = Counter()
    for truth, reading in misreads:
        if "?" in reading:
            unsure += 1
            continue
        for op, t1, t2, r1, r2 in _lined_up(truth, reading):
            if op == "replace" and t2 - t1 == r2 - r1:
                pairs = zip(truth[t1:t2], reading[r1:r2], strict=True)
                read_as.update(f"{a}>{b}" for a, b in pairs)
            elif op != "equal":
                left_out.update(truth[t1:t2])
                added.update(reading[r1:r2])
    return {
        "unsure": unsure,
        "left_out": dict(left_out.most_common()),
        "added": dict(added.most_common()),
        "read_as": dict(read_as.most_common()),
    }


def format_miss_kinds(kinds: dict[str, Any]) -> str:
    """One line for `miss_kinds`: "3 lines with a '?'; digits left out: 19 (1 x8, ...); read
    as another: ...; added: ...", each kind's total and its commonest five."""
    return (
        f"{plural(kinds['unsure'], 'line')} with a '?'; digits left out: "
        f"{_tally(kinds['left_out'])}; read as another: {_tally(kinds['read_as'])}; "
        f"added: {_tally(kinds['added'])}"
    )


def _tally(counts: dict[str, int]) -> str:
    """`{"1": 33, "6": 2}` -> "35 (1 x33, 6 x2)" (the total, the commonest five), or "none"."""
    shown = [f"{what} x{count}" for what, count in list(counts.items())[:5]]
    return f"{sum(counts.values())} ({', '.join(shown)})" if shown else "none"


def _check_folder(folder: Path, flag: str) -> None:
    """BenchError unless `folder`, given to `flag`, is a folder."""
    if not folder.is_dir():
        what = "a file, not a folder" if folder.exists() else "no such folder"
        raise BenchError(f"{flag} {folder}: {what}")


def real_truths(folder: Path) -> dict[str, str]:
    """File name -> the digits it shows, for the labelled photos in `folder`: from its
    truth.txt (lines `FILE DIGITS`) if there is one, else from the names, as
    ../shared/tools/score_readings.py reads them.

    truth.txt is UTF-8, with or without the byte-order mark Windows editors write; a name may
    hold spaces (the digits are the last field), `#` starts a comment line. Raises BenchError
    for a line that is not `FILE DIGITS`. A listed file that is not there is a photo not read,
    as score_readings.py scores it."""
    _check_folder(folder, "--real")
    listed = folder / TRUTH_FILE
    if listed.is_file():
        try:
            lines = listed.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise BenchError(f"{listed} cannot be read ({exc}): save it as UTF-8 text") from exc
        truth = {}
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split()
            if len(fields) > 2 and (folder / line.strip().rsplit(maxsplit=1)[0]).exists():
                fields = line.strip().rsplit(maxsplit=1)  # a name with spaces in it
            if len(fields) != 2 or not re.fullmatch(r"[0-9]+", fields[1]):
                raise BenchError(f"{listed}, line {number}: expected `FILE DIGITS`, got {line!r}")
            truth[fields[0]] = fields[1]
    else:
        truth = {}
        for path in sorted(folder.iterdir()):
            match = _SEQUENCE_NAME.match(path.name) or _DIGIT_NAME.match(path.name)
            if match and path.suffix.lower() in REAL_SUFFIXES:
                truth[path.name] = match.group(1)
    if not truth:
        raise BenchError(
            f"no labelled images in {folder}: give it a {TRUTH_FILE} (lines `FILE DIGITS`) or "
            "name the photos <digit>_<source>_<n>.jpg or seq-<digits>_<source>_<n>.jpg"
        )
    unlabelled = sorted(
        path.name
        for path in folder.iterdir()
        if path.suffix.lower() in REAL_SUFFIXES and path.name not in truth and path.is_file()
    )
    if unlabelled:
        how = f"not in its {TRUTH_FILE}" if listed.is_file() else "with no digits in their names"
        shown = ", ".join(unlabelled[:5]) + (", ..." if len(unlabelled) > 5 else "")
        print(
            f"edge: {len(unlabelled)} image(s) in {folder} {how} are left out: {shown}",
            file=sys.stderr,
        )
    return truth


def real_bench(
    folders: list[Path],
    truths: list[dict[str, str]],
    settings: Settings,
    long_side: int | None = None,
) -> tuple[dict[str, Any], list[Misread]]:
    """Every labelled photo through the reader `recognize` builds from `settings` (the model,
    confidence, ink, and the camera's mounting applied to each photo), made `long_side` px on
    its long side first when given (`made_small`); and the misread ones."""
    path, model, reader = _settings_reader(settings)
    upright = orientation_of(settings.source)
    if long_side is not None:
        upright = made_small(upright, long_side)
    max_pixels = settings.source.max_pixels
    scored, misreads = [], []
    for folder, truth in zip(folders, truths, strict=True):
        names = tqdm(truth, f"reading {folder}", unit=" photos", disable=None)
        reads = {name: recognize_file(folder / name, reader, upright, max_pixels) for name in names}
        figures = real_figures(truth, reads)
        scored.append({"folder": str(folder), **figures})
        for miss in figures["misses"][: MAX_TILES - len(misreads)]:  # decoded again: only these
            line = reads[miss["file"]]
            misreads.append(
                _photo_misread(folder, miss, line, upright, max_pixels, reader.find.ink)
            )
    source = settings.source
    report = {
        "model": str(path),
        "quantized": model.quantized,
        "mounting": {"rotation": source.rotation, "hflip": source.hflip, "vflip": source.vflip},
        "long_side": long_side,
        "folders": scored,
    }
    return report, misreads


def made_small(turn: Orient, long_side: int) -> Orient:
    """`turn`, then the picture made `long_side` px on its long side (area averaging, each side
    at least 1 px), unless it is no longer than that already."""

    def small(image: np.ndarray) -> np.ndarray:
        image = turn(image)
        h, w = image.shape[:2]
        scale = long_side / max(h, w)
        if scale >= 1:
            return image
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        return cv2.resize(image, size, interpolation=cv2.INTER_AREA)

    return small


def real_lines_bench(
    folders: list[Path],
    settings: Settings,
    per_writer: int,
    seed: int,
    uneven: float = 0.0,
    rows: int = 1,
    pitch: float = DEFAULT_PITCH,
    on_notes: bool = False,
) -> tuple[dict[str, Any], list[Misread]]:
    """Lines set together from each writer's single-digit photos (`edge.real_lines`), `seed`
    drawing them, in sizes as `uneven` as `edge.real_lines.set_on_page` makes them (or pages
    of `rows` lines, `pitch` heights apart; or, `on_notes`, on sticky notes filling the view),
    read as frames are: exact read-outs per gap (and per note colour and pen), and the lines
    (pages) misread."""
    path, model, reader = _settings_reader(settings)
    scored, misreads = [], []
    for folder in folders:
        cuts, left_out = writers_digits(folder)
        if not cuts:
            unread = "".join(f"; {name}: {why}" for name, why in left_out.items())
            raise BenchError(
                f"--real-lines {folder}: no writer there has readable photos of two digits or "
                "more to set into lines: name the photos <digit>_<writer>_<n>.jpg, one digit "
                f"each (e.g. 4_me_1.jpg and 7_me_1.jpg){unread}"
            )
        count = per_writer * len(cuts) * len(LINE_GAPS)
        lines = real_lines(cuts, per_writer, LINE_GAPS, seed, uneven, rows, pitch, on_notes)
        tallies: dict[float, list[int]] = {gap: [0, 0] for gap in LINE_GAPS}
        by_note: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # on notes: per colour
        by_pen: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        misses = []
        reading_lines = tqdm(
            lines, f"reading lines from {folder}", count, unit=" lines", disable=None
        )
        for line in reading_lines:
            read = reader.read(line.frame)
            reading = text_of(read.digits)
            counted = [tallies[line.gap]]
            if line.note is not None:
                colour, pen = line.note
                counted += [by_note[colour], by_pen[pen]]
            for tally in counted:
                tally[0] += reading == line.text
                tally[1] += 1
            if reading == line.text:
                continue
            miss = {"writer": line.writer, "gap": line.gap, "truth": line.text, "reading": reading}
            if line.note is not None:
                miss["note"] = list(line.note)
            misses.append(miss)
            if len(misreads) < MAX_TILES:
                name = f"{folder.name}: {line.writer}'s digits, {line.gap} apart"
                if line.note is not None:
                    name += ", on a {} note in a {}".format(*line.note)
                found = tuple(digit.box for digit in read.digits)
                why = read.empty_reason
                misreads.append(Misread(name, line.text, reading, line.frame, found, None, why))
        right, read = (sum(t[k] for t in tallies.values()) for k in (0, 1))
        scored.append(
            {
                "folder": str(folder),
                "writers": len(cuts),
                "lines": read,
                "exact": round(right / max(1, read), 4),
                "per_gap": _per_key({str(gap): tally for gap, tally in tallies.items()}),
                **(
                    {
                        "per_note": _per_key(dict(sorted(by_note.items()))),
                        "per_pen": _per_key(dict(sorted(by_pen.items()))),
                    }
                    if on_notes
                    else {}
                ),
                "misses": misses,
                "miss_kinds": miss_kinds((m["truth"], m["reading"]) for m in misses),
                "left_out": left_out,
            }
        )
    report = {
        "model": str(path),
        "quantized": model.quantized,
        "seed": seed,
        "uneven_sizes": uneven,
        "rows": rows,
        "row_pitch": pitch,
        "on_notes": on_notes,
        "folders": scored,
    }
    return report, misreads


def _per_key(tallies: dict[str, list[int]]) -> dict[str, dict[str, Any]]:
    """Key -> its [right, of] tally as {"right", "of", "exact"}."""
    return {
        key: {"right": right, "of": of, "exact": round(right / max(1, of), 4)}
        for key, (right, of) in tallies.items()
    }


def _settings_reader(settings: Settings) -> tuple[Path, LineModel, DigitReader]:
    """The model file `settings` name, the model, and the reader `recognize` builds on it."""
    path = model_file(settings.model)
    model = LineModel(path, settings.model.threads, settings.model.verify)
    reader = DigitReader(model, settings.reading.confidence, FindSettings(ink=settings.reading.ink))
    return path, model, reader


def _photo_misread(
    folder: Path,
    miss: dict[str, Any],
    line: dict[str, Any],
    upright: Orient,
    max_pixels: int,
    ink: str,
) -> Misread:
    """A misread photo as the reader saw it (upright, reduced if large, a transparent one on the
    ground for the reader's `ink`), its found boxes too."""
    try:
        image, reduced = decode_image(folder / miss["file"], max_pixels, ink)
        image = upright(image)
    except UnreadableFrame:
        image, reduced = None, 1
    found = tuple(
        (x // reduced, y // reduced, w // reduced, h // reduced)
        for x, y, w, h in (digit["box"] for digit in line.get("digits", []))
    )
    name = f"{folder.name}/{miss['file']}"
    return Misread(name, miss["truth"], miss["reading"], image, found, why=miss["empty_reason"])


def scene_misreads(scenes: list[Scene], readouts: list[Readout | None]) -> list[Misread]:
    """The scenes not read exactly, each shown around its writing and what was found."""
    misreads = []
    for index, (scene, readout) in enumerate(zip(scenes, readouts, strict=True)):
        if readout is not None and readout.text == scene.text:
            continue
        found = tuple(box for box, _ in readout.found) if readout else ()
        text, why = (readout.text, readout.empty_reason) if readout else (None, None)
        focus = enclosing([*scene.boxes, *found])
        name = f"scene {index}, {scene.condition}"
        misreads.append(Misread(name, scene.text, text, scene.frame, found, focus, why))
    return misreads


def draw_misreads(misreads: list[Misread], report: dict[str, Any], path: Path) -> dict[str, Any]:
    """The contact sheet of `misreads` at `path` (a stale one removed when there are none):
    where it is, how many pictures were misread in all, and how many it shows. A sheet that
    cannot be written is said on stderr and in the report: it must not cost the figures."""
    counts = []  # (misread, of what)
    if "models" in report:
        exact = report["models"]["int8"]["exact_readouts"]
        counts.append((report["scenes"] - exact, plural(report["scenes"], "scene")))
    for folder in report.get("real", {}).get("folders", []):
        photos = f"{plural(folder['photos'], 'photo')} in {folder['folder']}"
        counts.append((len(folder["misses"]), photos))
    for folder in report.get("real_lines", {}).get("folders", []):
        lines = f"{plural(folder['lines'], 'line')} from {folder['folder']}"
        counts.append((len(folder["misses"]), lines))
    misread = sum(count[0] for count in counts)
    drawn: dict[str, Any] = {"path": None, "misread": misread, "tiles": 0}
    model = (
        report["models"]["int8"]["model"]
        if "models" in report
        else (report.get("real") or report["real_lines"])["model"]
    )
    title = f"misread by {Path(model).name}: " + ", ".join(f"{n} of {of}" for n, of in counts)
    if misread > MAX_TILES:
        title += f"; the first {MAX_TILES} shown"
    try:
        if misreads:
            drawn.update(path=str(path), tiles=write_sheet(misreads, title, path))
        else:
            path.unlink(missing_ok=True)  # it would show an earlier run's misreads as this one's
    except OSError as exc:
        drawn["error"] = f"cannot write {path} ({exc}); --misreads PNG names another place"
        print(f"edge: {drawn['error']}", file=sys.stderr)
    return drawn


def real_figures(truth: dict[str, str], reads: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Exact read-outs of single- and multi-digit photos, misses per digit class, and the misses.

    `reads[name]` is `recognize`'s line for the photo (`text`, or `error`). A true digit is
    missed when the reading, lined up with the truth (`_lined_up`), leaves it out.
    """
    kinds: dict[str, list[int]] = {}
    classes = {str(d): {"digits": 0, "missed": 0} for d in range(10)}
    misses = []
    for name, digits in truth.items():
        line = reads.get(name, {})
        reading = line.get("text")
        right = reading == digits
        tally = kinds.setdefault("single" if len(digits) == 1 else "multi", [0, 0])
        tally[0] += right
        tally[1] += 1
        for digit, kept in zip(digits, _kept(digits, reading or ""), strict=True):
            classes[digit]["digits"] += 1
            classes[digit]["missed"] += not kept
        if not right:
            miss = {"file": name, "truth": digits, "reading": reading}
            miss["empty_reason"] = line.get("empty_reason")
            if "error" in line:
                miss["error"] = line["error"]
            unsure = [d["confidence"] for d in line.get("digits", []) if d["digit"] is None]
            if unsure:  # a "?": how far below --confidence the model was
                miss["unsure"] = min(unsure)
            misses.append(miss)
    return {
        "photos": len(truth),
        **{
            kind: {"right": right, "of": of, "exact": round(right / of, 4)}
            for kind, (right, of) in sorted(kinds.items(), key=lambda item: item[0] != "single")
        },
        "per_class": {d: c for d, c in classes.items() if c["digits"]},
        "misses": misses,
    }


def _kept(truth: str, reading: str) -> list[bool]:
    """For each character of `truth`, whether the reading, lined up with it (`_lined_up`),
    keeps it."""
    kept = [False] * len(truth)
    for op, t1, t2, _, _ in _lined_up(truth, reading):
        if op == "equal":
            kept[t1:t2] = [True] * (t2 - t1)
    return kept


def _lined_up(truth: str, reading: str) -> list[tuple[str, int, int, int, int]]:
    """How `reading` lines up with `truth`: `difflib.SequenceMatcher`'s opcodes (equal,
    replace, delete, insert, each with its stretch of truth and of reading), built from the
    longest matching stretches."""
    return difflib.SequenceMatcher(None, truth, reading, autojunk=False).get_opcodes()
