"""`python -m quantize.compare DIR...`: one markdown table row per trained-and-quantized run.

Each DIR holds what `python -m train --out DIR` and `python -m quantize --model DIR/model.keras`
wrote; the table is what the README's architecture comparison shows. Line readers and
single-digit designs are measured differently (strings read exactly vs. digits classified), so
each kind gets its own table; a run whose int8 model failed parity is marked so.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from train.architectures import LINE_READER
from train.artifacts import PARITY_FILE, REPORT_FILE

DIGIT_HEADER = (
    "| architecture | params | epochs | float acc | int8 acc | agreement | int8 size | "
    "float size | int8 µs/image | float µs/image | train s |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)
READER_HEADER = (
    "| architecture | params | lines x epochs | float strings | int8 strings | int8 photographed "
    "| int8 MNIST digits | same string | int8 size | float size | int8 ms/line | float ms/line "
    "| train s |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)
FAILED = " **(failed parity)**"


def _name(train: dict[str, Any], parity: dict[str, Any]) -> str:
    return train["architecture"] + ("" if parity["passed"] else FAILED)


def _sizes(parity: dict[str, Any]) -> str:
    return f"{parity['int8']['bytes'] / 1024:,.1f} KB | {parity['float']['bytes'] / 1024:,.1f} KB"


def digit_row(train: dict[str, Any], parity: dict[str, Any]) -> str:
    return (
        f"| {_name(train, parity)} | {train['parameters']:,} | {train['epochs']} "
        f"| {parity['float']['accuracy']:.2%} | {parity['int8']['accuracy']:.2%} "
        f"| {parity['top1_agreement']:.2%} | {_sizes(parity)} "
        f"| {parity['int8']['us_per_image']:.1f} | {parity['float']['us_per_image']:.1f} "
        f"| {train['wall_seconds']:.0f} |"
    )


def reader_row(train: dict[str, Any], parity: dict[str, Any]) -> str:
    float_, int8 = parity["float"], parity["int8"]
    return (
        f"| {_name(train, parity)} | {train['parameters']:,} "
        f"| {train['training_lines']:,} x {train['epochs']} "
        f"| {float_['strings_exact']:.2%} | {int8['strings_exact']:.2%} "
        f"| {int8['camera_strings_exact']:.2%} | {int8['mnist_test_as_lines_exact']:.2%} "
        f"| {parity['same_string']:.2%} | {_sizes(parity)} "
        f"| {int8['ms_per_line']:.2f} | {float_['ms_per_line']:.2f} | {train['wall_seconds']:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quantize.compare", description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    digits, readers = [], []
    for run_dir in args.runs:
        if not run_dir.is_dir():  # `runs/*` names the notes beside the runs too
            print(f"quantize.compare: {run_dir} is not a run's folder: left out", file=sys.stderr)
            continue
        try:
            train = json.loads((run_dir / REPORT_FILE).read_text())
            parity = json.loads((run_dir / PARITY_FILE).read_text())
            if train["architecture"] == LINE_READER:
                readers.append(reader_row(train, parity))
            else:
                digits.append(digit_row(train, parity))
        except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
            print(
                f"quantize.compare: error: {run_dir} lacks a complete train and parity report "
                f"({type(exc).__name__}: {exc}); a run's folder has both once `python -m train "
                "--out DIR` and `python -m quantize --model DIR` have run in it",
                file=sys.stderr,
            )
            return 2
    tables = [
        f"{header}\n" + "\n".join(rows)
        for header, rows in ((READER_HEADER, readers), (DIGIT_HEADER, digits))
        if rows
    ]
    print("\n\n".join(tables))
    return 0


if __name__ == "__main__":
    sys.exit(main())
