"""Frame sources on files written here (images, videos), and the Pi camera through a stand-in."""

import contextlib
import dataclasses
import http.server
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import cv2
import numpy as np
import pytest
from exif import with_exif_orientation
from mjpeg_stream import MjpegStream

from edge import sources
from edge.config import DEFAULT_FPS, SourceSettings
from edge.events import Sink, Stats
from edge.lines import FindSettings
from edge.model import LineModel
from edge.pipeline import DigitReader, FrameRead, Pipeline
from edge.reading import Stabilizer
from edge.recognize import recognize_file
from edge.scenes import SceneSettings, random_scene, sample_digits
from edge.sources import (
    CameraBusy,
    Capture,
    ImageFiles,
    PiCamera,
    SourceError,
    SourceUnavailable,
    UnreadableFrame,
    decode_image,
    image_paths,
    jpeg_is_complete,
    open_source,
    open_when_there,
    orient,
)


def picture(seed: int, size: tuple[int, int] = (120, 160)) -> np.ndarray:
    """A BGR picture with enough structure that a truncated JPEG of it is large."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (size[0] // 8, size[1] // 8, 3), dtype=np.uint8)
    return cv2.resize(small, (size[1], size[0]), interpolation=cv2.INTER_NEAREST)


def jpeg_bytes(image: np.ndarray, *params: int) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, list(params))
    assert ok
    return encoded.tobytes()


def test_exif_orientation_is_applied(tmp_path):
    # Stored 60 wide x 40 high with a black corner top-left; orientation 6 means "turn 90
    # degrees clockwise to view", so the viewer sees 40 wide x 60 high, the corner top-right.
    stored = np.full((40, 60, 3), 255, np.uint8)
    stored[:10, :10] = 0
    path = tmp_path / "phone.jpg"
    path.write_bytes(with_exif_orientation(jpeg_bytes(stored, cv2.IMWRITE_JPEG_QUALITY, 95), 6))
    upright = decode_image(path)[0]
    assert upright.shape == (60, 40, 3)
    assert upright[:8, -8:].mean() < 30
    assert upright[:8, :8].mean() > 220


def cornered(shape: tuple[int, ...]) -> np.ndarray:
    """A white frame 60 wide x 40 high with a black 10x10 corner top-left (grey or BGR)."""
    frame = np.full(shape, 255, np.uint8)
    frame[:10, :10] = 0
    return frame


@pytest.mark.parametrize("shape", [(40, 60), (40, 60, 3)])
@pytest.mark.parametrize(
    ("rotation", "hflip", "vflip", "size", "corner"),
    [
        (0, False, False, (40, 60), "top-left"),
        (90, False, False, (60, 40), "top-right"),  # turned clockwise
        (180, False, False, (40, 60), "bottom-right"),
        (270, False, False, (60, 40), "bottom-left"),
        (0, True, False, (40, 60), "top-right"),
        (0, False, True, (40, 60), "bottom-left"),
        (0, True, True, (40, 60), "bottom-right"),
        (90, True, False, (60, 40), "bottom-right"),  # mirrored to top-right first, then turned
        (90, False, True, (60, 40), "top-left"),
        (270, True, False, (60, 40), "top-left"),
        (180, True, True, (40, 60), "top-left"),
    ],
)  # fmt: skip
def test_orient_mirrors_then_turns_clockwise(shape, rotation, hflip, vflip, size, corner):
    turned = orient(cornered(shape), rotation, hflip, vflip)
    assert turned.shape[:2] == size and turned.shape[2:] == shape[2:]
    rows = slice(0, 10) if corner.startswith("top") else slice(-10, None)
    columns = slice(0, 10) if corner.endswith("left") else slice(-10, None)
    assert (turned == 0).sum() == (turned[rows, columns] == 0).sum() == turned[rows, columns].size


def test_orient_leaves_an_upright_frame_alone():
    frame = cornered((40, 60))
    assert orient(frame) is frame  # no copy on the per-frame path when nothing is asked


def test_every_replayed_source_is_oriented_as_the_camera_is_mounted(tmp_path):
    cv2.imwrite(str(tmp_path / "page.png"), cornered((40, 60, 3)))
    turned = open_source(SourceSettings(name=str(tmp_path), rotation=90, vflip=True))
    assert turned.description == "1 image file (turned 90°, mirrored top-bottom)"
    frame = turned.read()
    assert np.array_equal(frame.image, orient(cornered((40, 60, 3)), 90, vflip=True))
    assert frame.path.endswith("page.png") and turned.read() is None
    assert turned.stills  # turned, each file is still a picture of its own
    video = tmp_path / "clip.avi"
    write_video(video, 2)
    mirrored = open_source(SourceSettings(name=str(video), hflip=True, loop=True))
    assert "mirrored left-right" in mirrored.description
    assert mirrored.read().image.shape == (120, 160, 3) and mirrored.skip(1) == 1
    mirrored.close()
    demo = open_source(SourceSettings(name="demo", width=320, height=240, rotation=270))
    assert demo.read().image.shape[:2] == (320, 240) and demo.pace_fps == 30.0


def test_a_colour_photo_is_handed_over_in_colour(tmp_path):
    image = picture(1)
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), image)
    assert np.array_equal(decode_image(path)[0], image)


@pytest.mark.parametrize("cut", [2, 50, 1000])
def test_a_truncated_jpeg_is_unreadable(tmp_path, cut):
    data = jpeg_bytes(picture(2, (480, 640)))
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[:-cut])
    with pytest.raises(UnreadableFrame, match=r"cut.jpg.*truncated"):
        decode_image(path)


@pytest.mark.parametrize("progressive", [0, 1])
def test_whole_jpegs_are_complete_even_with_an_exif_block(progressive):
    data = with_exif_orientation(
        jpeg_bytes(picture(3, (240, 320)), cv2.IMWRITE_JPEG_PROGRESSIVE, progressive), 1
    )
    array = np.frombuffer(data, np.uint8)
    assert jpeg_is_complete(array)
    assert not jpeg_is_complete(array[:-2])
    assert not jpeg_is_complete(array[: len(array) // 2])


def test_a_truncated_png_is_unreadable(tmp_path):
    _, encoded = cv2.imencode(".png", picture(4))
    path = tmp_path / "cut.png"
    path.write_bytes(encoded.tobytes()[:-100])
    with pytest.raises(UnreadableFrame, match=r"cut.png: the PNG is truncated or corrupt"):
        decode_image(path)


@pytest.mark.parametrize(
    ("content", "message"), [(b"", "empty"), (b"not an image at all", "not a readable image")]
)
def test_a_file_that_is_not_an_image_is_unreadable(tmp_path, content, message):
    path = tmp_path / "notes.jpg"
    path.write_bytes(content)
    with pytest.raises(UnreadableFrame, match=message):
        decode_image(path)


def test_a_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFrame, match="cannot be read"):
        decode_image(tmp_path / "gone.jpg")


def test_a_jpeg_cut_inside_its_header_is_named_as_a_jpeg(tmp_path):
    path = tmp_path / "cut.jpg"
    path.write_bytes(jpeg_bytes(picture(4))[:300])
    with pytest.raises(UnreadableFrame, match=r"a JPEG file whose header is corrupt or cut short"):
        decode_image(path)


def _written_4071(ink: tuple[int, int, int], stored_ground: tuple[int, int, int]) -> np.ndarray:
    """BGRA: "4071" in `ink`, opaque, on transparent pixels whose stored colour is
    `stored_ground` (what an app leaves under them)."""
    image = np.zeros((120, 320, 4), np.uint8)
    image[..., :3] = stored_ground
    cv2.putText(image, "4071", (10, 95), cv2.FONT_HERSHEY_SIMPLEX, 3, (*ink, 255), 9)
    return image


@pytest.mark.parametrize(
    ("ink", "stored_ground", "ground"),
    [((0, 0, 0), (0, 0, 0), 255),  # dark writing over black made transparent: on white
     ((200, 30, 30), (0, 0, 0), 255),  # a blue pen's
     ((255, 255, 255), (255, 255, 255), 0)],  # chalk-like light strokes: on black
)  # fmt: skip
def test_a_transparent_background_is_laid_on_a_ground_the_writing_stands_out_on(
    tmp_path, ink, stored_ground, ground
):
    """Read as OpenCV stores it, the transparent pixels' colour is whatever the app left there,
    the same as the ink in the first case: the writing was invisible."""
    drawing = _written_4071(ink, stored_ground)
    path = tmp_path / "drawing.png"
    cv2.imwrite(str(path), drawing)
    image = decode_image(path)[0]
    assert image.shape == (120, 320, 3)
    opaque, clear = drawing[..., 3] == 255, drawing[..., 3] == 0  # (and smoothed edges)
    assert (image[clear] == ground).all()
    assert np.abs(image[opaque].astype(int) - ink).max() <= 1


@pytest.mark.parametrize(
    ("ink", "setting", "ground"),
    [((0, 0, 0), "light", 0),  # told light ink: a black ground, whatever the strokes look like
     ((255, 255, 255), "dark", 255),  # told dark ink: a white one
     ((0, 0, 0), "auto", 255)],  # auto: as the strokes look
)  # fmt: skip
def test_a_transparent_pictures_ground_follows_the_ink_the_user_set(tmp_path, ink, setting, ground):
    """The user's --ink is what the finder looks for: the ground must stand apart from that."""
    drawing, path = _written_4071(ink, (128, 128, 128)), tmp_path / "drawing.png"
    cv2.imwrite(str(path), drawing)
    clear = drawing[..., 3] == 0
    assert (decode_image(path, ink=setting)[0][clear] == ground).all()
    frame = open_source(SourceSettings(name=str(tmp_path)), ink=setting).read()
    assert (frame.image[clear] == ground).all()

    class StandInReader:  # what `recognize` hands the reader told this ink
        find = FindSettings(ink=setting)

        def read(self, image: np.ndarray) -> FrameRead:
            self.image = image
            return FrameRead((), None, 0.0, 0.0)

    reader = StandInReader()
    recognize_file(path, reader)  # type: ignore[arg-type]
    assert (reader.image[clear] == ground).all()


