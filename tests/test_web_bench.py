"""The load benchmark runs end to end (its figures are for people; nothing here is timed)."""

import subprocess
import sys

import pytest
from checkout import REPO

pytestmark = pytest.mark.slow


def test_the_web_bench_runs_viewers_against_python_m_edge() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "edge.web.bench", "--viewers", "3", "--stalled", "1",
         "--rounds", "1", "--seconds", "2", "--warmup", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith(("no", "3 "))]
    assert [row[:2] for row in rows] == [["no", "viewers"], ["3", "viewers"], ["no", "viewers"]]
    assert rows[1][5] == "4" and rows[0][2] == rows[2][2] == "0"  # served to, as the server saw
    assert "processed fps with viewers / without:" in result.stdout
