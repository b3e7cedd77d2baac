"""`python -m edge` run, recognize and bench as a user runs them: real processes, real files."""

import contextlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np
import pytest
from checkout import REPO, edge_command
from exif import with_exif_orientation

from edge import __version__
from edge.__main__ import FLAG_SETTINGS, build_parser, parse_args, settings_from
from edge.bench import accuracy
from edge.config import ConfigError, Settings
from edge.model import BUNDLED_MODEL, CARD_FILE
from edge.pipeline import FLAT
from edge.reading import overlap
from edge.scenes import CONDITIONS, Scene, random_scene, render_scene

NO_TENSORFLOW = ("tensorflow", "keras", "train", "quantize")
FULL_DISK = Path("/dev/full")  # Linux's (the suite runs on Debian): every write fails, ENOSPC
DISK_FULL = (
    "[Errno 28] No space left on device (is the disk full? free some space, or send the output "
    "elsewhere)"
)


def edge(
    *args: str, cwd: Path = REPO, timeout: float = 300, stdout: TextIO | None = None
) -> subprocess.CompletedProcess:
    """`python -m edge <args>` run to its end, its stdout (unless written to `stdout`, a file)
    and its stderr captured."""
    env = {**os.environ, "EDGE_DIGITS_CONFIG": ""}  # never the developer's own config
    return subprocess.run(
        edge_command(*args),
        cwd=cwd,
        env=env,
        stdout=stdout or subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def make_scenes(mnist_test, count: int, seed: int) -> list[Scene]:
    images, labels = mnist_test
    rng = np.random.default_rng(seed)
    return [random_scene(images, labels, rng) for _ in range(count)]


def write_scenes(scenes: list[Scene], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, scene in enumerate(scenes):
        paths.append(folder / f"scene-{index:04d}.jpg")
        cv2.imwrite(str(paths[-1]), scene.frame, [cv2.IMWRITE_JPEG_QUALITY, 95])
    return paths


@pytest.fixture(scope="module")
def scenes(mnist_test) -> list[Scene]:
    return make_scenes(mnist_test, 6, seed=11)


@pytest.fixture
def scene_dir(scenes, tmp_path) -> Path:
    write_scenes(scenes, tmp_path / "scenes")
    return tmp_path / "scenes"


def test_recognize_prints_one_json_line_per_image_in_reading_order(scenes, scene_dir):
    done = edge("recognize", str(scene_dir))
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stdout)
    assert [Path(line["path"]).name for line in lines] == sorted(
        p.name for p in scene_dir.iterdir()
    )
    for line, scene in zip(lines, scenes, strict=True):
        assert set(line) == {"path", "text", "lines", "digits"}
        assert "".join(line["lines"]) == line["text"]
        assert line["text"] == "".join(
            "?" if d["digit"] is None else str(d["digit"]) for d in line["digits"]
        )
        for digit in line["digits"]:
            assert set(digit) == {"digit", "confidence", "box"}
            assert 0.0 <= digit["confidence"] <= 1.0 and len(digit["box"]) == 4
        # Boxes are in the image's pixels: each found digit sits on a true one.
        readout = (line["text"], [(tuple(d["box"]), d["digit"]) for d in line["digits"]])
        assert accuracy([scene], [readout])["correct_digits"] >= len(scene.labels) - 1
    exact = sum(line["text"] == scene.text for line, scene in zip(lines, scenes, strict=True))
    assert exact >= len(scenes) - 1


def test_recognize_goes_on_after_bad_files_and_exits_1(scene_dir, tmp_path):
    good = sorted(scene_dir.iterdir())[0]
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[:-500])
    text = tmp_path / "notes.png"
    text.write_text("shopping list")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 255, np.uint8))
    done = edge(
        "recognize", str(truncated), str(text), str(good), str(tmp_path / "missing.jpg"), str(blank)
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = json_lines(done.stdout)
    assert [Path(line["path"]).name for line in lines] == [
        "truncated.jpg", "notes.png", good.name, "missing.jpg", "blank.png"
    ]  # fmt: skip
    assert "truncated" in lines[0]["error"]
    assert "not a readable image" in lines[1]["error"]
    assert "text" in lines[2] and "error" not in lines[2]
    assert "does not exist" in lines[3]["error"]
    assert lines[4] == {
        "path": str(blank),
        "text": "",
        "lines": [],
        "digits": [],
        "empty_reason": FLAT,
    }


def test_a_file_name_cannot_forge_a_log_line(scene_dir, tmp_path):
    # A folder's file that is no image is named in a warning on stderr (and the journal,
    # under systemd): a newline in its name started a line of its own there.
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(sorted(scene_dir.iterdir())[0], folder / "a.jpg")
    (folder / "notes\nERROR edge: camera stolen.txt").write_text("not a picture")
    done = edge("--source", str(folder), "--max-frames", "1")
    assert done.returncode == 0, done.stderr
    [warning] = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert "notes\\nERROR edge: camera stolen.txt" in warning
    assert not any(line.startswith("ERROR") for line in done.stderr.splitlines())


def test_recognize_calls_a_symlink_loop_a_loop_named_alone_or_in_a_folder(scene_dir, tmp_path):
    good = sorted(scene_dir.iterdir())[0]
    shutil.copy(good, tmp_path / "a.jpg")
    (tmp_path / "loop.png").symlink_to("back.png")
    (tmp_path / "back.png").symlink_to("loop.png")
    done = edge("recognize", str(tmp_path / "loop.png"), str(tmp_path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = json_lines(done.stdout)
    assert [Path(line["path"]).name for line in lines] == [
        "loop.png",
        "a.jpg",
        "back.png",
        "loop.png",
    ]
    assert (
        lines[0]["error"]
        == f"{tmp_path / 'loop.png'} is a symlink loop: its links lead back to themselves."
    )
    assert "text" in lines[1] and "error" not in lines[1]
    for line in lines[2:]:  # the folder's batch went on past them, a line each
        assert "a symlink loop (its links lead back to themselves)" in line["error"]
        assert "broken" not in line["error"]


def test_a_blank_sheet_reads_as_nothing_written_not_as_an_error(tmp_path):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 255, np.uint8))
    done = edge("recognize", str(blank))
    assert done.returncode == 0, done.stderr
    assert json_lines(done.stdout) == [
        {"path": str(blank), "text": "", "lines": [], "digits": [], "empty_reason": FLAT}
    ]
    photo = edge("--source", str(blank))
    assert photo.returncode == 0, photo.stderr
    (line,) = photo.stdout.splitlines()
    assert line.startswith("(nothing read) ") and line.endswith(f"  {blank}: {FLAT}")
    assert "confidence" not in line and "WARNING" not in photo.stderr
    closing = photo.stderr.splitlines()[-1]
    assert closing.startswith(
        "edge: stopped after 1 frame: 0 read something, 1 read nothing, 0 failed; "
        "0 readings of digits; median ms: "
    )  # and no rate: one frame makes none


def test_edge_never_imports_tensorflow(scene_dir):
    script = (
        "import json, runpy, sys\n"
        f"sys.argv = ['edge', 'recognize', {str(scene_dir)!r}]\n"
        "try:\n    runpy.run_module('edge', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        f"roots = {NO_TENSORFLOW!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in roots)))\n"
        "print(json.dumps('edge.pipeline' in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    *results, forbidden, ran = done.stdout.splitlines()
    assert json.loads(ran) is True  # the command really ran in this interpreter
    assert len(results) == len(list(scene_dir.iterdir()))
    assert json.loads(forbidden) == []