def test_a_palette_picture_with_a_transparent_colour_is_laid_on_a_ground_too(tmp_path):
    from PIL import Image

    written = _written_4071((0, 0, 0), (0, 0, 0))[..., 3] > 0
    palette = Image.fromarray(written.astype(np.uint8), "P")
    palette.putpalette([0, 0, 0, 10, 10, 10])  # index 0, transparent, is black too
    path = tmp_path / "palette.png"
    palette.save(path, transparency=0)
    image = decode_image(path)[0]
    assert (image[~written] == 255).all() and (image[written] == 10).all()


def test_a_folder_read_in_part_says_which_files_it_left_out(tmp_path, caplog):
    # A scan saved as a PDF and a file without a suffix are no image by their names: beside
    # images that are read, they were left out without a word. (An iPhone's .heic is a photo:
    # listed, and refused with what to do, `tests/test_hostile_images.py`.)
    cv2.imwrite(str(tmp_path / "a.png"), picture(5))
    (tmp_path / "scan.pdf").write_bytes(b"not read")
    (tmp_path / "noext").write_bytes(b"not read")
    (tmp_path / ".DS_Store").write_bytes(b"hidden")
    (tmp_path / "photo.heic").write_bytes(b"\x00\x00\x00\x18ftypheic")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")  # (a trial's: it was left out unnamed)
    with caplog.at_level(logging.WARNING, logger="edge.sources"):
        assert image_paths(str(tmp_path)) == [tmp_path / "a.png", tmp_path / "photo.heic"]
    [record] = caplog.records
    assert "3 files not read" in record.message and "(loop, noext, scan.pdf)" in record.message
    # (Not "convert it": no advice for a text file, which is left out as well.)
    assert "; to read such a file anyway, name it on the command line (read: " in record.message
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="edge.sources"):
        image_paths(str(tmp_path / "*.png"))  # a pattern leaves out what it does not match
    assert not caplog.records


def test_files_are_read_in_natural_order(tmp_path):
    """As a phone or a file manager lists them: h2 before h10, not h1, h10, h100, h2."""
    for name in ("h10.png", "h2.png", "h100.png", "h1.png", "h1b.png"):
        cv2.imwrite(str(tmp_path / name), picture(5))
    order = ["h1.png", "h1b.png", "h2.png", "h10.png", "h100.png"]
    assert [p.name for p in image_paths(str(tmp_path))] == order
    assert [p.name for p in image_paths(str(tmp_path / "h*.png"))] == order


def test_a_name_that_exists_is_read_as_it_is_even_with_glob_characters(tmp_path):
    """Phones and file managers name copies "scan [1].png" and folders "Photos [2024]": as a
    pattern, [1] would match a file named "scan 1.png", and [2024] none at all."""
    folder = tmp_path / "Photos [2024]"
    folder.mkdir()
    for name in ("scan [1].png", "scan 1.png"):
        cv2.imwrite(str(folder / name), picture(5))
    assert image_paths(str(folder / "scan [1].png")) == [folder / "scan [1].png"]
    assert image_paths(str(folder)) == [folder / "scan 1.png", folder / "scan [1].png"]
    assert image_paths(str(tmp_path / "Photos [[]2024]" / "scan [1].png")) == [
        folder / "scan 1.png"
    ]  # a name that does not exist is still a pattern: [1] matches "1"
    frame = open_source(SourceSettings(name=str(folder / "scan [1].png"))).read()
    assert frame.path == str(folder / "scan [1].png")


