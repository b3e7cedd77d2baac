"""Console and JSON-lines outputs, and which outputs the settings build."""

import dataclasses
import io
import json
import os

import numpy as np
import pytest

from edge.config import Settings, apply_overrides
from edge.events import CAMERA_BLANK, NO_INK, DigitPrediction, FrameResult, Reading, Stats
from edge.outputs import OutputError, build_sinks
from edge.outputs.console import ConsoleSink, printable
from edge.outputs.jsonlines import JsonLinesSink
from edge.pipeline import NO_DIGITS
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


def test_console_prints_a_line_per_reading_and_notes_elsewhere():
    out, notes = io.StringIO(), io.StringIO()
    sink = ConsoleSink(out, notes)
    sink.on_start(STATS)
    sink.on_reading(READING, STATS)
    sink.on_reading(Reading("", 0.0, 0.0, 13, (), 3.0), STATS)
    sink.on_reading(Reading("", 0.0, 0.0, 14, (), 3.0, empty_reason=NO_INK), STATS)
    # Writing in view that read nothing is not an empty view: it says why.
    sink.on_reading(Reading("", 0.0, 0.0, 15, (), 3.0, empty_reason=NO_DIGITS), STATS)
    sink.on_reading(Reading("", 0.0, 0.0, 16, (), 3.0, empty_reason="too dark"), STATS)
    sink.on_reading(Reading("", 0.0, 0.0, 17, (), 3.0, empty_reason=CAMERA_BLANK), STATS)
    sink.on_stop(STATS)
    assert out.getvalue().splitlines() == [
        "4?7               confidence 0.41  latency   12.3 ms",
        "(nothing in view)                  latency    3.0 ms",  # no digit to be sure of
        "(nothing in view)                  latency    3.0 ms",
        "(nothing read)                     latency    3.0 ms  ink found, no digits read",
        "(nothing read)                     latency    3.0 ms  too dark",
        f"(nothing in view)                  latency    3.0 ms  {CAMERA_BLANK}",
    ]
    told = notes.getvalue()
    assert "demo scenes 640x480" in told
    assert "with the bundled model digits_int8.tflite (int8)" in told
    assert "stopped after 30 frames: 0 read something, 30 read nothing, 0 failed; " in told
    assert "; 1 reading of digits, 3 of nothing in view, 2 of nothing read; median ms: none" in told


def test_console_rounds_confidence_down_so_under_1_never_reads_as_certain():
    """0.9961 (an int8 model's 255/256) printed to the nearest hundredth is 1.00: certainty."""
    out = io.StringIO()
    sink = ConsoleSink(out, io.StringIO())
    for confidence in (0.9961, 1.0, 0.29, 0.596):  # 0.29 is 0.28999... as a binary float
        sink.on_reading(dataclasses.replace(READING, confidence=confidence), STATS)
    shown = [line.split("confidence ")[1][:4] for line in out.getvalue().splitlines()]
    assert shown == ["0.99", "1.00", "0.29", "0.59"]


def test_json_keeps_a_confidence_that_the_console_rounds_down():
    out = io.StringIO()
    JsonLinesSink(out).on_reading(dataclasses.replace(READING, confidence=0.9961), STATS)
    assert json.loads(out.getvalue())["confidence"] == 0.9961


def test_lines_of_writing_stand_apart_on_the_console_and_in_json():
    two = dataclasses.replace(READING, text="123456", lines=("123", "456"))
    out = io.StringIO()
    ConsoleSink(out, io.StringIO()).on_reading(two, STATS)
    assert out.getvalue().startswith("123 456 ")
    out = io.StringIO()
    JsonLinesSink(out).on_reading(two, STATS)
    line = json.loads(out.getvalue())
    assert line["text"] == "123456" and line["lines"] == ["123", "456"]


def test_console_counts_in_words_one_or_many():
    notes = io.StringIO()
    sink = ConsoleSink(io.StringIO(), notes)
    sink.on_frame(frame_result("7"), Stats())
    sink.on_reading(READING, Stats())
    sink.on_reading(READING, Stats())
    sink.on_stop(Stats(frames=1, readings=2))
    said = notes.getvalue()
    assert "stopped after 1 frame: 1 read something, 0 read nothing, 0 failed; 2 readings " in said


def frame_result(text: str) -> FrameResult:
    return FrameResult(0, 0.0, np.zeros((4, 4), np.uint8), (), text, {})


def test_the_closing_line_says_plainly_what_the_frames_gave():
    """A 60-frame video with 30 blank frames, 5 unusable and 12 dropped while busy: every frame
    taken is counted, and a reading that something went from view is not a reading of digits."""
    notes = io.StringIO()
    sink = ConsoleSink(io.StringIO(), notes)
    for index in range(55):
        sink.on_frame(frame_result("4071" if index < 25 else ""), Stats())
    for text in ("4071", "", "12", "", "4071"):
        sink.on_reading(dataclasses.replace(READING, text=text), Stats())
    stage_ms = {"capture": 0.1, "find": 2.0, "read": 3.0, "total": 5.1}
    sink.on_stop(
        Stats(frames=55, failed_frames=5, skipped_frames=12, readings=5, processed_fps=14.94,
              stage_ms=stage_ms)
    )  # fmt: skip
    assert notes.getvalue() == (
        "edge: stopped after 60 frames: 25 read something, 30 read nothing, 5 failed "
        "(and 12 dropped while busy); 3 readings of digits, 2 of nothing in view; 14.9 fps; "
        "median ms: capture 0.10, find 2.00, read 3.00, total 5.10\n"
    )