def write_video(scenes: list[Scene], path: Path, frames_per_scene: int, fps: float = 30.0) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    assert writer.isOpened()
    for scene in scenes:
        for _ in range(frames_per_scene):
            writer.write(scene.frame)
    writer.release()


def test_run_reads_a_video_file_end_to_end(scenes, tmp_path):
    video = tmp_path / "pages.avi"
    write_video(scenes, video, frames_per_scene=4)
    done = edge("--source", str(video), "--json", "--stable-frames", "3")
    assert done.returncode == 0, done.stderr
    events = json_lines(done.stdout)
    readings = [e["text"] for e in events if e["event"] == "reading"]
    stats = events[-1]
    assert stats["event"] == "stats"
    assert stats["frames"] == 4 * len(scenes) and stats["failed_frames"] == 0
    assert stats["readings"] == len(readings)
    assert set(stats["stage_ms"]) == {"capture", "find", "read", "total"}
    truth = [scene.text for scene in scenes]
    right = [text for text in readings if text in truth]
    assert len(right) >= len(truth) - 1 and len(readings) <= len(truth)
    assert right == [text for text in truth if text in right]  # in the order they were shown


def test_a_video_cut_short_gives_its_readings_then_says_so_and_exits_1(scenes, tmp_path):
    video = tmp_path / "pages.avi"
    write_video(scenes, video, frames_per_scene=4)
    cut = tmp_path / "cut.avi"
    cut.write_bytes(video.read_bytes()[: int(0.6 * video.stat().st_size)])
    done = edge("--source", str(cut), "--json", "--stable-frames", "3")
    assert done.returncode == 1, done.stderr
    events = json_lines(done.stdout)
    assert any(e["event"] == "reading" for e in events)  # what it held is read
    [error] = [e for e in events if e["event"] == "error"]
    assert re.search(r"ends \d\.\d s into the \d+\.\d s it declares: it is damaged", error["error"])


def test_a_video_of_one_frame_gives_its_reading(scenes, tmp_path):
    """Shorter than the 3 frames a reading must hold, a clip said nothing at all."""
    video = tmp_path / "one.avi"
    write_video(scenes[:1], video, frames_per_scene=1)
    done = edge("--source", str(video), "--json")
    assert done.returncode == 0, done.stderr
    reading, stats = json_lines(done.stdout)
    assert (reading["event"], reading["text"]) == ("reading", scenes[0].text)
    assert (stats["frames"], stats["readings"]) == (1, 1)


def test_a_video_replayed_in_real_time_plays_at_its_own_frame_rate_unless_fps_is_set(
    scenes, tmp_path
):
    """A 10 fps recording with --realtime plays at 10 fps, not at the 30 asked of a camera (3x
    too fast); --fps or [source] fps, when given, paces it instead. The log says which."""
    video = tmp_path / "clip.avi"
    write_video(scenes[:2], video, frames_per_scene=6, fps=10.0)
    done = edge("--source", str(video), "--realtime", "--json", "-v")
    assert done.returncode == 0, done.stderr
    assert f"replaying {video} at its own frame rate, 10 fps" in done.stderr
    stats = json_lines(done.stdout)[-1]
    # Paced, it cannot go faster than its rate (a busy machine only makes it slower).
    assert stats["frames"] == 12 and 0 < stats["processed_fps"] < 15
    config = tmp_path / "edge.toml"
    config.write_text("[source]\nfps = 20\n")
    once = ("--max-frames", "1", "-v")
    by_config = edge("--config", str(config), "--source", str(video), "--realtime", *once)
    assert f"replaying {video} at 20 fps (--fps, [source] fps)" in by_config.stderr
    by_flag = edge("--source", str(video), "--realtime", "--fps", "40", *once)
    assert f"replaying {video} at 40 fps (--fps, [source] fps)" in by_flag.stderr


def test_a_photo_source_reads_each_file_once_and_names_it(scenes, scene_dir):
    """N photos are N readings, whatever --stable-frames says (it is for a camera's frames),
    even two alike in a row; a blank one is a blank sheet, not a covered lens."""
    shutil.copy(scene_dir / "scene-0005.jpg", scene_dir / "scene-0006.jpg")
    truth = [scene.text for scene in scenes] + [scenes[-1].text]
    cv2.imwrite(str(scene_dir / "white.png"), np.full((480, 640, 3), 255, np.uint8))
    photos = sorted(scene_dir.glob("*.jpg"))
    done = edge("--source", str(scene_dir), "--json")
    assert done.returncode == 0, done.stderr
    *readings, blank, stats = json_lines(done.stdout)
    assert [r["path"] for r in readings] == [str(p) for p in photos]
    assert sum(r["text"] == text for r, text in zip(readings, truth, strict=True)) >= 6
    assert (blank["path"], blank["text"], blank["empty_reason"]) == (
        str(scene_dir / "white.png"), "", FLAT
    )  # fmt: skip
    assert (stats["readings"], stats["frames"], stats["failed_frames"]) == (8, 8, 0)
    assert "lens" not in done.stderr
    console = edge("--source", str(scene_dir / "*.jpg"), "--stable-frames", "5")
    assert console.returncode == 0, console.stderr
    lines = console.stdout.splitlines()
    assert all(line.endswith(f" ms  {p}") for line, p in zip(lines, photos, strict=True))
    assert len({line.index(str(p)) for line, p in zip(lines, photos, strict=True)}) == 1
    assert all(" confidence " in line for line in lines)
    # Each reading's lines of writing, apart ("550 3" where the finder found "550" and "3").
    shown = [line.split(" confidence ")[0].split() for line in lines]
    assert shown == [r["lines"] for r in readings]
    said = "stopped after 7 frames: 7 read something, 0 read nothing, 0 failed; 7 readings of"
    assert said in console.stderr


def test_one_photo_looped_says_its_reading_once_on_the_console_and_in_json(scene_dir):
    """A photo replayed forever is a view that never changes: one line, not one per pass."""
    photo = scene_dir / "scene-0000.jpg"
    done = edge("--source", str(photo), "--loop", "--max-frames", "20", "--json")
    assert done.returncode == 0, done.stderr
    reading, stats = json_lines(done.stdout)
    assert (reading["event"], reading["path"]) == ("reading", str(photo)) and reading["text"]
    assert (stats["event"], stats["frames"], stats["readings"]) == ("stats", 20, 1)
    console = edge("--source", str(photo), "--loop", "--max-frames", "20")
    assert console.returncode == 0, console.stderr
    (line,) = console.stdout.splitlines()
    assert line.startswith(f"{reading['text']} ") and line.endswith(f" ms  {photo}")
    assert "stopped after 20 frames: 20 read something" in console.stderr


