"""Test helpers: the checkout under test, and `python -m edge` command lines to run in it."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def edge_command(*args: str) -> list[str]:
    """`python -m edge <args>` on the interpreter running the tests."""
    return [sys.executable, "-m", "edge", *args]