def test_a_folders_hidden_files_are_left_out_as_a_pattern_leaves_them(tmp_path):
    """A Mac writes "._IMG_1.png" beside each photo copied to a USB stick: no picture, it was
    read, failed, and made the run exit 1."""
    cv2.imwrite(str(tmp_path / "IMG_1.png"), picture(5))
    (tmp_path / "._IMG_1.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    assert image_paths(str(tmp_path)) == [tmp_path / "IMG_1.png"]
    assert image_paths(str(tmp_path / "*.png")) == [tmp_path / "IMG_1.png"]
    assert image_paths(str(tmp_path / "._IMG_1.png")) == [tmp_path / "._IMG_1.png"]  # named


def test_a_pattern_that_matches_nothing_for_its_brackets_says_how_to_write_one(tmp_path):
    folder = tmp_path / "Photos [1]"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), picture(5))
    with pytest.raises(
        SourceError, match=r"\[\.\.\.\] matches one of the characters inside: \[\[\] is a \["
    ):
        image_paths(str(folder / "*.png"))
    assert image_paths(str(tmp_path / "Photos [[]1]" / "*.png")) == [folder / "a.png"]


def test_a_broken_symlink_in_a_folder_is_listed_and_says_what_is_wrong(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), picture(5))
    (tmp_path / "b.png").symlink_to(tmp_path / "moved-away.png")
    assert image_paths(str(tmp_path)) == [tmp_path / "a.png", tmp_path / "b.png"]
    assert image_paths(str(tmp_path / "*.png")) == [tmp_path / "a.png", tmp_path / "b.png"]
    with pytest.raises(UnreadableFrame, match=r"b.png: a broken symlink"):
        decode_image(tmp_path / "b.png")
    with pytest.raises(SourceError, match=r"b.png is a broken symlink"):
        image_paths(str(tmp_path / "b.png"))


def test_a_symlink_loop_is_called_a_loop_named_alone_or_in_a_folder(tmp_path):
    """A loop leads to no file as a broken link does, but "its target does not exist" sends
    the user looking for a file that was never there."""
    cv2.imwrite(str(tmp_path / "a.png"), picture(5))
    (tmp_path / "loop.png").symlink_to(tmp_path / "back.png")
    (tmp_path / "back.png").symlink_to(tmp_path / "loop.png")
    listed = [tmp_path / "a.png", tmp_path / "back.png", tmp_path / "loop.png"]
    assert image_paths(str(tmp_path)) == listed  # each has its own line; the batch goes on
    assert image_paths(str(tmp_path / "*.png")) == listed
    loop = r"loop.png: a symlink loop \(its links lead back to themselves\); link it again"
    with pytest.raises(UnreadableFrame, match=loop):
        decode_image(tmp_path / "loop.png")
    with pytest.raises(SourceError, match=r"loop.png is a symlink loop: its links lead back"):
        image_paths(str(tmp_path / "loop.png"))
    with pytest.raises(SourceError, match=r"loop.png is a symlink loop") as error:
        open_source(SourceSettings(name=str(tmp_path / "loop.png")))
    assert "broken" not in str(error.value)


def test_a_pipe_is_not_read_named_or_in_a_folder(tmp_path):
    """Opening a pipe waits for a writer: a batch would stall on it."""
    cv2.imwrite(str(tmp_path / "a.png"), picture(5))
    os.mkfifo(tmp_path / "fifo.png")
    with pytest.raises(SourceError, match=r"fifo.png is not a regular file"):
        image_paths(str(tmp_path / "fifo.png"))
    assert image_paths(str(tmp_path)) == [tmp_path / "a.png"]


def test_image_paths_from_a_file_a_directory_and_a_glob(tmp_path):
    for name in ("b.png", "a.jpg", "c.JPEG"):
        cv2.imwrite(str(tmp_path / name), picture(5))
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub").mkdir()
    assert image_paths(str(tmp_path / "b.png")) == [tmp_path / "b.png"]
    expected = [tmp_path / "a.jpg", tmp_path / "b.png", tmp_path / "c.JPEG"]
    assert image_paths(str(tmp_path)) == expected
    assert image_paths(str(tmp_path / "*.*")) == expected


@pytest.mark.parametrize(
    ("spec", "problem"),
    [("missing-dir/*.jpg", "No images in the pattern"), ("empty", "No images in the directory"),
     ("no-such-file.jpg", "does not exist")],
)  # fmt: skip
def test_a_source_that_names_no_images_says_how_to_choose(tmp_path, spec, problem):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match=problem):
        image_paths(str(tmp_path / spec))
    with pytest.raises(SourceError, match=problem) as error:
        open_source(SourceSettings(name=str(tmp_path / spec)))
    assert "Choose one with --source" in str(error.value)


def test_a_folder_with_images_only_in_subfolders_says_how_to_ask_for_them(tmp_path):
    (tmp_path / "nested" / "a").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "nested" / "a" / "script_4071.png"), picture(5))
    spec = str(tmp_path / "nested")
    with pytest.raises(SourceError) as error:
        image_paths(spec)
    pattern = f"{spec}/**/*.png"
    assert str(error.value).endswith(
        f"its subfolders hold images but are not searched: '{pattern}' reads every level."
    )
    assert image_paths(pattern) == [tmp_path / "nested" / "a" / "script_4071.png"]
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(SourceError) as error:  # nothing deeper: nothing said of subfolders
        image_paths(str(tmp_path / "empty"))
    assert "subfolders" not in str(error.value)


def test_a_folder_read_one_level_deep_says_so_when_its_subfolders_hold_images(tmp_path, caplog):
    """Images beside subfolders of images: the subfolders were left out without a word."""
    (tmp_path / "day-2").mkdir()
    cv2.imwrite(str(tmp_path / "a.jpg"), picture(5))
    cv2.imwrite(str(tmp_path / "day-2" / "b.jpg"), picture(6))
    with caplog.at_level(logging.WARNING, logger="edge.sources"):
        assert image_paths(str(tmp_path)) == [tmp_path / "a.jpg"]
    [record] = caplog.records
    assert record.message == (
        f"{tmp_path}: read one level deep; its subfolders hold images but are not searched: "
        f"'{tmp_path}/**/*.jpg' reads every level"
    )