def test_a_large_photo_reduced_to_read_gives_boxes_in_its_own_pixels(scenes, tmp_path):
    """A 3200x2400 photo is decoded at half size (its short side is over 2000 px); run's
    readings and recognize's lines give its digits' boxes in the file's pixels, where its
    writing is, not in the reduced frame's. Its name holds a glob's [..]: it exists, so it is
    read as it is."""
    scene = scenes[0]
    photo = tmp_path / "Photos [2024]" / "scan [1].jpg"
    photo.parent.mkdir()
    large = cv2.resize(scene.frame, None, fx=5, fy=5, interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(photo), large, [cv2.IMWRITE_JPEG_QUALITY, 95])
    truth_boxes = [tuple(5 * v for v in box) for box in scene.boxes]
    recognized = edge("recognize", str(photo))
    run = edge("--source", str(photo), "--json")
    assert recognized.returncode == run.returncode == 0, recognized.stderr + run.stderr
    [line], [reading, _] = json_lines(recognized.stdout), json_lines(run.stdout)
    assert reading["text"] == line["text"] == scene.text, (reading, line)
    assert [d["box"] for d in reading["digits"]] == [d["box"] for d in line["digits"]]
    for digit, truth in zip(line["digits"], truth_boxes, strict=True):
        assert overlap(tuple(digit["box"]), truth) >= 0.5, (digit, truth)


