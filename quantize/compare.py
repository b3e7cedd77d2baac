"""`python -m quantize.compare DIR...`: one markdown table row per trained-and-quantized run.

Each DIR holds what `python -m train --out DIR` and `python -m quantize --model DIR/model.keras`
wrote; the table is what the README's architecture comparison shows.
"""

import argparse
import json
import sys
from pathlib import Path

from train.artifacts import PARITY_FILE, REPORT_FILE

HEADER = (
    "| architecture | params | epochs | float acc | int8 acc | agreement | int8 size | "
    "float size | int8 µs/image | float µs/image | train s |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def table_row(run_dir: Path) -> str:
    train = json.loads((run_dir / REPORT_FILE).read_text())
    parity = json.loads((run_dir / PARITY_FILE).read_text())
    return (
        f"| {train['architecture']} | {train['parameters']:,} | {train['epochs']} "
        f"| {parity['float']['accuracy']:.2%} | {parity['int8']['accuracy']:.2%} "
        f"| {parity['top1_agreement']:.2%} | {parity['int8']['bytes'] / 1024:,.1f} KB "
        f"| {parity['float']['bytes'] / 1024:,.1f} KB | {parity['int8']['us_per_image']:.1f} "
        f"| {parity['float']['us_per_image']:.1f} | {train['wall_seconds']:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quantize.compare", description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    rows = []
    for run_dir in args.runs:
        try:
            rows.append(table_row(run_dir))
        except (OSError, KeyError, json.JSONDecodeError) as exc:
            print(f"error: {run_dir} lacks a complete train/parity report ({exc})", file=sys.stderr)
            return 2
    print(HEADER)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