def test_a_dash_for_standard_input_says_it_is_not_read_as_dev_stdin_does():
    with pytest.raises(SourceError) as error:
        image_paths("-")
    assert str(error.value) == (
        "- (standard input) is not read, only image files are; save the image to a file."
    )


def test_recognize_given_a_video_points_to_the_source_that_reads_videos(tmp_path):
    write_video(tmp_path / "clip.avi", 2)
    (tmp_path / "clip.avi").rename(tmp_path / "clip.mp4")  # told by its name
    line = recognize_file(tmp_path / "clip.mp4", reader=None)  # type: ignore[arg-type]
    assert line["error"] == (
        f"{tmp_path}/clip.mp4: a video, not an image; recognize reads images, and "
        f"python -m edge --source {tmp_path}/clip.mp4 reads a video."
    )


def test_image_files_replay_in_order_and_a_bad_one_does_not_stop_the_rest(tmp_path):
    images = [picture(seed) for seed in range(3)]
    for index, image in enumerate(images):
        cv2.imwrite(str(tmp_path / f"{index}.png"), image)
    (tmp_path / "1b.png").write_bytes(b"broken")
    source = open_source(SourceSettings(name=str(tmp_path)))
    assert isinstance(source, ImageFiles) and source.pace_fps is None and source.stills
    assert np.array_equal(source.read().image, images[0])
    assert np.array_equal(source.read().image, images[1])
    with pytest.raises(UnreadableFrame, match=r"1b.png") as unreadable:
        source.read()
    assert unreadable.value.path == str(tmp_path / "1b.png")
    frame = source.read()
    assert np.array_equal(frame.image, images[2]) and frame.path == str(tmp_path / "2.png")
    assert source.read() is None


def test_image_files_loop_skip_and_pace(tmp_path):
    for index in range(3):
        cv2.imwrite(str(tmp_path / f"{index}.png"), picture(index))
    source = open_source(SourceSettings(name=str(tmp_path), loop=True, realtime=True, fps=12.5))
    assert source.pace_fps == 12.5
    names = []
    for _ in range(6):
        names.append(Path(source.read().path).name)
        source.skip(1)
    # The first pass reads every photo however far behind the pace the reader is (each is an
    # answer); later passes are a camera's view, and drop what a slow reader falls behind on.
    assert names == ["0.png", "1.png", "2.png", "0.png", "2.png", "1.png"]


def test_a_folder_paced_faster_than_it_is_read_leaves_out_no_photo_on_its_first_pass(tmp_path):
    for index in range(7):
        cv2.imwrite(str(tmp_path / f"{index}.png"), picture(index))
    source = open_source(SourceSettings(name=str(tmp_path), realtime=True, fps=200.0))

    class Slow(Sink):
        def on_frame(self, result, stats):
            time.sleep(0.05)  # ten frame times at 200 fps

    stats = Stats(model="m", model_bundled=True, quantized=True, source=source.description)
    Pipeline(source, DigitReader(LineModel(), 0.6), Stabilizer(1), [Slow()], stats).run()
    assert stats.frames + stats.failed_frames == 7 and stats.skipped_frames == 0


def write_video(
    path: Path, count: int, size: tuple[int, int] = (160, 120), fps: float = 10.0
) -> list[float]:
    """An MJPEG AVI of `count` frames at `fps`, each a different flat grey; their grey levels."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    levels = [float(40 + 20 * i) for i in range(count)]
    for level in levels:
        writer.write(np.full((size[1], size[0], 3), level, np.uint8))
    writer.release()
    return levels


def test_a_video_file_plays_to_its_end(tmp_path):
    path = tmp_path / "clip.avi"
    levels = write_video(path, 5)
    source = open_source(SourceSettings(name=str(path)))
    assert isinstance(source, Capture) and not source.stills  # a video's frames are a view
    seen = []
    while (frame := source.read()) is not None:
        assert frame.image.shape == (120, 160, 3) and frame.image.dtype == np.uint8
        assert frame.path == "" and frame.truth is None
        seen.append(float(frame.image.mean()))
    source.close()
    assert seen == pytest.approx(levels, abs=3)


def test_a_video_damaged_in_the_middle_says_so_once_where_it_ends(tmp_path):
    # OpenCV decodes an AVI cut short (or zeroed in the middle) up to the damage and then
    # reports its end: the run ended early, exit 0, without a word.
    whole = tmp_path / "clip.avi"
    write_video(whole, 40)
    cut = tmp_path / "cut.avi"
    cut.write_bytes(whole.read_bytes()[: int(0.6 * whole.stat().st_size)])
    source = open_source(SourceSettings(name=str(cut)))
    frames = 0
    with pytest.raises(UnreadableFrame, match=r"ends 1\.\d s into the 4\.0 s it declares"):
        while source.read() is not None:
            frames += 1
    assert 10 < frames < 30
    assert source.read() is None  # said once; then the end
    source.close()
    looping = open_source(SourceSettings(name=str(cut), loop=True))
    with pytest.raises(UnreadableFrame, match="damaged or cut short"):
        for _ in range(40):
            looping.read()
    looping.close()


def test_a_whole_video_a_slow_reader_skipped_frames_of_is_no_damaged_one(tmp_path):
    """The report: a 60 fps phone video replayed --realtime on a reader slower than that was
    said to end "after 147 of the 180 frames it declares: it is damaged or cut short" (the
    frames skipped were not counted), exit 1; looped, it stopped after one pass."""
    path = tmp_path / "clip.avi"
    write_video(path, 40)
    for loop in (False, True):
        source = open_source(SourceSettings(name=str(path), loop=loop))
        for _ in range(30):  # (twenty frames and their skipped ones, then the end: None)
            if source.read() is None:
                break
            source.skip(1)
        else:
            assert loop  # looped on past its end, frame after frame
        source.close()


def test_a_whole_video_at_a_variable_frame_rate_is_no_damaged_one(tmp_path):
    """The report: a WebM whose rate halves midway (a phone in dim light) was said to end
    "after 90 of the 119 frames it declares" (a count Matroska does not store: its duration
    at its mean rate), exit 1. (ffmpeg, which makes it, is installed by `.ci/run`.)"""
    path = tmp_path / "dim.webm"
    made = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=30:duration=4",
         "-vf", "select='lt(n,60)+not(mod(n,2))',setpts='if(lt(N,60),N/30,2+(N-60)/15)/TB'",
         "-fps_mode", "vfr", "-c:v", "libvpx-vp9", "-deadline", "realtime", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    source = open_source(SourceSettings(name=str(path)))
    frames = 0
    while source.read() is not None:
        frames += 1
    source.close()
    assert frames == 90


def test_a_looping_video_starts_again_and_skip_drops_frames(tmp_path):
    path = tmp_path / "clip.avi"
    levels = write_video(path, 4)
    source = open_source(SourceSettings(name=str(path), loop=True))
    seen = [float(source.read().image.mean()) for _ in range(6)]
    source.skip(1)
    seen.append(float(source.read().image.mean()))
    source.close()
    assert seen == pytest.approx(levels + levels[:2] + [levels[3]], abs=3)


def test_a_video_replayed_in_real_time_keeps_its_own_frame_rate_unless_fps_is_set(tmp_path, caplog):
    """A 10 fps recording replayed like a camera plays at 10 fps, not at the 30 asked of a
    camera; an fps the user set (--fps, [source] fps) paces it instead. Image files have no
    rate of their own: fps paces them, set or not."""
    video = tmp_path / "clip.avi"
    write_video(video, 3, fps=10.0)
    with caplog.at_level(logging.INFO, logger="edge.sources"):
        own = open_source(SourceSettings(name=str(video), realtime=True))
        assert own.pace_fps == pytest.approx(10.0)
        assert f"replaying {video} at its own frame rate, 10 fps" in caplog.text
        own.close()
        set_by_user = open_source(SourceSettings(name=str(video), realtime=True, fps=30.0))
        assert set_by_user.pace_fps == 30.0
        assert f"replaying {video} at 30 fps (--fps, [source] fps)" in caplog.text
        set_by_user.close()
        cv2.imwrite(str(tmp_path / "page.png"), picture(0))
        photos = open_source(SourceSettings(name=str(tmp_path / "page.png"), realtime=True))
        assert photos.pace_fps == DEFAULT_FPS
        assert f"replaying 1 image file at {DEFAULT_FPS:g} fps" in caplog.text
    flat_out = open_source(SourceSettings(name=str(video)))
    assert flat_out.pace_fps is None
    flat_out.close()


def test_a_video_whose_own_frame_rate_cannot_be_right_is_paced_at_the_default_and_says_so(
    tmp_path, caplog
):
    video = tmp_path / "clip.avi"
    write_video(video, 2, fps=1000.0)  # as some containers give their time base
    source = open_source(SourceSettings(name=str(video), realtime=True))
    source.close()
    assert source.pace_fps == DEFAULT_FPS
    assert f"{video} gives no frame rate to believe (1000 fps): replayed at 30 fps" in caplog.text


def test_a_webcam_or_stream_that_runs_out_says_so_itself(tmp_path, monkeypatch):
    """Running out is the end of a replay but a failure of a live capture: the source raises,
    once no frame has come for CAMERA_TIMEOUT_S (here 0.3 s)."""
    monkeypatch.setattr(sources, "CAMERA_TIMEOUT_S", 0.3)
    path = tmp_path / "clip.avi"
    write_video(path, 2)
    source = Capture(str(path), SourceSettings(loop=True), live=True)  # live never loops
    assert source.read() is not None and source.read() is not None
    with pytest.raises(
        SourceError,
        match=r"clip\.avi stopped delivering frames \(none for 0\.3 s: unplugged, or the stream "
        r"ended\)\. Check the connection and start again",
    ):
        source.read()
    source.close()


class _PhoneApp(MjpegStream):
    """A phone app's MJPEG stream, 20 frames a second, one part of it empty and one no JPEG."""

    interval = 0.05

    def part(self, index: int) -> bytes | None:
        return {5: b"", 10: bytes(range(256)) * 3}.get(index, self.frame) if index < 200 else None