def test_a_name_the_terminal_cannot_show_is_shown_escaped_not_lost(scene_dir, tmp_path):
    """A Latin-1 file name on a UTF-8 terminal (Python's stdout is strict there): the console's
    line for it failed ("output ConsoleSink failed", a traceback) and the reading was lost."""
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(scene_dir / "scene-0000.jpg", os.fsdecode(bytes(photos) + b"/caf\xe9.jpg"))
    env = {**os.environ, "EDGE_DIGITS_CONFIG": "", "PYTHONIOENCODING": "utf-8:strict"}
    done = subprocess.run(
        edge_command("--source", str(photos)), cwd=REPO, env=env, capture_output=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    [line] = done.stdout.decode().splitlines()
    assert line.endswith(f"{photos}/caf\\udce9.jpg") and " confidence " in line


def test_a_file_name_that_is_not_utf8_is_strict_json_in_both_commands(scene_dir, tmp_path):
    """Its byte that is not UTF-8 came out as a lone surrogate ("bad\\udcffname.jpg"), which
    strict JSON parsers refuse (and UTF-8 cannot encode): it is written `\\xff`, as `ls -b`
    shows it, in the path and in an error that quotes it (U+FFFD, tried first, made two names
    that differ in such a byte one)."""
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(scene_dir / "scene-0000.jpg", os.fsdecode(bytes(photos) + b"/bad\xffname.jpg"))
    Path(os.fsdecode(bytes(photos) + b"/fake\xfe.jpg")).write_text("a shopping list")
    recognized = edge("recognize", str(photos))
    run = edge("--source", str(photos), "--json")
    assert recognized.returncode == run.returncode == 1  # the fake
    assert "Traceback" not in recognized.stderr + run.stderr
    assert "\\udc" not in recognized.stdout + run.stdout
    lines = json_lines(recognized.stdout)
    assert [line["path"] for line in lines] == [
        f"{photos}/bad\\xffname.jpg",
        f"{photos}/fake\\xfe.jpg",
    ]
    assert lines[0]["text"] and lines[1]["error"].startswith(lines[1]["path"])
    reading, error, _stats = json_lines(run.stdout)
    assert (reading["path"], reading["text"]) == (lines[0]["path"], lines[0]["text"])
    assert error == {"event": "error", **lines[1]}
    for line in recognized.stdout.splitlines() + run.stdout.splitlines():
        json.dumps(json.loads(line), ensure_ascii=False).encode("utf-8")  # strict: no surrogate


def test_recognize_to_a_full_disk_says_so_in_one_line_and_exits_1(scene_dir):
    """It ended in a traceback."""
    with FULL_DISK.open("w") as full:
        done = edge("recognize", str(scene_dir), stdout=full)
    assert done.returncode == 1
    assert (
        done.stderr == f"edge: error: cannot write the readings to standard output: {DISK_FULL}\n"
    )


@pytest.mark.parametrize(("flags", "output"), [(["--json"], "JSON lines"), ([], "the console")])
def test_a_run_whose_only_output_is_on_a_full_disk_stops_says_why_and_exits_1(flags, output):
    """It logged a traceback per failure (once in 10 s) and exited 0, every reading lost; then
    it went on reading for nothing, its only output failing, until it was killed."""
    with FULL_DISK.open("w") as full:
        done = edge(
            "--source", "demo", "--max-frames", "60", "--stable-frames", "2", *flags, stdout=full
        )
    said = done.stderr.splitlines()
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert [line for line in said if line.startswith(("WARNING", "ERROR"))] == [
        f"WARNING edge.pipeline: output {output} failed: {DISK_FULL}",
        f"ERROR edge.pipeline: every output failed ({output}): the readings would be shown "
        "nowhere; stopping",
    ]
    assert said[-1] == f"edge: what an output failed to write is lost: {output}: {DISK_FULL}"
    if not flags:  # the console's notes, on stderr, say where the run stopped
        stopped = re.match(r"edge: stopped after (\d+) frames: ", said[-2])
        assert stopped and int(stopped[1]) < 60, said


def test_a_run_whose_console_is_on_a_full_disk_goes_on_for_the_live_page():
    port = free_port()
    with FULL_DISK.open("w") as full:
        done = edge(
            "--source", "demo", "--max-frames", "60", "--stable-frames", "2",
            "--web", f"127.0.0.1:{port}", stdout=full,
        )  # fmt: skip
    said = done.stderr.splitlines()
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"WARNING edge.pipeline: output the console failed: {DISK_FULL}; the run goes on" in said
    assert not [line for line in said if line.startswith("ERROR")], said
    assert said[-1] == f"edge: what an output failed to write is lost: the console: {DISK_FULL}"
    assert said[-2].startswith("edge: stopped after 60 frames: ")


def test_debug_output_is_edges_own_not_pillows(tmp_path):
    """-vv printed Pillow's DEBUG lines for every chunk of a PNG ("STREAM b'IHDR'")."""
    page = tmp_path / "page.png"
    cv2.imwrite(str(page), np.full((120, 160), 255, np.uint8))
    done = edge("recognize", "-vv", str(page))
    assert done.returncode == 0, done.stderr
    assert "DEBUG edge." in done.stderr and "PIL" not in done.stderr


def test_debug_output_leaves_stdout_to_the_json_lines(tmp_path):
    """The report: -vv let OpenCV's INFO notes out, which it prints on stdout ("[ INFO:0@0.2]
    global registry_parallel.impl.hpp:96 ParallelBackendRegistry ..."), before the JSON line
    a script's `jq` then failed to parse."""
    page = tmp_path / "page.png"
    cv2.imwrite(str(page), np.full((120, 160), 255, np.uint8))
    for command in (["recognize", str(page)], ["--source", str(page), "--json"]):
        done = edge(*command, "-vv")
        assert done.returncode == 0, done.stderr
        assert json_lines(done.stdout) and "DEBUG edge." in done.stderr


def test_a_photo_that_cannot_be_read_has_its_own_line_and_the_run_exits_1(scene_dir, tmp_path):
    """As `recognize` says it: a photo is an answer asked for, not one of a camera's frames."""
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(scene_dir / "scene-0000.jpg", photos / "good.jpg")
    (photos / "fake.jpg").write_text("a shopping list")
    done = edge("--source", f"{photos}/", "--json")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    error, reading, stats = json_lines(done.stdout)
    recognized = edge("recognize", f"{photos}/")
    assert recognized.returncode == 1
    assert error == {"event": "error", **json_lines(recognized.stdout)[0]}
    assert "not a readable image" in error["error"] and error["path"] == str(photos / "fake.jpg")
    assert reading["path"] == str(photos / "good.jpg") and reading["text"]
    assert (stats["frames"], stats["failed_frames"]) == (1, 1)
    console = edge("--source", f"{photos}/")
    assert console.returncode == 1 and "WARNING" not in console.stderr
    fake, good = console.stdout.splitlines()
    assert fake.startswith("(unreadable) ") and fake.endswith(error["error"])
    assert fake.index(error["path"]) == good.index(reading["path"])  # one column of paths


def test_a_file_that_is_neither_an_image_nor_a_video_is_said_to_be_neither():
    done = edge("--source", "README.md")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "edge: error: --source README.md: not an image or a video" in done.stderr


def test_the_start_says_where_mqtt_publishes_without_the_password(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[mqtt]\nenabled = true\nurl = "mqtt://127.0.0.1:1"\ndevice = "kitchen"\n'
        'username = "me"\npassword = "s3cret"\n'
    )
    done = edge("--config", str(config), "--source", "demo", "--max-frames", "1", "-v")
    assert done.returncode == 0, done.stderr
    assert (
        "edge: MQTT to mqtt://127.0.0.1:1, topics edge-digits/kitchen/ (Home Assistant "
        "discovery under homeassistant/)"
    ) in done.stderr
    assert "s3cret" not in done.stderr


@pytest.mark.parametrize("broker", ["refused", "silent"])
def test_photos_whose_mqtt_readings_were_all_dropped_end_in_failure_saying_why(
    scene_dir, tmp_path, broker
):
    """A batch of photos is read once: readings an MQTT broker never got are answers lost,
    as a full disk's are (exit 1), and the last line says why, even when the broker accepted
    the connection and said nothing, which MQTT's keepalive notices only after 15 s or more."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        if broker == "silent":
            silent.listen()  # the kernel accepts connections; nobody answers them
        port = silent.getsockname()[1]  # bound, not listening: connections to it are refused
        config = tmp_path / "config.toml"
        config.write_text(f'[mqtt]\nenabled = true\nurl = "mqtt://127.0.0.1:{port}"\n')
        done = edge("--config", str(config), "--source", str(scene_dir))
    assert done.returncode == 1, done.stderr
    assert len(done.stdout.splitlines()) == len(list(scene_dir.iterdir()))  # still shown
    why = {
        "refused": "is unreachable: connection refused",
        "silent": "sent no MQTT answer while the run lasted",
    }[broker]
    last = done.stderr.splitlines()[-1]
    assert last.startswith("edge: what an output failed to write is lost: MQTT: ")
    assert f"readings dropped: the broker at 127.0.0.1:{port} {why}" in last


def test_sigterm_stops_a_looping_replay_cleanly(scene_dir):
    env = {**os.environ, "EDGE_DIGITS_CONFIG": ""}
    process = subprocess.Popen(
        edge_command("--source", str(scene_dir), "--loop", "--realtime",
                     "--fps", "20", "--json", "--stable-frames", "1"),
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = process.stdout.readline()  # the first reading: the loop is running
        assert json.loads(first)["event"] == "reading"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert json.loads(out.splitlines()[-1])["event"] == "stats"


def test_ctrl_c_before_the_last_photo_is_read_says_so_and_exits_130(scene_dir):
    """Photos left unread were asked for: the summary is said, and so is the stop, with the
    status recognize gives a Ctrl-C (a --loop replay, which only a stop ends, exits 0)."""
    env = {**os.environ, "EDGE_DIGITS_CONFIG": ""}
    process = subprocess.Popen(
        edge_command("--source", str(scene_dir), "--realtime", "--fps", "1", "--json"),
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert json.loads(process.stdout.readline())["event"] == "reading"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "stopped by SIGINT (Ctrl-C) before the end of 6 image files" in err
    stats = json.loads(out.splitlines()[-1])
    assert stats["event"] == "stats" and stats["frames"] < 6 and "Traceback" not in err


def test_the_demo_runs_on_any_machine_and_says_what_was_written():
    done = edge("--source", "demo", "--max-frames", "100", "--json", "--stable-frames", "2")
    assert done.returncode == 0, done.stderr
    events = json_lines(done.stdout)
    assert events[-1]["event"] == "stats" and events[-1]["frames"] == 100
    assert events[-1]["source"] == "demo scenes 640x480"
    readings = [e for e in events if e["event"] == "reading"]
    assert readings and all(r["digits"] and r["truth"].isdigit() for r in readings)
    assert len({r["truth"] for r in readings}) >= 2  # a new scene every 1.5 s: its own truth
    assert sum(r["text"] == r["truth"] for r in readings) >= len(readings) - 1
    console = edge("--source", "demo", "--max-frames", "50", "--stable-frames", "2")
    assert console.returncode == 0, console.stderr
    first = console.stdout.splitlines()[0].split()
    assert first[1] == "written" and first[2].isdigit() and first[3] == "confidence"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        """No request log in the test output."""


def test_a_stream_that_ends_is_an_error_exit(scenes, tmp_path):
    write_video(scenes[:2], tmp_path / "live.avi", frames_per_scene=2)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_QuietHandler, directory=str(tmp_path))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = edge("--source", f"http://127.0.0.1:{server.server_port}/live.avi", "--json")
    finally:
        server.shutdown()
    assert done.returncode == 1
    assert "stopped delivering frames" in done.stderr and "Traceback" not in done.stderr
    assert json_lines(done.stdout)[-1]["frames"] == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "no/such/dir"], "does not exist"),
        (["--model", "no/such/model.tflite"], "does not exist"),
        (["--stable-frames", "0"], "--stable-frames"),
        (["--config", "no/such/config.toml"], "does not exist"),
        (["--rotation", "45"], "--rotation: invalid choice: 45 (choose from 0, 90, 180, 270)"),
        (["--ink", "white"], "--ink: invalid choice: 'white'"),
        (["--web", "localhost"], "--web: 'localhost': expected [HOST:]PORT"),
        (["--web", "70000"], "--web 70000: must be between 1 and 65535"),
        (["--threads", "0"], "--threads 0: must be between 1 and 64"),
    ],
)
def test_what_cannot_start_exits_2_with_a_message(args, message):
    done = edge(*args, "--max-frames", "1")
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_webcam_that_is_not_there_exits_1_worth_starting_again():
    # Unplugged, it may be plugged in: not a setup error (2), which systemd does not restart.
    done = edge("--source", "webcam:57", "--max-frames", "1")
    assert done.returncode == 1
    assert "error: Cannot open webcam 57: no such camera (is it plugged in?" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("size", "got"),
    [(["--width", "32", "--height", "32"], "32x32"), (["--height", "63"], "640x63")],
)
def test_a_demo_frame_too_small_for_its_scenes_exits_2_saying_what_to_set(size, got):
    """The flags take 32 px up (a camera can send that), the demo's scenes need 64."""
    done = edge("--source", "demo", *size, "--max-frames", "1")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        f"edge: error: --source demo: scene size {got} is below the 64x64 minimum; set "
        "--width and --height ([source] width and height) to 64 or more"
    ]


