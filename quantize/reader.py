"""Quantizing the line reader: a calibration set of composed lines, and float-vs-int8 parity on
composed strings of MNIST test digits and on every MNIST test digit as a one-digit line, read
through the same LiteRT wrapper and CTC decoding the Pi uses."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from edge.ctc import BLANK
from edge.ink import LINE_HEIGHT, WIDTH_STEP
from edge.line_reader import read_digits
from edge.model import LineModel
from train.data import Mnist
from train.progress import Progress
from train.reader import evaluation_lines, make_lines
from train.reader_run import TEST_STRINGS, mnist_test_lines
from train.strings import Digits, TrainingLine


def calibration_lines(data: Mnist, count: int, seed: int) -> list[np.ndarray]:
    """The representative dataset: `count` composed lines from MNIST *training* digits, as
    float32 model inputs `[1, 32, W, 1]` (each its own width, as on the device)."""
    if count < 1:
        raise ValueError(f"--calib must be at least 1, got {count}")
    lines = make_lines(
        Digits(data.x_train, data.y_train), count, seed + 7919, what="composing calibration lines"
    )
    return [(line.image.astype(np.float32) / 255.0)[np.newaxis, ..., np.newaxis] for line in lines]


def representative(calibration: list[np.ndarray]) -> Iterator[list[np.ndarray]]:
    for line in calibration:
        yield [line]


def read_all(
    model: LineModel, lines: list[TrainingLine], progress: Progress
) -> tuple[list[str], float]:
    """Each line's greedy CTC reading, and the mean ms per line."""
    texts = []
    started = time.perf_counter()
    for line in lines:
        texts.append("".join(str(d.digit) for d in read_digits(model, line_input(line.image))))
        progress.advance()
    return texts, (time.perf_counter() - started) * 1000 / max(len(lines), 1)


def line_input(image: np.ndarray) -> np.ndarray:
    """A composed line (uint8 `[32, W]`) padded with black (paper) on the right to a multiple
    of `WIDTH_STEP` px wide, as the reader takes it."""
    width = WIDTH_STEP * -(-image.shape[1] // WIDTH_STEP)
    padded = np.zeros((LINE_HEIGHT, width), np.uint8)
    padded[:, : image.shape[1]] = image
    return padded


def evaluate_reader_pair(float_path: Path, int8_path: Path, data: Mnist) -> dict[str, Any]:
    """Both readers on the composed test strings (black on white, and photographed) and on
    MNIST's test digits as one-digit lines: exact read-outs, and how often they agree."""
    test_digits = Digits(data.x_test, data.y_test)
    sets = {
        "strings": evaluation_lines(test_digits, TEST_STRINGS, seed=0),
        "camera_strings": evaluation_lines(test_digits, TEST_STRINGS, seed=0, camera=True),
        "mnist_test_as_lines": mnist_test_lines(data),
    }
    truth = {name: ["".join(map(str, ln.labels)) for ln in lines] for name, lines in sets.items()}
    report: dict[str, Any] = {
        "test_strings": len(sets["strings"]),
        "mnist_test_digits": len(sets["mnist_test_as_lines"]),
    }
    read: dict[str, dict[str, list[str]]] = {}
    total = 2 * sum(map(len, sets.values()))
    what = f"reading {total // 2:,} test lines with the float model, then the int8 one"
    with Progress(what, total, "reads") as progress:
        for kind, path in (("float", float_path), ("int8", int8_path)):
            model = LineModel(path, threads=1, verify=False)
            read[kind], figures = {}, {"bytes": path.stat().st_size}
            for name, lines in sets.items():
                read[kind][name], ms = read_all(model, lines, progress)
                right = [a == b for a, b in zip(read[kind][name], truth[name], strict=True)]
                figures[f"{name}_exact"] = float(np.mean(right))
                if name == "strings":
                    figures["ms_per_line"] = round(ms, 3)
            report[kind] = figures
    report["accuracy"] = report["int8"]["strings_exact"]  # what the thresholds gate
    report["accuracy_drop"] = report["float"]["strings_exact"] - report["int8"]["strings_exact"]
    for name in sets:
        pairs = zip(read["float"][name], read["int8"][name], strict=True)
        report[f"same_{name}"] = float(np.mean([a == b for a, b in pairs]))
    report["same_string"] = report["same_strings"]
    report["size_ratio"] = report["float"]["bytes"] / report["int8"]["bytes"]
    report["speed_ratio_float_over_int8"] = (
        report["float"]["ms_per_line"] / report["int8"]["ms_per_line"]
    )
    return report


def reader_contract(
    parity: dict[str, Any],
    input_quantization: tuple[float, int],
    output_quantization: tuple[float, int],
) -> dict[str, Any]:
    """The line reader's contract and figures, for the model card."""
    return {
        "kind": "line_reader",
        "input": {
            "shape": [1, LINE_HEIGHT, None, 1],
            "width": f"any multiple of {WIDTH_STEP}",
            "real_value": "level / 255",
            "polarity": "white ink on black",
            "line": "edge.ink.line_image: the line cut along its direction, height 32 with 20 % "
            "margins, ink stretched so strong ink is white",
            "int8_scale": input_quantization[0],
            "int8_zero_point": input_quantization[1],
        },
        "output": {
            "shape": [1, None, BLANK + 1],
            "meaning": "softmax over digits 0-9 and the CTC blank, per column step",
            "blank_index": BLANK,
            "input_px_per_step": WIDTH_STEP,
            "int8_scale": output_quantization[0],
            "int8_zero_point": output_quantization[1],
        },
        "accuracy": {
            "test_strings": f"{parity['test_strings']} composed strings of MNIST test digits, "
            "1-8 digits, gaps -0.15..+0.6 digit heights, black on white (seed 0)",
            "float_strings_exact": parity["float"]["strings_exact"],
            "int8_strings_exact": parity["int8"]["strings_exact"],
            "same_string": parity["same_string"],
            "camera_strings": "the same strings photographed (papers, inks, rules, light, blur, "
            "noise, JPEG) as training lines are",
            "float_camera_strings_exact": parity["float"]["camera_strings_exact"],
            "int8_camera_strings_exact": parity["int8"]["camera_strings_exact"],
            "mnist_test_as_lines_float": parity["float"]["mnist_test_as_lines_exact"],
            "mnist_test_as_lines_int8": parity["int8"]["mnist_test_as_lines_exact"],
        },
    }