def test_a_stream_goes_on_past_a_part_that_is_no_picture():
    """The report: a phone app's stream with one empty part ended the run after 5 frames, "stopped
    delivering frames", though the next parts were whole pictures (OpenCV's read fails on that
    one alone)."""
    _PhoneApp.frame = cv2.imencode(".jpg", picture(4))[1].tobytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PhoneApp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/video.mjpg"
        source = Capture(url, SourceSettings(), live=True)
        frames = [source.read() for _ in range(20)]
        source.close()
    finally:
        server.shutdown()
    assert all(frame is not None and frame.image.shape == (120, 160, 3) for frame in frames)


def test_a_file_that_is_not_a_video_says_what_to_do(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00" * 4096)
    with pytest.raises(SourceError, match="convert it to MP4"):
        open_source(SourceSettings(name=str(path)))


def test_an_empty_video_file_is_called_empty(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"")
    with pytest.raises(SourceError, match=r"clip\.mp4: the file is empty; copy it again"):
        open_source(SourceSettings(name=str(path)))


def test_a_video_named_as_a_picture_is_called_a_video(tmp_path):
    """It was told "not a readable image ... use a JPEG or PNG", which it never was."""
    write_video(tmp_path / "clip.avi", 3)
    (tmp_path / "clip.avi").rename(tmp_path / "clip.jpg")
    with pytest.raises(UnreadableFrame, match=r"clip\.jpg: not an image but an AVI video, named"):
        decode_image(tmp_path / "clip.jpg")


def mp4_boxes(*boxes: tuple[bytes, int]) -> bytes:
    """An MP4's top-level boxes, each (type, declared size) followed by that much filler, but
    the last, which holds only 16 bytes however large it says it is."""
    data = b""
    for kind, size in boxes:
        data += size.to_bytes(4, "big") + kind + bytes(max(0, size - 8))
    return data[: len(data) - max(0, boxes[-1][1] - 8) + 16]


def _box(kind: bytes, content: bytes) -> bytes:
    return (8 + len(content)).to_bytes(4, "big") + kind + content


# A sound track's handler box: version and flags, 4 bytes unused, its kind, 12 reserved, a name.
_sound = _box(b"hdlr", bytes(8) + b"soun" + bytes(12) + b"Sound\x00")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            mp4_boxes((b"ftyp", 28), (b"mdat", 75_942)),
            "the MP4 file is cut short (truncated); copy it again, or record it again.",
        ),
        (
            mp4_boxes((b"ftyp", 28), (b"mdat", 24)),
            "the MP4 file has no index ('moov' box): a recording that was not finished; copy "
            "it again, or record it again.",
        ),
        (  # a trial's: it was told to convert it to MP4, which it was
            mp4_boxes((b"ftyp", 28), (b"mdat", 24)) + _box(b"moov", _box(b"trak", _sound)),
            "the MP4 file holds no video track, only sound or other data: name the video "
            "itself, or save the recording with its picture.",
        ),
    ],
    ids=["truncated", "unfinished", "sound-only"],
)
def test_a_damaged_mp4_says_what_is_wrong_without_ffmpegs_own_words(tmp_path, data, problem):
    path = tmp_path / "broken.mp4"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-m", "edge", "--source", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "EDGE_DIGITS_CONFIG": ""},
        check=False,
    )
    assert done.returncode == 2
    # FFmpeg's "[mov,mp4,...] moov atom not found" is not the user's business; the line is.
    assert done.stderr == f"edge: error: Cannot open {path}: {problem}\n"