@pytest.mark.parametrize("args", [["run", "--max-frames", "-1"], ["--max-frames", "0"]])
def test_a_frame_count_under_1_is_refused_with_runs_own_usage(args):
    done = edge(*args)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "python -m edge run: error: argument --max-frames: a frame count is 1 or more, got" in (
        done.stderr
    )


def test_a_bad_config_file_names_the_file_and_the_key(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[reading]\nconfidence = "high"\n')
    done = edge("--config", str(config), "--source", "demo")
    assert done.returncode == 2
    assert str(config) in done.stderr and "[reading] confidence" in done.stderr


def test_a_config_that_turns_every_output_off_exits_2_and_json_turns_one_on(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[output]\nconsole = false\n")
    done = edge("--config", str(config), "--source", "demo", "--max-frames", "2")
    assert done.returncode == 2 and done.stdout == ""
    said = f"edge: error: every output is off ([output] console = false in {config}, "
    assert done.stderr.startswith(said) and "--json" in done.stderr
    done = edge("--config", str(config), "--source", "demo", "--max-frames", "2", "--json")
    assert done.returncode == 0 and len(done.stdout.splitlines()) >= 1


def test_a_config_that_is_not_utf8_exits_2_with_one_line(tmp_path):
    config = tmp_path / "config.toml"
    config.write_bytes(b'[source]\nname = "d\xe9mo"\n')  # Latin-1
    done = edge("recognize", "--config", str(config), str(tmp_path))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"edge: error: Config file {config} is not UTF-8 text (byte 0xe9 on line 2); save it "
        "as UTF-8.\n"
    )


def test_a_double_star_glob_through_a_symlink_loop_ends_in_both_commands(scene_dir, tmp_path):
    """`**` does not follow symlinked folders: a loop (or a link to a big tree) is not walked."""
    photo = scene_dir / "scene-0000.jpg"
    (tmp_path / "photos" / "2024").mkdir(parents=True)
    shutil.copy(photo, tmp_path / "photos" / "2024" / "page.jpg")
    (tmp_path / "photos" / "2024" / "up").symlink_to("..")
    (tmp_path / "photos" / "self").symlink_to(".")
    pattern = str(tmp_path / "photos" / "**" / "*.jpg")
    read = edge("recognize", pattern, timeout=60)
    assert read.returncode == 0, read.stderr
    assert [line["path"] for line in json_lines(read.stdout)] == [
        str(tmp_path / "photos" / "2024" / "page.jpg")
    ]
    run = edge("--source", pattern, "--json", timeout=60)
    assert run.returncode == 0, run.stderr
    assert json_lines(run.stdout)[-1]["frames"] == 1


def test_a_camera_mounting_the_config_cannot_use_names_the_file_and_the_key(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[source]\nrotation = 45\n")
    done = edge("--config", str(config), "--source", "demo")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{config}: [source] rotation = 45: must be one of 0, 90, 180, 270" in done.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--threads", "0"], "--threads 0: must be between 1 and 64."),
     (["--confidence", "1.5"], "--confidence 1.5: must be between 0.0 and 0.99."),
     (["--source", ""], "--source '': must not be empty."),
     (["--web", "0.0.0.0:70000"], "--web 0.0.0.0:70000: must be between 1 and 65535."),
     (["--stable-frames", "0"], "--stable-frames 0: must be between 1 and 1000.")],
)  # fmt: skip
def test_a_flags_wrong_value_is_named_as_typed_and_a_files_by_its_key(tmp_path, flags, message):
    """The user typed a flag, not a key: `--threads 0`, not `[model] threads = 0`."""
    config = tmp_path / "config.toml"
    config.write_text("[model]\nthreads = 2\n")
    with pytest.raises(ConfigError) as error:
        settings_from(parse_args(["--config", str(config), *flags]))
    assert str(error.value) == message
    config.write_text("[model]\nthreads = 0\n")
    with pytest.raises(ConfigError) as error:
        settings_from(parse_args(["recognize", "--config", str(config), "page.jpg"]))
    assert str(error.value) == f"{config}: [model] threads = 0: must be between 1 and 64."


def test_replay_switches_set_in_the_config_are_turned_off_by_their_no_flags(tmp_path):
    # deploy/config.toml sets realtime = true: by hand, --no-realtime reads files flat out.
    config = tmp_path / "config.toml"
    config.write_text("[source]\nrealtime = true\nloop = true\n")
    given = ["--config", str(config)]
    configured = settings_from(parse_args(given)).source
    assert (configured.realtime, configured.loop) == (True, True)
    off = settings_from(parse_args([*given, "--no-realtime", "--no-loop"])).source
    assert (off.realtime, off.loop) == (False, False)
    on = settings_from(parse_args(["--realtime", "--loop"])).source
    assert (on.realtime, on.loop) == (True, True)