def test_a_handful_of_frames_gives_no_rate_and_photos_read_as_nothing_are_not_readings():
    notes = io.StringIO()
    sink = ConsoleSink(io.StringIO(), notes)
    sink.on_frame(frame_result(""), Stats())
    sink.on_reading(dataclasses.replace(READING, text="", path="blank.png"), Stats())
    sink.on_stop(Stats(frames=1, readings=1, processed_fps=0.0, stage_ms={"total": 4.0}))
    assert notes.getvalue() == (
        "edge: stopped after 1 frame: 0 read something, 1 read nothing, 0 failed; "
        "0 readings of digits; median ms: total 4.00\n"
    )


def test_console_says_which_model_file_and_that_it_is_not_the_bundled_one():
    notes = io.StringIO()
    custom = dataclasses.replace(STATS, model="runs/7/line_int8.tflite", model_bundled=False)
    ConsoleSink(io.StringIO(), notes).on_start(custom)
    assert "with the model runs/7/line_int8.tflite (int8; yours, not the bundled one)" in (
        notes.getvalue()
    )


def test_console_names_each_image_file_last_and_says_what_was_written_when_known():
    out = io.StringIO()
    sink = ConsoleSink(out, io.StringIO())
    sink.on_reading(dataclasses.replace(READING, path="photos/long-name-4071.jpg"), STATS)
    empty = Reading("", 0.0, 0.0, 13, (), 3.0, empty_reason="no ink found", path="b.jpg")
    sink.on_reading(empty, STATS)
    sink.on_file_error("c.jpg", "c.jpg: the JPEG is truncated (no end marker)", STATS)
    sink.on_reading(dataclasses.replace(READING, truth="437"), STATS)
    assert out.getvalue().splitlines() == [
        "4?7               confidence 0.41  latency   12.3 ms  photos/long-name-4071.jpg",
        "(nothing read)                     latency    3.0 ms  b.jpg: no ink found",
        "(unreadable)                                          c.jpg: the JPEG is truncated (no "
        "end marker)",
        "4?7               written 437      confidence 0.41  latency   12.3 ms",
    ]


def test_a_file_name_cannot_forge_a_line_or_drive_the_terminal():
    # A name holding a newline started a line of its own that looked like a reading; one
    # holding a terminal's escape codes recoloured the lines after it. Escaped as `ls -b` and
    # Python write them, each reading stays one line of text.
    out, notes = io.StringIO(), io.StringIO()
    sink = ConsoleSink(out, notes)
    sink.on_start(dataclasses.replace(STATS, source="1 image file in new\nfolder"))
    forged = "evil\nFAKE 1234  confidence 1.00.jpg"
    sink.on_reading(dataclasses.replace(READING, path=forged), STATS)
    sink.on_file_error("\x1b[2Jx.jpg", "\x1b[2Jx.jpg: the file is empty; copy it again.", STATS)
    assert out.getvalue().splitlines() == [
        "4?7               confidence 0.41  latency   12.3 ms  evil\\nFAKE 1234  confidence "
        "1.00.jpg",
        "(unreadable)                                          \\x1b[2Jx.jpg: the file is empty; "
        "copy it again.",
    ]
    assert "reading 1 image file in new\\nfolder with" in notes.getvalue()
    assert printable("Zoë\t\x7f\x9b") == "Zoë\\t\\x7f\\x9b"  # DEL and C1 too; letters kept


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
    assert "path" not in reading and "truth" not in reading  # a camera's, in a room
    assert stats["event"] == "stats" and stats["frames"] == 30


def test_json_lines_name_the_image_file_and_what_was_written_when_known():
    out = io.StringIO()
    sink = JsonLinesSink(out)
    sink.on_reading(dataclasses.replace(READING, path="photos/a.jpg", truth="437"), STATS)
    reading = json.loads(out.getvalue())
    assert (reading["path"], reading["truth"], reading["text"]) == ("photos/a.jpg", "437", "4?7")


def test_json_lines_say_which_image_file_failed_and_why_as_recognize_does():
    out = io.StringIO()
    JsonLinesSink(out).on_file_error("c.jpg", "c.jpg: the JPEG is truncated", STATS)
    assert json.loads(out.getvalue()) == {
        "event": "error",
        "path": "c.jpg",
        "error": "c.jpg: the JPEG is truncated",
    }


def test_json_lines_write_a_file_name_that_is_not_utf8_as_strict_json():
    """Its byte that is not UTF-8 came out as a lone surrogate, which strict parsers refuse."""
    out = io.StringIO()
    sink = JsonLinesSink(out)
    name = os.fsdecode(b"photos/bad\xffname.png")  # "photos/bad\udcffname.png"
    sink.on_reading(dataclasses.replace(READING, path=name), STATS)
    sink.on_file_error(name, f"{name}: not a readable image", STATS)
    sink.on_stop(dataclasses.replace(STATS, source=f"{name} (1 image file)"))
    said = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line.get("path") for line in said] == ["photos/bad\\xffname.png"] * 2 + [None]
    assert said[1]["error"] == "photos/bad\\xffname.png: not a readable image"
    assert said[2]["source"] == "photos/bad\\xffname.png (1 image file)"
    json.dumps(said, ensure_ascii=False).encode("utf-8")  # strict: no surrogate left


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
    sinks = build_sinks(settings(console=False, json=True))
    assert [type(s) for s in sinks] == [JsonLinesSink, SystemdNotifySink]


def test_every_output_off_is_refused_saying_how_to_turn_one_on():
    """A run with nothing to show its readings on would read a camera for nothing, silently."""
    with pytest.raises(OutputError, match=r"^every output is off .*set console = true"):
        build_sinks(settings(console=False))