def test_a_file_that_is_neither_an_image_nor_a_video_is_said_to_be_neither(tmp_path):
    notes = tmp_path / "README.md"
    notes.write_text("# Notes\n\nNot a picture.\n")
    with pytest.raises(SourceError, match=r"README\.md: not an image or a video.*--source"):
        open_source(SourceSettings(name=str(notes)))


def test_a_file_named_neither_way_is_told_by_its_first_bytes(tmp_path):
    write_video(tmp_path / "clip.avi", 3)
    (tmp_path / "clip.avi").rename(tmp_path / "recording")
    video = open_source(SourceSettings(name=str(tmp_path / "recording")))
    assert isinstance(video, Capture) and video.read() is not None
    video.close()
    image = picture(0)
    (tmp_path / "scan.jfif").write_bytes(jpeg_bytes(image))
    photo = open_source(SourceSettings(name=str(tmp_path / "scan.jfif")))
    assert isinstance(photo, ImageFiles) and photo.read().image.shape == image.shape


def test_a_webcam_that_is_not_there(monkeypatch):
    with pytest.raises(SourceUnavailable, match=r"webcam 63.*no such camera"):
        open_source(SourceSettings(name="webcam:63"))  # unplugged: it may come
    with pytest.raises(SourceError, match="webcam number"):
        open_source(SourceSettings(name="webcam:front"))


def test_a_stream_that_does_not_answer():
    with pytest.raises(SourceUnavailable, match=r"nothing answers at 127.0.0.1:9 \(connection"):
        open_source(SourceSettings(name="http://127.0.0.1:9/video.mjpg"))  # its server down


class _WebServer(http.server.BaseHTTPRequestHandler):
    """A camera's web server: a page at /, a login at /private, nothing elsewhere."""

    def do_GET(self):
        if self.path == "/":
            body = b"<html><body><img src='/video.mjpg'></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/private":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="camera"')
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/hung.mjpg":  # a camera that answers and sends no picture
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            time.sleep(12)
        elif self.path == "/starting":
            self.send_error(503)
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    ("path", "said", "passing"),
    [
        ("/", "answered with text/html (a web page?), not a video stream; use the stream's", False),
        ("/private", "asks for a login (HTTP 401); put the user and password in the URL", False),
        ("/cam.mjpg", "answered HTTP 404 Not Found; check the URL's path", False),
        ("/starting", "answered HTTP 503 Service Unavailable (a camera starting up, or", True),
        ("/hung.mjpg", "sent no picture OpenCV could decode (a camera hung or still", True),
    ],
)
def test_a_stream_url_that_is_no_stream_says_what_the_server_answered(path, said, passing):
    # All three said "the stream does not answer; check ... that the server is running",
    # though the server had answered. What a setting mends is a setup error; a camera that
    # hung or is starting up may come back (`SourceUnavailable`: a service waits for it).
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WebServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://viewer:secret@127.0.0.1:{server.server_port}{path}"
        with pytest.raises(SourceError, match=re.escape(said)) as error:
            open_source(SourceSettings(name=url))
        assert "secret" not in str(error.value)
        assert isinstance(error.value, SourceUnavailable) == passing
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _tcp_server(answer: bytes | None) -> Iterator[int]:
    """A server on a free port of 127.0.0.1 (the port is yielded) that reads a request and
    sends `answer`; with None, one that accepts connections (the kernel completes them) and
    never says a word, as a hung camera does."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # the listener closed: the test is over
                return
            # (The probe's first connection only checks that one is taken: closed at once.)
            with connection, contextlib.suppress(OSError):
                connection.recv(1024)
                connection.sendall(answer)

    if answer is not None:
        threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_an_rtsp_server_that_accepts_but_never_answers_is_said_to_have_timed_out():
    # It was told "answers, but not with a stream OpenCV can open; check the URL's path, and its
    # user and password", though it had answered nothing at all.
    with _tcp_server(None) as port:
        problem = sources.stream_problem(f"rtsp://admin:secret@127.0.0.1:{port}/x", timeout=0.2)
    assert problem.why == (
        f"127.0.0.1:{port} accepted the connection but sent no RTSP answer within 0.2 s (timed "
        f"out); check that {port} is the camera's RTSP port (554 unless its settings say "
        "otherwise) and that the camera is up: restart it if it has hung."
    )
    assert problem.passing  # a hung camera, restarted, comes back


@pytest.mark.parametrize(
    ("answer", "said", "passing"),
    [
        (
            b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n",
            "answers, but not with a stream OpenCV can open",
            False,
        ),
        (
            b"HTTP/1.0 400 Bad Request\r\n\r\n",
            "answers over HTTP, not RTSP; check the URL's port",
            False,
        ),
        (b"", "accepted the connection, then closed it without an RTSP answer; check that", True),
    ],
    ids=["rtsp", "http", "closed"],
)
def test_an_rtsp_server_that_answers_is_told_by_what_it_answers(answer, said, passing):
    # What a setting can mend is no passing trouble; a server that closes at once may be a
    # camera starting up.
    with _tcp_server(answer) as port:
        problem = sources.stream_problem(f"rtsp://127.0.0.1:{port}/x", timeout=5)
    assert said in problem.why and problem.passing == passing


def test_a_stream_password_never_reaches_the_terminal_even_at_debug_level():
    """OpenCV's own log, on at -vv, printed the URL it was given, password and all ("CAP_IMAGES:
    File does not exist: rtsp://admin:secretpw@..."), past Python's logging."""
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]  # closed below: nothing listens there, refused at once
    url = f"rtsp://admin:secretpw@127.0.0.1:{port}/x?ch=1&token=secrettoken"
    done = subprocess.run(
        [sys.executable, "-m", "edge", "--source", url, "--max-frames", "1", "-vv"],
        capture_output=True,
        text=True,
        # (FFmpeg at its warnings, as a user may set it; an earlier test here quietened it)
        env={**os.environ, "OPENCV_FFMPEG_LOGLEVEL": "24", "EDGE_DIGITS_CONFIG": ""},
        check=False,
    )
    assert done.returncode == 1  # nothing answers: a camera that may come back
    output = done.stdout + done.stderr
    assert "secretpw" not in output and "secrettoken" not in output
    assert f"rtsp://***@127.0.0.1:{port}/x?ch=1&token=***" in done.stderr
    assert "Connection refused" in done.stderr  # FFmpeg's notes still show at -vv, redacted


