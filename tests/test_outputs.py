"""The events every output gets, console and JSON-lines outputs, and which the settings build."""

import io
import json
import logging
import time

import numpy as np

from edge import pipeline
from edge.config import Settings, apply_overrides
from edge.events import DigitPrediction, Reading, Sink, Stats
from edge.outputs import build_sinks
from edge.outputs.console import ConsoleSink
from edge.outputs.jsonlines import JsonLinesSink
from edge.pipeline import Pipeline
from edge.reading import Stabilizer
from edge.sources import Frame
from edge.systemd import SystemdNotifySink

READING = Reading(
    text="4?7",
    confidence=0.41,
    timestamp=1700000000.5,
    frame_index=12,
    digits=(
        DigitPrediction(4, 0.99, (10, 20, 30, 40)),
        DigitPrediction(None, 0.41, (50, 20, 30, 40)),
        DigitPrediction(7, 0.97, (90, 22, 28, 39)),
    ),
    latency_ms=12.345,
)
STATS = Stats(model="digits_int8.tflite", source="demo scenes 640x480", frames=30, readings=1)


class BlankFrames:
    """A replay of `count` blank frames, each taking `period` seconds to arrive."""

    description = "blank frames"
    pace_fps = None

    def __init__(self, count: int, period: float):
        self.left, self.period = count, period

    def read(self) -> Frame | None:
        if not self.left:
            return None
        self.left -= 1
        time.sleep(self.period)
        return Frame(np.zeros((8, 8), np.uint8), time.time())

    def skip(self, count: int) -> int:
        return 0

    def close(self) -> None:
        """Nothing held."""


class ReadsASeven:
    """A reader that finds a 7 in any frame, at once: the loop without the model."""

    def read(self, image: np.ndarray) -> tuple[tuple[DigitPrediction, ...], float, float]:
        return (DigitPrediction(7, 0.9, (0, 0, 4, 4)),), 0.1, 0.2


class StatsRecorder(Sink):
    """Overrides only the stats event: every other one falls to Sink's no-op."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, float, dict[str, float]]] = []

    def on_stats(self, stats: Stats) -> None:
        self.seen.append((stats.frames, stats.processed_fps, dict(stats.stage_ms)))


def test_sinks_get_the_recomputed_figures_periodically_and_ignore_what_they_do_not_override(
    monkeypatch, caplog
):
    monkeypatch.setattr(pipeline, "STATS_INTERVAL_S", 0.05)
    sink, stats = StatsRecorder(), Stats()
    Pipeline(BlankFrames(20, 0.01), ReadsASeven(), Stabilizer(1), [sink], stats).run()
    assert stats.frames == 20 and stats.readings == 1  # every kind of event was sent...
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert failed == []  # ...and the ones left to Sink's no-ops did not fail
    frames = [seen[0] for seen in sink.seen]
    assert 2 <= len(frames) < 20 and frames == sorted(set(frames))  # periodic, not per frame
    assert all(fps > 0 and stage_ms["segment"] == 0.1 for _, fps, stage_ms in sink.seen)


def test_console_prints_a_line_per_reading_and_notes_elsewhere():
    out, notes = io.StringIO(), io.StringIO()
    sink = ConsoleSink(out, notes)
    sink.on_start(STATS)
    sink.on_reading(READING, STATS)
    sink.on_reading(Reading("", 0.0, 0.0, 13, (), 3.0), STATS)
    sink.on_stop(STATS)
    assert out.getvalue().splitlines() == [
        "4?7          confidence 0.41  latency 12.3 ms",
        "(nothing in view) confidence 0.00  latency 3.0 ms",
    ]
    assert "demo scenes 640x480" in notes.getvalue() and "digits_int8.tflite" in notes.getvalue()
    assert "stopped after 30 frames" in notes.getvalue()


def test_json_lines_are_one_object_per_reading_and_stats_at_the_end():
    out = io.StringIO()
    sink = JsonLinesSink(out)
    sink.on_start(STATS)
    sink.on_reading(READING, STATS)
    sink.on_stop(STATS)
    reading, stats = (json.loads(line) for line in out.getvalue().splitlines())
    assert reading["event"] == "reading" and reading["text"] == "4?7"
    assert reading["digits"][1] == {"digit": None, "confidence": 0.41, "box": [50, 20, 30, 40]}
    assert reading["latency_ms"] == 12.345
    assert stats["event"] == "stats" and stats["frames"] == 30


def settings(**output) -> Settings:
    return apply_overrides(Settings(), {"output": output}, origin="test")


def test_the_default_is_the_console_on_stdout(monkeypatch, capsys):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    sinks = build_sinks(settings())
    assert [type(s) for s in sinks] == [ConsoleSink]
    sinks[0].on_reading(READING, STATS)
    assert "4?7" in capsys.readouterr().out


def test_with_json_stdout_carries_only_json(monkeypatch, capsys):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    sinks = build_sinks(settings(json=True))
    assert [type(s) for s in sinks] == [JsonLinesSink, ConsoleSink]
    for sink in sinks:
        sink.on_reading(READING, STATS)
    captured = capsys.readouterr()
    assert json.loads(captured.out)["text"] == "4?7"
    assert "confidence 0.41" in captured.err


def test_under_systemd_the_notifier_is_added(monkeypatch, tmp_path):
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
    sinks = build_sinks(settings(console=False))
    assert [type(s) for s in sinks] == [SystemdNotifySink]