def test_mounting_and_ink_flags_override_the_config(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[source]\nrotation = 90\nvflip = true\n[reading]\nink = "dark"\n')
    given = ["--config", str(config)]
    flags = ["--rotation", "180", "--hflip", "--ink", "light"]
    for command, files in ((["recognize"], ["page.jpg"]), ([], [])):  # and run
        args = [*command, *given, *flags, *files]
        settings = settings_from(parse_args(args))
        assert (settings.source.rotation, settings.source.hflip, settings.source.vflip) == (
            180,
            True,
            True,  # a flag not given leaves the config's mirror as it is
        )
        unmirrored = settings_from(parse_args([*command, *given, "--no-vflip", *files]))
        assert unmirrored.source.vflip is False
        assert settings.reading.ink == "light"
    unchanged = settings_from(parse_args(["recognize", *given, "page.jpg"]))
    assert (unchanged.source.rotation, unchanged.reading.ink) == (90, "dark")
    assert settings_from(parse_args(["bench", *given, "--ink", "auto"])).reading.ink == "auto"
    # bench's scenes are upright; its mounting flags turn the photos it reads with --real.
    assert settings_from(parse_args(["bench", "--rotation", "180"])).source.rotation == 180


def test_web_turns_the_page_on_at_a_port_and_keeps_or_sets_the_host(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[web]\nhost = "0.0.0.0"\nport = 9000\n')
    given = ["--config", str(config)]
    addresses = {"8081": ("0.0.0.0", 8081), "127.0.0.1:8082": ("127.0.0.1", 8082)}
    addresses["[::1]:8083"] = ("::1", 8083)
    for flag, (host, port) in addresses.items():
        web = settings_from(parse_args([*given, "--web", flag])).web
        assert (web.enabled, web.host, web.port) == (True, host, port)
    assert not settings_from(parse_args(given)).web.enabled  # the config alone leaves it off


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_with_web(*args: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`python -m edge ARGS --web` on a free port, its stdout and stderr piped, and the page's
    URL; killed after 120 s (a hang fails the test, not the run) or when the test is done."""
    port = free_port()
    env = {**os.environ, "EDGE_DIGITS_CONFIG": ""}
    process = subprocess.Popen(
        edge_command(*args, "--web", f"127.0.0.1:{port}"),
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    try:
        yield process, f"http://127.0.0.1:{port}/"
    finally:
        watchdog.cancel()
        process.kill()


def stderr_until(process: subprocess.Popen, words: str) -> list[str]:
    """The process's stderr lines up to the first that holds `words` (failing if it ends)."""
    said: list[str] = []
    while not said or words not in said[-1]:
        said.append(process.stderr.readline())
        assert said[-1], f"ended before saying {words!r}: {said}"
    return said


def test_web_serves_the_live_page_and_prints_its_url():
    with running_with_web("--source", "demo") as (process, url):
        said = stderr_until(process, "live page")
        assert said[-1].startswith(f"edge: live page on {url};")
        with urllib.request.urlopen(url, timeout=10) as page:
            html = page.read().decode()
        assert "<title>edge-digits</title>" in html and 'id="truth"' in html
        reading = None
        while reading is None:  # 204 until the first reading is made
            time.sleep(0.2)
            with urllib.request.urlopen(url + "api/reading", timeout=10) as answer:
                reading = json.load(answer) if answer.status == 200 else None
        assert reading["truth"].isdigit() and reading["text"]
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "written" in out and "Traceback" not in err


def test_web_keeps_the_page_up_when_a_video_ends_until_ctrl_c(scenes, tmp_path):
    """A video read at 140 fps used to end, page and all, before it could be opened."""
    video = tmp_path / "clip.avi"
    write_video(scenes[:2], video, frames_per_scene=4)
    with running_with_web("--source", str(video)) as (process, url):
        said = stderr_until(process, "source ended")
        assert said[-1] == (
            f"edge: the source ended; the live page stays up at {url} until Ctrl-C\n"
        )
        # Read flat out, it is over before a person opens the page: how to watch it is said.
        assert (
            f"reading {video} as fast as it can; add --realtime to watch the live page "
            "at its own frame rate (--fps, [source] fps)"
        ) in "".join(said)
        time.sleep(1.0)
        assert process.poll() is None
        with urllib.request.urlopen(url + "api/reading", timeout=10) as answer:
            assert answer.status == 200 and json.load(answer)["text"]
        with urllib.request.urlopen(url + "stream.mjpg", timeout=10) as stream:
            assert stream.readline() == b"--frame\r\n"  # the last frame, shown
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "confidence" in out  # the readings, as without the page
    assert "stopped after 8 frames" in err and "Traceback" not in err


def test_the_start_line_says_which_model_file_and_whether_it_is_the_bundled_one(
    scene_dir, tmp_path
):
    model = copy_model(tmp_path)
    custom = edge("--source", str(scene_dir), "--model", str(model))
    assert f"with the model {model} (int8; yours, not the bundled one)" in custom.stderr
    bundled = edge("--source", str(scene_dir), "--model", str(BUNDLED_MODEL))
    assert f"with the bundled model {BUNDLED_MODEL.name} (int8);" in bundled.stderr
    float_model = BUNDLED_MODEL.with_name("digits_float.tflite")  # shipped for bench's table
    shipped = edge("--source", str(scene_dir), "--model", str(float_model))
    assert f"with the bundled model {float_model.name} (float);" in shipped.stderr


def test_recognize_turns_each_image_as_the_camera_was_mounted(scenes, tmp_path):
    """A page photographed upside down and read with --rotation 180, or mirrored and read with
    --hflip, reads exactly as the upright page: the same digits in the same boxes."""
    turns = {"upright": (None, []), "upside-down": (cv2.ROTATE_180, ["--rotation", "180"])}
    readouts = {}
    for name, (turn, flags) in turns.items():
        page = scenes[0].frame if turn is None else cv2.rotate(scenes[0].frame, turn)
        cv2.imwrite(str(tmp_path / f"{name}.png"), page)
        done = edge("recognize", *flags, str(tmp_path / f"{name}.png"))
        assert done.returncode == 0, done.stderr
        (readouts[name],) = [(ln["text"], ln["digits"]) for ln in json_lines(done.stdout)]
    cv2.imwrite(str(tmp_path / "mirrored.png"), cv2.flip(scenes[0].frame, 1))
    done = edge("recognize", "--hflip", str(tmp_path / "mirrored.png"))
    assert done.returncode == 0, done.stderr
    (mirrored,) = [(ln["text"], ln["digits"]) for ln in json_lines(done.stdout)]
    assert readouts["upright"][1]  # digits were found: there is something to compare
    assert readouts["upside-down"] == mirrored == readouts["upright"]


def test_run_turns_every_frame_and_says_so(tmp_path):
    done = edge("--source", "demo", "--rotation", "90", "--hflip", "--max-frames", "2", "--json")
    assert done.returncode == 0, done.stderr
    stats = json_lines(done.stdout)[-1]
    assert stats["source"] == "demo scenes 640x480 (turned 90°, mirrored left-right)"


def copy_model(tmp_path: Path) -> Path:
    for name in (BUNDLED_MODEL.name, CARD_FILE):
        shutil.copy(BUNDLED_MODEL.parent / name, tmp_path / name)
    return tmp_path / BUNDLED_MODEL.name


def test_a_truncated_model_fails_its_sha256_check(scene_dir, tmp_path):
    model = copy_model(tmp_path)
    model.write_bytes(model.read_bytes()[:-1000])
    done = edge("recognize", str(scene_dir), "--model", str(model))
    assert done.returncode == 2
    assert "sha256" in done.stderr and "Traceback" not in done.stderr
    unchecked = edge("recognize", str(scene_dir), "--model", str(model), "--no-verify")
    assert unchecked.returncode == 2
    assert "not a loadable TFLite model" in unchecked.stderr and "Traceback" not in unchecked.stderr


def test_a_model_without_its_card_says_what_to_do(scene_dir, tmp_path):
    model = copy_model(tmp_path)
    (tmp_path / CARD_FILE).unlink()
    done = edge("recognize", str(scene_dir), "--model", str(model))
    assert done.returncode == 2 and "--no-verify" in done.stderr
    assert edge("recognize", str(scene_dir), "--model", str(model), "--no-verify").returncode == 0


@pytest.mark.slow
def test_recognize_a_12_megapixel_phone_photo_taken_sideways(mnist_test, tmp_path):
    images, labels = mnist_test
    scene = render_scene(images[:5], labels[:5], np.random.default_rng(5))  # 7 2 1 0 4
    upright = cv2.resize(scene.frame, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    # The phone stores the sensor's picture turned a quarter left and says "turn it right".
    stored = cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE)
    jpeg = cv2.imencode(".jpg", stored, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(with_exif_orientation(jpeg, 6))
    done = edge("recognize", str(photo))
    assert done.returncode == 0, done.stderr
    (line,) = json_lines(done.stdout)
    assert scene.text == "72104" and len(line["text"]) == 5
    # Turned upright, and boxes in the photo's own pixels: each digit where it was written,
    # read right (the bundled reader is unsure of this 2 at times: it may read "?").
    scale = 4000 / 640
    truth = [tuple(round(v * scale) for v in box) for box in scene.boxes]
    for digit, box in zip(line["digits"], truth, strict=True):
        assert overlap(tuple(digit["box"]), box) >= 0.8, (digit, box)
    readout = (line["text"], [(tuple(d["box"]), d["digit"]) for d in line["digits"]])
    assert accuracy([Scene(upright, tuple(truth), scene.labels)], [readout])["per_digit"] >= 0.8


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["recognise", "page.jpg"], "'recognise' is not a command: did you mean 'recognize'?"),
        (["page.jpg"], "to read image files: python -m edge recognize page.jpg"),
        (
            ["demo"],
            "'demo' is not a command; to read from that source: python -m edge --source demo",
        ),
        (
            ["webcam:1", "--web", "8080"],
            "to read from that source: python -m edge --source webcam:1",
        ),
        (
            ["clip.MP4"],
            "to read from that source: python -m edge --source clip.MP4",
        ),
        (
            ["webcam"],
            "'webcam' is not a command; to read from that source: python -m edge --source webcam:0",
        ),
        (
            ["rtsp://cam.lan/live?a=1&b=2"],
            "source: python -m edge --source 'rtsp://cam.lan/live?a=1&b=2'",
        ),
        (["--source", "demo", "recognize", "a.jpg"], "unrecognized arguments: --source"),
        (
            ["run", "demo"],
            "'demo' is no argument of run; to read from that source: python -m edge --source demo",
        ),
        (["--web", "8080", "page.jpg"], "unrecognized arguments: page.jpg"),
        (["recognize", "--bogus", "page.jpg"], "unrecognized arguments: --bogus\n"),
        (["--sources", "demo"], "arguments: --sources demo (did you mean --source?)"),
        (["recognize", "--rotate=90", "a.jpg"], "--rotate=90 (did you mean --rotation?)"),
        # A mistyped option beside --source was said to be a second source.
        (["--source", "demo", "--max-fames", "3"], "--max-fames 3 (did you mean --max-frames?)"),
        (
            ["--source", "demo", "--scenes", "10"],
            "--scenes 10 (--scenes is an option of bench: python -m edge bench --scenes ...)",
        ),
    ],
)
def test_a_mistaken_command_line_says_what_was_meant(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    said = capsys.readouterr().err
    assert exited.value.code == 2 and message in said
    if "unrecognized" in message:  # the usage shown is the command's, with the options it takes
        assert "[--rotation {0,90,180,270}]" in said


def test_recognize_at_v_says_what_the_finder_made_of_each_image(scenes, tmp_path):
    """Which ink, how many lines of it, what was read or why nothing was, and the times: a bad
    picture told from a bad guess. It said nothing more at -v than without."""
    dark, light, blank = (tmp_path / f"{name}.png" for name in ("dark", "light", "blank"))
    cv2.imwrite(str(dark), scenes[0].frame)
    cv2.imwrite(str(light), 255 - scenes[0].frame)  # chalk on a board
    cv2.imwrite(str(blank), np.full((120, 160, 3), 200, np.uint8))
    done = edge("recognize", "-v", str(dark), str(light), str(blank))
    said = {line.split(": ", 2)[1]: line for line in done.stderr.splitlines() if "INFO" in line}
    texts = [line["text"] for line in json_lines(done.stdout)]
    assert re.search(r"dark ink, [1-9] line\(s\) of ink found, [1-9] read", said[str(dark)])
    assert f"read: {texts[0]!r}; finding " in said[str(dark)] and texts[0]
    assert re.search(r"light ink, [1-9] line\(s\) of ink found, [1-9] read", said[str(light)])
    assert "160x120, dark ink, 0 line(s) of ink found, 0 read: nothing written" in said[str(blank)]
    assert str(dark) not in edge("recognize", str(dark)).stderr
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n")  # an unreadable one is said too
    said = edge("recognize", "-v", str(broken)).stderr
    assert f"INFO edge.recognize: {broken}: not read: " in said


def test_recognize_takes_json_as_run_does_and_it_changes_nothing():
    """Its output is JSON lines anyway: `recognize --json` was refused with a usage error."""
    assert parse_args(["recognize", "--json", "page.jpg"]).paths == ["page.jpg"]
    recognize = build_parser()[1]["recognize"]
    assert "the output is JSON lines anyway" in " ".join(recognize.format_help().split())


@pytest.mark.parametrize(
    ("argv", "given"),
    [
        (["-v", "recognize", "x.png"], {"command": "recognize", "verbose": 1, "paths": ["x.png"]}),
        (
            ["--config", "c.toml", "recognize", "x.png", "y.png"],
            {"config": "c.toml", "paths": ["x.png", "y.png"]},
        ),
        (
            ["-vv", "--no-verify", "bench", "--scenes", "5"],
            {"command": "bench", "verbose": 2, "no_verify": True, "scenes": 5},
        ),
        (["-v", "run", "--source", "demo"], {"command": "run", "verbose": 1, "source": "demo"}),
        # The command's own options too, which run has not: `--real` was taken for run's
        # `--realtime`, and the folder and the command left over.
        (["--scenes", "10", "bench"], {"command": "bench", "scenes": 10}),
        (["--real", "photos", "bench"], {"command": "bench", "real": [Path("photos")]}),
    ],
)
def test_options_before_the_command_are_its_options(argv, given):
    """They were run's, and the command a word left over: "unrecognized arguments: recognize"."""
    args = parse_args(argv)
    assert {key: getattr(args, key) for key in given} == given


def test_help_after_options_is_the_named_commands(capsys):
    with pytest.raises(SystemExit) as exited:
        parse_args(["-v", "recognize", "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m edge recognize ")


@pytest.mark.parametrize(
    ("argv", "given"),
    [
        (["--source", "fmt_4071.jpg", "fmt_4071.png"], "got 2: fmt_4071.jpg fmt_4071.png"),
        (["run", "--source", "a.png", "b.png", "--max-frames", "3"], "got 2: a.png b.png"),
        (["--source", "a.jpg", "b.jpg", "c.jpg", "d.jpg"], "got 4: a.jpg b.jpg c.jpg ..."),
    ],
)
def test_a_pattern_the_shell_expanded_into_source_says_to_quote_it(argv, given, capsys):
    """`--source photos/*.jpg` unquoted reaches us as `--source a.jpg b.jpg ...`."""
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    said = capsys.readouterr().err.splitlines()[-1]
    assert exited.value.code == 2
    assert said == (
        f"python -m edge: error: --source takes one value, {given} (a pattern the shell "
        "expanded?): quote a pattern, --source 'photos/*.jpg', or read files with python -m "
        "edge recognize FILE..."
    )


def test_bench_options_pick_conditions_and_real_folders():
    args = parse_args(["bench"])
    assert args.scenes is None and args.conditions == tuple(CONDITIONS) and args.real is None
    args = parse_args(
        ["bench", "--conditions", "touching,close", "--real", "a", "--real", "b", "--vflip"]
    )
    assert args.conditions == ("touching", "close")
    assert args.real == [Path("a"), Path("b")] and settings_from(args).source.vflip
    with pytest.raises(SystemExit):
        parse_args(["bench", "--conditions", "foggy"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--real", "no/such/folder"], "--real no/such/folder: no such folder"),
        (
            ["--scenes", "3"],
            "--scenes 3 cannot give each of 10 conditions a scene; pass --scenes 10",
        ),
        (
            ["--scenes", "0", "--conditions", "plain"],
            "argument --scenes: a scene count is 1 or more",
        ),
        # The digits are told of before the count: a user mends both in one go.
        (["--scenes", "3", "--data", "no/such.npz"], "no/such.npz (--data) does not exist"),
        (["--rotation", "90"], "--rotation is for the photos of --real DIR"),
        (["--hflip", "--real-lines", "."], "--real-lines' lines are set upright: give --real"),
        (["--conditions", "nope"], "unknown condition nope: choose from all, plain, close"),
        (["--width", "64", "--height", "48"], "--width 64 --height 48: scene size 64x48 is below"),
        (
            ["--scenes", "9", "--digit-height", "1-2"],
            "python -m edge bench: error: argument --digit-height: digits under 10 px tall",
        ),
    ],
)
def test_bench_refuses_what_it_cannot_run_with_a_message(args, message):
    done = edge("bench", *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_bench_real_scores_labelled_photos_without_running_the_scenes(scenes, tmp_path):
    """Truth from the names in one folder and from truth.txt in another; each photo read as
    `recognize` reads it."""
    named, listed = tmp_path / "named", tmp_path / "listed"
    named.mkdir(), listed.mkdir()
    single = [s for s in scenes if len(s.labels) == 1][:1]
    for index, scene in enumerate([*single, *scenes[:2]]):
        prefix = scene.text if len(scene.labels) == 1 else f"seq-{scene.text}"
        cv2.imwrite(str(named / f"{prefix}_test_{index}.png"), scene.frame)
    cv2.imwrite(str(listed / "page.png"), scenes[2].frame)
    (listed / "truth.txt").write_text(f"page.png {scenes[2].text}\nlost.png 12\n")
    done = edge("bench", "--real", str(named), "--real", str(listed), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "models" not in report  # no scenes unless --scenes is given
    real = report["real"]
    assert real["model"].endswith(".tflite") and real["mounting"]["rotation"] == 0
    first, second = real["folders"]
    assert first["folder"] == str(named) and first["photos"] == len(single) + 2
    assert (
        sum(first[kind]["of"] for kind in ("single", "multi") if kind in first) == len(single) + 2
    )
    readings = json_lines(edge("recognize", str(named)).stdout)
    right = sum(
        Path(r["path"]).name.split("_")[0].removeprefix("seq-") == r["text"] for r in readings
    )
    assert sum(first[kind]["right"] for kind in ("single", "multi") if kind in first) == right
    assert second["photos"] == 2 and second["multi"]["of"] == 2
    lost = [miss for miss in second["misses"] if miss["file"] == "lost.png"]
    assert lost and lost[0]["reading"] is None and "error" in lost[0]
    table = edge("bench", "--real", str(listed))
    assert table.returncode == 0 and "lost.png  12  (unreadable)" in table.stdout


@pytest.mark.slow
def test_bench_reports_timings_memory_and_accuracy_for_both_models(mnist_path):
    done = edge("bench", "--scenes", "20", "--data", str(mnist_path), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["scenes"] == 20 and report["frame_size"] == [640, 480] and report["threads"] == 1
    assert list(report["conditions"]) == list(CONDITIONS)  # an equal share each
    assert sorted(report["conditions"].values()) == [2] * 10
    assert set(report["models"]) == {"int8", "float"}
    assert report["models"]["int8"]["quantized"] and not report["models"]["float"]["quantized"]
    for figures in report["models"].values():
        for stage in ("capture", "find", "read", "processing", "total"):
            assert 0 < figures["stage_ms"][stage]["median"] <= figures["stage_ms"][stage]["p95"]
        assert figures["digits_per_second"] > 0 and figures["read_us_per_digit"] > 0
        assert figures["peak_rss_mb"] > 0
        assert 0.5 <= figures["per_digit"] <= 1.0
        by_condition = figures["by_condition"]
        assert list(by_condition) == list(CONDITIONS)
        assert sum(c["scenes"] for c in by_condition.values()) == 20
        assert sum(c["correct_digits"] for c in by_condition.values()) == figures["correct_digits"]
    assert report["int8_read_vs_float"] > 0
    # The memory budget for the Pi, for the model the Pi runs. The figure depends on
    # how the libraries' files were written: the same process, the same files, 95 / 101 MB
    # (int8 / float) in a venv installed hours before, 135 / 141 MB in a fresh clone's
    # (and the float 150.2 MB in one CI run); numpy copied with `cp` 30 MB, with `tar` 25.
    assert report["models"]["int8"]["peak_rss_mb"] <= 150
    one = edge("bench", "--scenes", "2", "--conditions", "touching", "--data", str(mnist_path))
    assert one.returncode == 0, one.stderr
    assert "touching (2, " in one.stdout and "plain (" not in one.stdout


@pytest.mark.slow
def test_recognize_reads_generated_scenes_accurately(mnist_test, tmp_path):
    """Plain generated scenes (seed 0, 500 scenes), read through `recognize`: a guard at the
    level the bundled line reader measures (95.4 % exact, 98.21 % per digit). Issue #11 asks
    97 % / 99 % of the bench's scenes; the reader does not reach it yet (see README)."""
    scenes = make_scenes(mnist_test, 500, seed=0)
    write_scenes(scenes, tmp_path / "scenes")
    done = edge("recognize", str(tmp_path / "scenes"))
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stdout)
    readouts = [(ln["text"], [(tuple(d["box"]), d["digit"]) for d in ln["digits"]]) for ln in lines]
    figures = accuracy(scenes, readouts)
    assert figures["exact_readout"] >= 0.90, figures
    assert figures["per_digit"] >= 0.965, figures


def test_help_says_each_default_and_where_it_comes_from():
    top = edge("--help")
    assert "bench [--scenes N]" in top.stdout and "python -m edge run --help" in top.stdout
    text = " ".join(edge("run", "--help").stdout.split())  # as read, not as wrapped
    defaults = Settings()
    for dest, (section, key) in FLAG_SETTINGS.items():
        if dest not in ("model", "fps"):  # defaults said in words
            built_in = getattr(getattr(defaults, section), key)
            assert f"(default: [{section}] {key} from the config, else {built_in})" in text
    assert "(default: [model] path from the config, else the bundled int8 one)" in text
    assert (
        "(default: [source] fps from the config, else 30, a video file's own frame rate with "
        "--realtime)"
    ) in text


@pytest.mark.parametrize(
    ("command", "what_it_does"),
    [
        ([], "run the recognizer (default)"),
        (["run"], "Read digits from a camera"),
        (["recognize"], "Read image files"),
        (["bench"], "Time and score the int8 and float models"),
    ],
)
def test_every_command_explains_itself(command, what_it_does):
    done = edge(*command, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage: python -m edge" in done.stdout and what_it_does in done.stdout
    if command == ["bench"]:
        assert "--real" in done.stdout and "--conditions" in done.stdout and "dim" in done.stdout


def test_version_says_which_edge_digits_this_is():
    done = subprocess.run(
        [sys.executable, "-m", "edge", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == f"edge-digits {__version__}"


def test_a_source_the_config_names_is_named_by_its_key_and_a_flags_by_the_flag(tmp_path):
    config = tmp_path / "edge.toml"
    config.write_text('[source]\nname = "gone.mp4"\n')
    env = {**os.environ, "EDGE_DIGITS_CONFIG": ""}
    run = partial(subprocess.run, capture_output=True, text=True, timeout=120, env=env)
    by_file = run(edge_command("--config", str(config)))
    assert by_file.returncode == 2 and "Traceback" not in by_file.stderr
    assert by_file.stderr.startswith(
        f"edge: error: [source] name = 'gone.mp4' in {config} (a relative path is read from "
        f"the config's folder): {tmp_path / 'gone.mp4'} does not exist."
    )
    by_flag = run(edge_command("--config", str(config), "--source", "lost.mp4"))
    assert by_flag.stderr.startswith("edge: error: --source lost.mp4: lost.mp4 does not exist.")