@pytest.mark.parametrize(
    "printed",
    [
        "open rtsp://admin:pa%40ss@cam/x?pwd=1234&ch=1",  # as given
        "user admin password pa@ss",  # percent-decoded, outside any URL
        "Pattern: rtsp://cam/x?ch=1&pwd=1234",
    ],
)
def test_what_native_code_prints_about_a_credentialed_url_comes_out_redacted(capfd, printed):
    native = sources.RedactedNativeOutput("rtsp://admin:pa%40ss@cam/x?pwd=1234&ch=1")
    with native.caught():
        os.write(2, f"{printed}\n".encode())  # as OpenCV and FFmpeg write: to the descriptor
        os.write(1, b"said on stdout\n")
    native.close()
    out, err = capfd.readouterr()
    assert out == ""  # native notes are no data: they go to stderr
    assert "pa%40ss" not in err and "pa@ss" not in err and "1234" not in err
    assert "***" in err and "said on stdout" in err
    plain = sources.RedactedNativeOutput("rtsp://cam/x?ch=1")  # nothing to hide: left alone
    with plain.caught():
        os.write(1, b"on stdout\n")
    assert capfd.readouterr().out == "on stdout\n"


def test_apts_picamera2_unseen_from_a_virtual_environment_says_how_to_make_one_that_sees_it(
    monkeypatch, tmp_path
):
    # The README's first command makes a venv without the system's packages; on a Pi, apt's
    # picamera2 is then installed yet not importable, and "not installed" sent users to apt.
    monkeypatch.setitem(sys.modules, "picamera2", None)
    monkeypatch.setattr(sources, "APT_PACKAGES", tmp_path)
    (tmp_path / "picamera2").mkdir()
    monkeypatch.setattr(sys, "prefix", "/home/pi/edge-digits/.venv")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    assert sources.pi_camera_problem() == (
        f"picamera2 is installed ({tmp_path}) but this virtual environment "
        "(/home/pi/edge-digits/.venv) does not see the system's packages; make it with python3 "
        "-m venv --system-site-packages and pip install -e '.[pi]', or install with sudo "
        "deploy/install.sh"
    )
    monkeypatch.setattr(sys, "prefix", "/usr")  # no venv: apt's Python sees its own packages
    assert sources.pi_camera_problem().startswith("picamera2 is not installed")


def test_auto_without_any_camera_says_how_to_choose(monkeypatch):
    def no_webcam(target, settings, live):
        raise SourceError(f"Cannot open webcam {target}")

    monkeypatch.setattr(sources, "pi_camera_problem", lambda: "picamera2 is not installed")
    monkeypatch.setattr(sources, "Capture", no_webcam)
    with pytest.raises(SourceError) as error:
        open_source(SourceSettings(name="auto"))
    message = str(error.value)
    assert "picamera2 is not installed" in message and "no webcam 0" in message
    assert "--source" in message and "demo" in message


def test_picamera2_missing_is_a_clear_error_that_names_what_chose_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # what a desktop without it looks like
    monkeypatch.setattr(sources, "APT_PACKAGES", tmp_path)  # nor has apt installed it
    with pytest.raises(SourceError, match=r"^picamera2 is not installed.*--source"):
        open_source(SourceSettings(name="picamera2"))  # named by the flag: its own words
    key = "[source] name = 'picamera2' in deploy/config.toml"  # the Pi's config on a desktop
    with pytest.raises(SourceError) as error:
        open_source(SourceSettings(name="picamera2"), named_by=key)
    assert str(error.value).startswith(f"{key}: picamera2 is not installed")


class StandInPicamera2:
    """The part of picamera2's API the source uses, returning YUV420 like the real lores stream.

    Its arrays are (h * 3 / 2, stride) with the stride wider than the image, as on a Pi.
    """

    cameras: ClassVar[list[dict]] = [{"Model": "imx708"}]
    frame_ns = 33_333_333
    instances: ClassVar[list["StandInPicamera2"]] = []

    def __init__(self):
        self.sensor_resolution = (4608, 2592)
        self.configured = None
        self.camera_config = None
        self.started = self.closed = False
        self.sensor_ns = 1_000_000_000
        self.gaps = iter([1, 1, 3, 1])  # frame 3 comes three frame times after frame 2
        StandInPicamera2.instances.append(self)

    @staticmethod
    def global_camera_info():
        return StandInPicamera2.cameras

    def create_video_configuration(self, main, lores, controls, transform=None):
        self.transform = transform  # what libcamera was asked to do to the sensor's picture
        return {"main": dict(main), "lores": dict(lores), "controls": dict(controls)}

    def align_configuration(self, config):
        config["lores"]["size"] = (
            config["lores"]["size"][0] // 32 * 32,
            config["lores"]["size"][1],
        )

    def configure(self, config):
        self.configured = config
        self.camera_config = config

    def start(self):
        self.started = True

    def stop(self):
        self.started = False

    def close(self):
        self.closed = True

    def capture_arrays(self, names, wait=None):
        assert names == ["lores"] and wait
        width, height = self.camera_config["lores"]["size"]
        yuv = np.full((height * 3 // 2, width + 64), 128, np.uint8)
        yuv[:height, :width] = np.arange(width) % 200  # the Y plane: a ramp, never 128
        self.sensor_ns += next(self.gaps) * self.frame_ns
        return [yuv], {"SensorTimestamp": self.sensor_ns, "FrameDuration": self.frame_ns // 1000}


@dataclass(frozen=True)
class StandInTransform:
    """libcamera.Transform as picamera2's users make it: mirrors only (the Pi's ISP cannot
    transpose, so it cannot turn by 90 degrees)."""

    hflip: bool = False
    vflip: bool = False


@pytest.fixture
def stand_in_picamera2(monkeypatch):
    module = types.ModuleType("picamera2")
    module.Picamera2 = StandInPicamera2
    monkeypatch.setitem(sys.modules, "picamera2", module)
    libcamera = types.ModuleType("libcamera")
    libcamera.Transform = StandInTransform
    monkeypatch.setitem(sys.modules, "libcamera", libcamera)
    StandInPicamera2.instances.clear()
    return StandInPicamera2


def test_a_pi_camera_another_program_holds_says_so(stand_in_picamera2, monkeypatch):
    """picamera2 fails in its constructor when the camera is taken (the service runs, and a
    user starts edge by hand): that was a traceback, and under systemd a restart loop."""

    def taken(self):
        raise RuntimeError("Camera __init__ sequence did not complete.")

    monkeypatch.setattr(stand_in_picamera2, "__init__", taken)
    key = "[source] name = 'picamera2' in /etc/edge-digits/config.toml"
    with pytest.raises(CameraBusy) as error:  # exits 1, which systemd restarts, not 2
        open_source(SourceSettings(name="picamera2"), named_by=key)
    assert str(error.value) == (
        f"{key}: The Pi camera cannot start (Camera __init__ sequence did not complete.); is "
        "another program using it? (the service: sudo systemctl stop edge-digits; or "
        "rpicam-hello)"
    )


def test_picamera2_gives_the_lores_y_plane_and_counts_dropped_frames(stand_in_picamera2):
    source = open_source(SourceSettings(name="picamera2", width=330, height=240, fps=30.0))
    camera = stand_in_picamera2.instances[0]
    assert isinstance(source, PiCamera) and source.pace_fps is None and not source.stills
    assert camera.configured["lores"]["format"] == "YUV420"
    assert camera.configured["main"]["size"] == (660, 480)
    assert camera.configured["controls"] == {"FrameRate": 30.0}
    assert source.description == "picamera2 320x240"  # as aligned by the camera
    frames = [source.read() for _ in range(4)]
    assert all(f.image.shape == (240, 320) and f.image.dtype == np.uint8 for f in frames)
    assert np.array_equal(frames[0].image[5], np.arange(320) % 200)  # no padding, no chroma
    assert [f.skipped for f in frames] == [0, 0, 2, 0]
    source.close()
    assert camera.closed and not camera.started


@pytest.mark.parametrize(
    ("rotation", "hflip", "vflip", "asked", "left"),
    [
        (0, False, False, StandInTransform(), 0),
        (0, True, False, StandInTransform(hflip=True), 0),
        (0, False, True, StandInTransform(vflip=True), 0),
        (180, False, False, StandInTransform(hflip=True, vflip=True), 0),  # a half turn: both
        (180, True, False, StandInTransform(vflip=True), 0),
        (90, True, False, StandInTransform(hflip=True), 90),  # mirrored by libcamera, then turned
        (270, False, True, StandInTransform(vflip=True), 270),
    ],
)  # fmt: skip
def test_picamera2_asks_libcamera_to_mirror_and_turns_only_by_quarters_itself(
    stand_in_picamera2, rotation, hflip, vflip, asked, left
):
    settings = SourceSettings(name="picamera2", width=320, height=240)
    settings = dataclasses.replace(settings, rotation=rotation, hflip=hflip, vflip=vflip)
    source = open_source(settings)
    assert isinstance(source, PiCamera)  # it orients its own frames: no OpenCV mirroring
    assert stand_in_picamera2.instances[0].transform == asked
    y_plane = np.broadcast_to((np.arange(320) % 200).astype(np.uint8), (240, 320))
    # The stand-in's Y plane is what libcamera delivers already mirrored; only quarters remain.
    assert np.array_equal(source.read().image, orient(y_plane, left))
    assert source.description.startswith("picamera2 320x240")


def test_picamera2_that_stops_delivering_is_a_source_error(stand_in_picamera2, monkeypatch):
    def times_out(self, names, wait=None):
        raise TimeoutError

    source = open_source(SourceSettings(name="picamera2"))
    monkeypatch.setattr(stand_in_picamera2, "capture_arrays", times_out)
    with pytest.raises(SourceError, match=r"delivered no frame.*ribbon cable"):
        source.read()


def test_auto_prefers_the_pi_camera(stand_in_picamera2):
    assert isinstance(open_source(SourceSettings(name="auto")), PiCamera)


def test_picamera2_without_a_camera(stand_in_picamera2, monkeypatch):
    monkeypatch.setattr(stand_in_picamera2, "cameras", [])
    with pytest.raises(SourceError, match="sees no camera"):
        open_source(SourceSettings(name="picamera2"))


def test_demo_holds_each_generated_scene_in_view_like_a_page_held_up():
    source = open_source(SourceSettings(name="demo", width=320, height=240, fps=2.0))
    assert source.pace_fps == 2.0
    frames = [source.read() for _ in range(4)]  # 1.5 s at 2 fps: three frames per scene
    assert frames[0].image.shape == (240, 320, 3) and frames[0].image.dtype == np.uint8
    assert frames[1].image is frames[0].image and frames[2].image is frames[0].image
    assert not np.array_equal(frames[3].image, frames[0].image)
    assert source.skip(3) == 3
    assert not np.array_equal(source.read().image, frames[3].image)


def test_demo_frames_say_what_their_scene_has_written():
    """The demo's truth is the scene generator's own: the same seed makes the same scenes."""
    settings = SourceSettings(name="demo", width=320, height=240, fps=2.0)
    source = open_source(settings)
    assert not source.stills
    images, labels = sample_digits()
    rng = np.random.default_rng(0)
    for _ in range(3):
        scene = random_scene(images, labels, rng, SceneSettings(width=320, height=240))
        held = [source.read() for _ in range(3)]  # 1.5 s at 2 fps
        assert all(np.array_equal(f.image, scene.frame) for f in held)
        assert [f.truth for f in held] == [scene.text] * 3 and scene.text.isdigit()


def test_a_wrong_source_setting_is_not_waited_for_even_by_a_service():
    # Waiting mends a camera that comes back, never a setting: that is said at once (exit 2).
    waits = []
    with pytest.raises(SourceError, match="webcam number") as error:
        open_when_there(SourceSettings(name="webcam:front"), waiting=lambda *s: waits.append(s))
    assert not isinstance(error.value, SourceUnavailable) and waits == []


def test_a_webcam_waited_for_says_what_it_waits_for_in_one_status_line(monkeypatch):
    # `systemctl status` carried the whole advice on choosing another source at every try.
    said, camera = [], SimpleNamespace(description="webcam 3")
    unplugged = SourceUnavailable(
        f"Cannot open webcam 3: no such camera (is it plugged in?). {sources.CHOOSE_SOURCE}"
    )
    tries = iter([unplugged, camera])

    def open_source(*_args):
        tried = next(tries)
        if isinstance(tried, Exception):
            raise tried
        return tried

    monkeypatch.setattr(sources, "open_source", open_source)
    monkeypatch.setattr(sources.time, "sleep", lambda seconds: None)
    opened = open_when_there(SourceSettings(name="webcam:3"), waiting=lambda *s: said.append(s))
    assert opened is camera
    assert said == [
        (
            "waiting for the source: Cannot open webcam 3: no such camera (is it plugged in?).",
            sources.FIRST_RETRY_S + sources.OPEN_ALLOWANCE_S,
        )
    ]
