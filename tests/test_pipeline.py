"""The loop with the real line finder and the bundled reader, fed frames built in the test (and,
for the events sinks get, a stand-in reader that finds a 7 at once)."""

import errno
import itertools
import logging
import math
import os
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_lines import (
    NOTES,
    PENS,
    dates_in_boxes,
    dimmed,
    ink_of,
    note_casting_a_shadow,
    on_turned_grid,
    page,
    ruled_page_turned,
)

from edge import pipeline as pipeline_module
from edge import sources
from edge.config import SourceSettings
from edge.events import DigitPrediction, FrameResult, Reading, Sink, Stats
from edge.ink import FrameError
from edge.line_reader import read_digits
from edge.lines import FindSettings, Line, LineGeometry, find_lines
from edge.model import LineModel
from edge.pipeline import (
    CAMERA_BLANK,
    FLAT,
    NO_DIGITS,
    STAGES,
    DigitReader,
    FrameRead,
    Pacer,
    Pipeline,
    is_single_colour,
)
from edge.reading import Stabilizer, overlap, text_of
from edge.scenes import (
    Scene,
    SceneSettings,
    inked_part,
    mixed_scenes,
    render_scene,
    sample_digits,
)
from edge.sources import (
    IMAGE_SUFFIXES,
    Frame,
    ImageFiles,
    SourceError,
    UnreadableFrame,
    open_source,
)


@pytest.fixture(scope="module")
def reader() -> DigitReader:
    return DigitReader(LineModel(), confidence=0.6)


@pytest.fixture(scope="module")
def scene(mnist_test) -> Scene:
    """Three clear MNIST test digits (the first 7, 2, 1 of the test set) written on paper."""
    images, labels = mnist_test
    return render_scene(images[:3], labels[:3], np.random.default_rng(7))


class ListSource:
    """Frames from a list (images, or whole Frames); an exception in the list is raised when its
    turn comes. With `stills`, each image is a file of its own, named page-N.png."""

    def __init__(self, items: list, pace_fps: float | None = None, stills: bool = False):
        self.items = list(items)
        self.pace_fps = pace_fps
        self.stills = stills
        self.description = "test frames"
        self.skipped: list[int] = []
        self._read = 0

    def read(self) -> Frame | None:
        if not self.items:
            return None
        item = self.items.pop(0)
        self._read += 1
        if isinstance(item, Exception):
            raise item
        if isinstance(item, Frame):
            return item
        return Frame(item, time.time(), path=f"page-{self._read}.png" if self.stills else "")

    def skip(self, count: int) -> int:
        dropped = min(count, len(self.items))
        self.skipped.append(dropped)
        del self.items[:dropped]
        return dropped

    def close(self) -> None:
        """Nothing held."""


class Recorder(Sink):
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.frames: list[FrameResult] = []
        self.readings: list[Reading] = []
        self.errors: list[tuple[str, str]] = []

    def on_start(self, stats: Stats) -> None:
        self.calls.append("start")

    def on_frame(self, result: FrameResult, stats: Stats) -> None:
        self.calls.append("frame")
        self.frames.append(result)

    def on_reading(self, reading: Reading, stats: Stats) -> None:
        self.calls.append("reading")
        self.readings.append(reading)

    def on_file_error(self, path: str, error: str, stats: Stats) -> None:
        self.calls.append("error")
        self.errors.append((path, error))

    def on_stop(self, stats: Stats) -> None:
        self.calls.append("stop")


def run(source: ListSource, reader: DigitReader, *sinks, stable_frames: int = 2, **kwargs):
    stats = Stats()
    pipeline = Pipeline(source, reader, Stabilizer(stable_frames), list(sinks), stats, **kwargs)
    pipeline.run()
    return stats


def test_a_scene_is_read_in_order_with_boxes_in_frame_pixels(reader, scene):
    read = reader.read(scene.frame)
    assert [d.digit for d in read.digits] == list(scene.labels)
    for digit, box in zip(read.digits, scene.boxes, strict=True):
        # The digit's ink, boxed in the line image and mapped back: around the true box, at
        # most twice its size (the end of a printed rule the digit touches may stick to it).
        assert overlap(digit.box, box) >= 0.9, (digit.box, box)
        assert digit.box[2] * digit.box[3] <= 2 * box[2] * box[3], (digit.box, box)
    assert read.empty_reason is None and read.find_ms > 0 and read.read_ms > 0


def touching(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """A grey 640x480 page with two MNIST digits written 100 px tall, their ink touching."""
    page = np.full((480, 640), 215.0, np.float32)
    x = 200
    for digit in (first, second):
        bx, by, bw, bh = cv2.boundingRect(digit)
        ink = cv2.resize(digit[by : by + bh, bx : bx + bw], None, fx=5, fy=5) / 255.0
        h, w = ink.shape
        region = page[300 - h : 300, x : x + w]
        np.minimum(region, 215 - 185 * ink, out=region)
        x += w - 3
    return page.astype(np.uint8)


def test_touching_digits_are_read_as_two_with_a_box_each(reader, mnist_test):
    images, labels = mnist_test
    zero, eight = images[np.flatnonzero(labels == 0)[0]], images[np.flatnonzero(labels == 8)[0]]
    read = reader.read(touching(zero, eight))
    assert [d.digit for d in read.digits] == [0, 8]
    first, second = (d.box for d in read.digits)
    assert first[0] < second[0] and first[0] + first[2] <= second[0] + second[2] // 2


def test_a_big_smudge_that_reads_nothing_does_not_hide_small_digits_below_it(reader, mnist_test):
    # The writing in a view is about one size, so a line far smaller than the tallest is
    # dropped; the tallest is the tallest line that reads: a smudge, a shadow or a table can
    # be the biggest dark thing in view.
    images, labels = mnist_test
    paper = np.random.default_rng(0).normal(225, 2, (480, 640)).clip(0, 255)
    for k, digit in enumerate((4, 0, 7, 1)):
        image = images[np.flatnonzero(labels == digit)[0]].astype(np.float64) / 255
        x, y, w, h = cv2.boundingRect(images[np.flatnonzero(labels == digit)[0]])
        glyph = cv2.resize(image[y : y + h, x : x + w], (round(w * 30 / h), 30))
        region = paper[420:450, 330 + 32 * k : 330 + 32 * k + glyph.shape[1]]
        region[:] = region * (1 - glyph.clip(0, 1)) + 30 * glyph.clip(0, 1)
    frame = paper.astype(np.uint8)
    cv2.ellipse(frame, (150, 150), (70, 120), 20, 0, 360, 90, -1)
    assert "".join(str(d.digit) for d in reader.read(frame).digits) == "4071"


def _with_a_faint_1(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """A page with two bold digits (MNIST images) 70 px tall and, between them, a 1 from a light
    hand: 4 px wide, its ends pressed as dark as the digits, its middle a third as dark."""
    page = np.full((480, 640), 225.0, np.float32)
    x, top, height = 200, 200, 70
    for digit in (first, None, second):
        if digit is None:
            along = np.abs(np.linspace(-1.0, 1.0, height))  # 0 mid-stroke, 1 at its ends
            darkness = 0.3 + 0.7 * np.clip((along - 0.5) / 0.4, 0, 1)  # pressed at its ends
            page[top : top + height, x : x + 4] = 225 - (225 - 40) * darkness[:, None]
            x += 4 + 21
            continue
        ink = inked_part(digit).astype(np.float32) / 255
        ink = cv2.resize(ink, (round(ink.shape[1] * height / ink.shape[0]), height))
        region = page[top : top + height, x : x + ink.shape[1]]
        region[:] = region * (1 - ink) + 40 * ink
        x += ink.shape[1] + 21
    return cv2.cvtColor(page.astype(np.uint8), cv2.COLOR_GRAY2BGR)


def test_a_faint_1_between_bold_digits_is_read(reader):
    # The line's ink is scaled to its boldest strokes: a light hand's 1 beside them was faint
    # in the line image and left out ("416" read "46"; real-dev's writer dcse's 1s in lines).
    images, labels = sample_digits()
    fours, sixes = np.flatnonzero(labels == 4), np.flatnonzero(labels == 6)
    read = [
        text_of(reader.read(_with_a_faint_1(images[four], images[six])).digits)
        for four, six in zip(fours[:10], sixes[:10], strict=True)
    ]
    assert read.count("416") >= 6, read  # 7 of 10


def test_a_line_read_only_unsurely_beside_writing_read_surely_is_left_out_unless_in_its_row():
    def line(*confidences, digit=7):
        return [DigitPrediction(digit, c, (0, 0, 10, 40)) for c in confidences]

    writing, stray = line(1.0, 0.995), line(0.8, digit=1)
    # A shadow's rim read as a 1 at 0.8, far below writing read at 0.99 and more: left out.
    row, below = (100, 100, 200, 60), (300, 400, 40, 30)
    assert pipeline_module._without_stray_lines([writing, stray], [row, below]) == [writing, []]
    # The same in the writing's row (a form's boxed digit, each box a line): kept.
    beside = (320, 110, 40, 50)
    kept = pipeline_module._without_stray_lines([writing, stray], [row, beside])
    assert kept == [writing, stray]
    # With no line read surely, nothing is judged a stray.
    unsure = line(0.95, 0.97)
    assert pipeline_module._without_stray_lines([unsure, stray], [row, below]) == [unsure, stray]


@pytest.mark.parametrize("length", [24, 32])
@pytest.mark.parametrize("apart", [140, 220])
def test_a_faint_straight_stroke_away_from_the_writing_is_no_1(reader, length, apart):
    # A note's edge, a shadow's rim or what is left of a grid's line: fainter and smaller
    # than the writing, away from it, read as a 1 ("68" read "681"). A number written as
    # small and faint there is read.
    canvas = np.zeros((480, 640), np.float32)
    ink = ink_of("68", 60)
    canvas[200:260, 200 : 200 + ink.shape[1]] = ink
    frame = page(canvas, at=(0, 0))
    x = 200 + ink.shape[1] + apart
    cv2.line(frame, (x, 215), (x + 3, 215 + length), (150, 150, 150), 2, cv2.LINE_AA)
    assert text_of(reader.read(frame).digits) == "68"
    note = ink_of("47", 30)
    canvas[215:245, 480 : 480 + note.shape[1]] = 0.35 * note
    assert text_of(reader.read(page(canvas, at=(0, 0))).digits) == "6847"


@pytest.mark.parametrize("label", ["ID", "Issued on"])
@pytest.mark.parametrize("grey", [120, 150])
def test_a_forms_label_printed_grey_alone_on_its_line_is_not_read(reader, label, grey):
    # A form's label printed above its row rather than beside it: its letters alone on their
    # line read as digits ("ID" as "10", "on" as "0"). It is fainter than the pen and smaller
    # than the writing. A row written in pencil beside the pen's, as tall, is writing.
    canvas = np.zeros((480, 640), np.float32)
    ink = ink_of("7453", 50, gap=0.5)
    canvas[240:290, 200 : 200 + ink.shape[1]] = ink
    frame = page(canvas, at=(0, 0), colour=PENS["blue"])
    at, font = (200, 220), cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(frame, label, at, font, 1.1, (grey,) * 3, 2, cv2.LINE_AA)
    assert text_of(reader.read(frame).digits) == "7453"
    pencil = ink_of("2024", 50, gap=0.5)
    canvas[:] = 0
    canvas[340:390, 200 : 200 + pencil.shape[1]] = pencil
    written = np.minimum(frame, page(canvas, at=(0, 0), colour=(grey,) * 3))
    assert text_of(reader.read(written).digits) == "74532024"


def test_a_line_far_taller_than_lines_read_surely_is_a_block_to_read_row_by_row():
    def line(height: float) -> Line:
        geometry = LineGeometry(320.0, 240.0, 0.0, 200.0, height)
        return Line(geometry, np.zeros((32, 64), np.uint8), np.eye(2, 3), (0, 0, 200, 0))

    def read(*confidences):
        return [DigitPrediction(None if c < 0.6 else 2, c, (0, 0, 10, 40)) for c in confidences]

    two_rows, third = line(102.0), line(48.0)
    # Two of a list's rows found as one block read "?2", beside its third row read surely:
    # the block is read again row by row (it was kept, its 2 being read).
    lines, per_line = [two_rows, third], [read(0.33, 0.67), read(0.996, 0.998, 0.999)]
    assert pipeline_module._blocks(lines, per_line) == [0]
    # Not when the block's polarity is in doubt (`unsure` False), nor when it is read surely
    # on the whole (a form's date read with its label above it, one digit unsure: its rows
    # read the label and the comb's ticks as digits), nor beside a line not read surely
    # either: then a big line beside small writing.
    assert pipeline_module._blocks(lines, per_line, unsure=False) == []
    date = read(0.965, 0.938, 0.938, 0.997, 0.996, 0.996, 0.574, 0.996)
    assert pipeline_module._blocks(lines, [date, per_line[1]]) == []
    assert pipeline_module._blocks(lines, [per_line[0], read(0.9, 0.95)]) == []
    # Nor when it is not far taller than the line read surely.
    assert pipeline_module._blocks([line(70.0), third], per_line) == []
    # Read as nothing, it is a block as before (with no line read surely, whatever its height).
    assert pipeline_module._blocks(lines, [[], per_line[1]]) == [0]
    assert pipeline_module._blocks([line(60.0), third], [[], read(0.9)]) == []


def test_cards_on_tables_are_mostly_read_exactly(reader):
    # The bench's sheet-on-table scenes (sample digits, seed 5), saved as the bench saves them:
    # a stretch of a card's edge or a shadow's rim read as a digit at under 0.9, beside writing
    # read at 0.99, made a read-out wrong. Measured: 55 of 60 before stray lines were left
    # out, 56 after.
    images, labels = sample_digits()
    scenes = mixed_scenes(images, labels, np.random.default_rng(5), 60, ["sheet-on-table"])
    right = 0
    for scene in scenes:
        jpeg = cv2.imencode(".jpg", scene.frame, [cv2.IMWRITE_JPEG_QUALITY, 95])[1]
        digits = reader.read(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)).digits
        right += [d.digit for d in digits] == list(scene.labels)
    assert right >= 56


def small_on_ruled_pages_read_exactly(reader, condition: str) -> int:
    """Of 180 scenes of `condition` (sample digits, seeds 5-7, saved as the bench saves them)
    with digits 14-22 px tall, every page ruled: how many read exactly."""
    images, labels = sample_digits()
    small = SceneSettings(digit_height=(14 / 480, 22 / 480), rules_prob=1.0)
    right = 0
    for seed in (5, 6, 7):
        rng = np.random.default_rng(seed)
        for scene in mixed_scenes(images, labels, rng, 60, [condition], small):
            jpeg = cv2.imencode(".jpg", scene.frame, [cv2.IMWRITE_JPEG_QUALITY, 95])[1]
            digits = reader.read(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)).digits
            right += [d.digit for d in digits] == list(scene.labels)
    return right


def test_small_digits_on_ruled_pages_are_mostly_read_exactly(reader):
    # Digits as tall as the rules are far apart: the band taken for print round each rule
    # held half a digit's ink, and what was left was too small to be a line, or taken for
    # what is left of the rules. Measured: 125 of 180 before strokes across thin rules were
    # given back to the writing (`edge.printed.strokes_across`), 130 after, 133 since a line
    # holding such strokes is writing however near the rules the rest of it lies.
    assert small_on_ruled_pages_read_exactly(reader, "plain") >= 133


@pytest.mark.parametrize("light", [0.06, 0.08, 0.1])
def test_digits_written_fainter_than_their_neighbour_in_a_dim_room_are_read(reader, light):
    # In a dim frame ink is asked to be twice as dark as in daylight, and a 0 and a 1 written
    # with less pressure than the 9 before them were left out: "901" read "9" (4 of these
    # 18 frames were read right before).
    canvas = np.zeros((480, 640), np.float32)
    for faint in (0.35, 0.4):
        for k, (digit, level) in enumerate((("9", 1.0), ("0", faint), ("1", faint))):
            ink = ink_of(digit, 60)
            canvas[200:260, 200 + 70 * k : 200 + 70 * k + ink.shape[1]] = ink * level
        for seed in (1, 2, 3):
            frame = dimmed(page(canvas, at=(0, 0)), light, seed)
            assert text_of(reader.read(frame).digits) == "901"


def test_small_digits_on_ruled_pages_in_dim_light_are_found_too(reader):
    # A dim frame is searched in luma, and its noise is no stroke across a rule when the
    # stroke must reach ink off the print. Measured: 80 of 180 with no strokes given back in
    # dim frames, 85 with them.
    assert small_on_ruled_pages_read_exactly(reader, "dim") >= 85


def test_digits_in_a_comb_with_ticks_are_read_without_a_1_for_a_tick(reader, mnist_path):
    # Held-out scenes (MNIST *training* digits) of the bench's boxes-grid condition, seeds 5
    # and 11 as in README's "Figures on the device path": printed boxes, combs and squared
    # paper. The ticks of a comb, before its first digit or after its last, were read as 1s
    # ("1680" read "11680"). Read here without the bench's JPEG round trip: 187 of 210 read
    # exactly before the ticks were erased from the line images, one of them a comb's 1680 as
    # 11680; 189 since.
    with np.load(mnist_path, allow_pickle=False) as npz:
        images, labels = npz["x_train"], npz["y_train"]
    scenes = [
        scene
        for seed, count in ((5, 60), (11, 150))
        for scene in mixed_scenes(
            images, labels, np.random.default_rng(seed), count, ["boxes-grid"]
        )
    ]
    read = [text_of(reader.read(scene.frame).digits) for scene in scenes]
    with_a_1 = [t for t, s in zip(read, scenes, strict=True) if t in ("1" + s.text, s.text + "1")]
    assert not with_a_1
    assert sum(t == s.text for t, s in zip(read, scenes, strict=True)) >= 189


def test_blank_paper_reads_nothing_and_says_why(reader):
    paper = np.random.default_rng(0).normal(200, 2, (480, 640)).clip(0, 255).astype(np.uint8)
    assert reader.read(paper).empty_reason == "no ink found"
    dash = paper.copy()
    cv2.line(dash, (200, 240), (260, 240), 40, 4)  # ink, but no digit
    read = reader.read(dash)
    assert read.digits == () and read.empty_reason == NO_DIGITS


def test_chalk_the_view_took_for_dark_ink_is_read_with_the_other_polarity(reader, scene):
    # A bench chalkboard scene (sample digits, seed 5): thin chalk on a green board, a shadow
    # across it, and the view as a whole looked like dark ink (`edge.lines.choose_ink`). Read
    # that way nothing reads surely. (Session 37's chalkboard here, index 38, looks like chalk
    # since a bright frame's grey level of rounding is not counted as ink either way.)
    images, labels = sample_digits()
    board = mixed_scenes(images, labels, np.random.default_rng(5), 300, ["chalkboard"])[76]
    found = find_lines(board.frame)
    assert found.ink == "dark" and found.ink_in_doubt
    read = reader.read(board.frame)
    assert "".join(str(d.digit) for d in read.digits) == board.text == "09"
    assert read.empty_reason is None
    # Told the ink, it is not second-guessed: the digits are not read (a rim of the chalk read
    # "?" at 0.31 level; since session 39, cut turned, "7" at 0.99).
    dark = DigitReader(reader.model, 0.6, FindSettings(ink="dark")).read(board.frame)
    assert "".join(str(d.digit) for d in dark.digits) != board.text
    # Pen on paper is no doubt dark ink: one look.
    assert not find_lines(scene.frame).ink_in_doubt


def test_a_polarity_read_surely_but_wrongly_gives_way_to_the_surer_other(reader):
    # Bench sheet-on-table scenes (sample digits, seeds 7 and 8) whose view looked like light
    # ink (a bright card on a dark table is as chalk on a board at its corners): read that
    # way, the card's edges or the digits' rims read as other digits, surely but less surely
    # than the writing reads as dark ink. (Chalkboards read as dark ink used to be such
    # frames; since a rim that goes on a darker thing is not a line, they read nothing so.)
    images, labels = sample_digits()
    # (Seeds 6 and 5's scenes 73 and 150 were such frames before the cards cast shadows.)
    for seed, index in ((7, 5), (8, 87)):
        # (A condition's scenes come one after another from its own stream: the first index + 1
        # of them are the first of the 300 of the bench's run.)
        rng = np.random.default_rng(seed)
        scene = mixed_scenes(images, labels, rng, index + 1, ["sheet-on-table"])[index]
        found = find_lines(scene.frame)
        assert found.ink == "light" and found.ink_in_doubt
        as_light = DigitReader(reader.model, 0.6, FindSettings(ink="light"))
        wrong = as_light.read(scene.frame).digits
        assert any(d.digit is not None for d in wrong)
        assert "".join(str(d.digit) for d in wrong) != scene.text
        assert "".join(str(d.digit) for d in reader.read(scene.frame).digits) == scene.text


@pytest.mark.parametrize(("text", "degrees"), [("4", 30), ("7", 25)])
def test_a_digit_turned_on_a_page_with_no_rules_is_read_from_a_turned_cut(reader, text, degrees):
    # Cut level, as nothing tells the line's direction, the 4 read "2" at 0.46 and the 7 "1"
    # at 0.63; cut turned 15 and 30 degrees towards upright, each reads surely.
    frame = ruled_page_turned(text, degrees, rules=False)
    [line] = find_lines(frame).lines
    level = read_digits(reader.model, line.image)
    assert "".join(str(d.digit) for d in level) != text
    [digit] = reader.read(frame).digits
    assert digit.digit == int(text) and digit.confidence >= 0.9


def test_digits_on_squared_paper_turned_in_view_are_read(reader):
    # 60 pages: squared paper turned 4-16 degrees, its grid ending inside the frame, pitches of
    # 24-40 px, lines 2 or 4 px wide and 45 or 70 % dark. Read exactly: 22 while a grid's lines
    # were opened along the frame's axes only, 43 along the page's own (`page_axes`) too.
    writing = page(ink_of("3103", 60, gap=0.5), at=(150, 170))
    right = 0
    for angle, pitch, darkness, thickness in itertools.product(
        (4, 6, 8, 12, 16), (24, 32, 40), (0.45, 0.7), (2, 4)
    ):
        frame = on_turned_grid(writing, angle, pitch, darkness, thickness)
        right += "".join(str(d.digit) for d in reader.read(frame).digits) == "3103"
    assert right >= 40


@pytest.mark.parametrize(
    "flat", [np.full((480, 640), 255, np.uint8), np.full((480, 640, 3), (30, 120, 200), np.uint8)]
)
def test_a_flat_image_reads_nothing_as_nothing_is_written_on_it(reader, flat):
    read = reader.read(flat)
    assert read.digits == () and read.empty_reason == FLAT


def test_frames_flow_to_sinks_and_a_stable_reading_is_emitted_once(reader, scene):
    recorder = Recorder()
    stats = run(ListSource([scene.frame] * 4), reader, recorder, stable_frames=2)
    assert recorder.calls == ["start", "frame", "frame", "reading", "frame", "frame", "stop"]
    assert [r.text for r in recorder.readings] == [recorder.frames[1].text]
    assert recorder.readings[0].frame_index == 1
    assert all(set(f.timings_ms) == set(STAGES) for f in recorder.frames)
    assert stats.frames == 4 and stats.readings == 1 and stats.failed_frames == 0
    assert stats.last_reading == recorder.readings[0].text
    assert set(stats.stage_ms) == set(STAGES) and stats.processed_fps > 0


def test_lines_of_writing_are_read_apart_as_well_as_in_reading_order(reader):
    # "123" above "456", and "12" and "34" far apart on one row: four numbers a person sees,
    # one text the score tools compare ("123456", "1234"), and each line apart.
    two = np.zeros((200, 400), np.float32)
    first, second = ink_of("123", 60), ink_of("456", 60)
    two[10:70, 20 : 20 + first.shape[1]] = first
    two[120:180, 40 : 40 + second.shape[1]] = second
    read = reader.read(page(two, at=(100, 100)))
    assert "".join(str(d.digit) for d in read.digits) == "123456"
    assert read.lines == ("123", "456")
    row = np.zeros((60, 560), np.float32)
    left, right = ink_of("12", 60), ink_of("34", 60)
    row[:, : left.shape[1]] = left
    row[:, 400 : 400 + right.shape[1]] = right
    assert reader.read(page(row, at=(40, 200))).lines == ("12", "34")


def test_a_picture_a_digit_high_is_read_with_boxes_in_its_own_pixels(reader):
    # 40x28 px, "58" written 18 px tall at (6, 5): refused before (under 32x32), it is
    # searched enlarged to the finder's size and its boxes mapped back.
    ink = ink_of("58", 18)
    frame = page(ink, at=(6, 5), size=(28, 40))
    read = reader.read(frame)
    assert "".join(str(d.digit) for d in read.digits) == "58"
    for digit in read.digits:
        x, y, w, h = digit.box
        assert x >= 5 and y >= 3 and x + w <= 40 and y + h <= 25 and 14 <= h <= 22
    [line] = find_lines(frame).lines
    assert line.box[2] <= 40 and line.box[3] <= 28
    assert line.geometry.height == pytest.approx(18, rel=0.1)


@pytest.mark.parametrize("length", [360, 450])
@pytest.mark.parametrize("turn", [0, 5, 10])
@pytest.mark.parametrize("pen", [(30, 30, 30), (140, 60, 30)])
def test_a_bare_1_in_a_fine_pen_filling_a_photo_reads_1(reader, length, turn, pen):
    # A straight 1 a fiftieth as wide as long, 360 or 450 px tall in a 600 px photo: taken
    # for a printed line (leaning, in pieces), it read nothing, "no ink found". (Measured: 6
    # of 46 handwriting fonts' 1s.)
    ink = np.zeros((600, 600), np.float32)
    dx, dy = (length / 2 * f(math.radians(turn)) for f in (math.sin, math.cos))
    ends = (round(300 + dx), round(300 - dy)), (round(300 - dx), round(300 + dy))
    cv2.line(ink, *ends, 1.0, round(length / 50))
    photo = page(ink, at=(0, 0), size=(600, 600), colour=pen)
    read = reader.read(cv2.GaussianBlur(photo, (0, 0), 1.0))
    assert text_of(read.digits) == "1"


@pytest.mark.parametrize("pen", ["blue", "black"])
def test_a_forms_dates_in_boxes_read_in_full(reader, pen):
    # Two rows of date fields, a digit to a cell: lines Hough found slanting through the rows
    # of boxes and digits were taken for a card's rules, and most digits with them.
    frame, _ = dates_in_boxes(["07 12 1956", "06 01 1987"], PENS[pen])
    assert text_of(reader.read(frame).digits) == "0712195606011987"


@pytest.mark.parametrize("labels", [("Issued on", "Expires"), ("Date of birth", "Date")])
@pytest.mark.parametrize("print_grey", [120, 150])
def test_a_forms_labels_printed_grey_are_not_read_as_digits(reader, labels, print_grey):
    # The label before its boxes is found with the date in one line, fainter than the writing
    # in the line image, which print's letters were looked for at no longer: "Issued" read as
    # 155 before the date.
    frame, _ = dates_in_boxes(["07 12 1956", "06 01 1987"], print_grey=print_grey, labels=labels)
    assert text_of(reader.read(frame).digits) == "0712195606011987"


@pytest.mark.parametrize("towards", [0, 45])
@pytest.mark.parametrize("note", ["yellow", "pink"])
def test_a_note_casting_a_shadow_on_a_grey_desk_reads_in_full(reader, note, towards):
    # The band of shadow past the note's edges was found with its writing, in one line the
    # size of the note, read as nothing.
    frame = note_casting_a_shadow(NOTES[note], (150, 150, 150), towards)
    assert text_of(reader.read(frame).digits) == "4071"


@pytest.mark.parametrize("desk", [(238, 238, 238), (150, 150, 150), (110, 140, 170)])
@pytest.mark.parametrize("note", ["yellow", "pink", "blue"])
def test_a_note_casting_a_sharp_shadow_beside_its_writing_reads_in_full(reader, note, desk):
    # Under a small lamp the shadow is a dark outline along the note's side, found as one line
    # with the writing (6 of these 9 read nothing or "?"); now a line of its own, which reads
    # nothing. (Along two sides, an outline round the note's corner can read as a 1 taller
    # than the writing, which is then not read: HISTORY.md, session 57.)
    frame = note_casting_a_shadow(NOTES[note], desk, towards=0, offset=8, soft=0.5)
    assert text_of(reader.read(frame).digits) == "4071"


@pytest.mark.parametrize("date", ["11 11 2011", "15 12 2011"])
@pytest.mark.parametrize("cell", [40, 48])
@pytest.mark.parametrize("drop", [-8, 0, 8])
def test_a_date_in_boxes_reads_wherever_in_its_cells_it_is_written(reader, date, cell, drop):
    # Written high or low in its cells, a date in a row of boxes read "2011", "5220", "20" or
    # nothing: its 1s, all alike, were taken for a comb's ticks (though the boxes' top line is
    # above them); Hough's segments 2 px off the boxes' top line, or through the digits' feet
    # and beside the bottom line (one side darker all along: "a sheet's edge"), took strokes.
    frame, _ = dates_in_boxes([date], cell=cell, drop=drop)
    assert text_of(reader.read(frame).digits) == date.replace(" ", "")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((480, 640), np.float32), "uint8"),
        (np.zeros((48, 64, 5), np.uint8), "shape"),
        (np.zeros((0, 640), np.uint8), "empty"),
        (np.zeros((0, 0, 3), np.uint8), "empty"),
        ([[1, 2], [3, 4]], "numpy array"),
        (np.zeros((12, 12), np.uint8), "got 12x12: too small to hold a digit"),
        (np.zeros((40, 3), np.uint8), "got 3x40: too small to hold a digit"),
    ],
)
def test_an_unusable_frame_is_refused_with_a_reason(reader, bad, message):
    with pytest.raises(FrameError, match=message):
        reader.read(bad)


def test_bad_frames_are_counted_and_logged_and_the_loop_goes_on(reader, scene, caplog):
    frames = [
        np.zeros((480, 640), np.float32),
        np.zeros((0, 0), np.uint8),
        UnreadableFrame("holiday.jpg: the JPEG is truncated (no end marker); copy it again."),
        scene.frame,
    ]
    recorder = Recorder()
    stats = run(ListSource(frames), reader, recorder)
    assert stats.failed_frames == 3 and stats.frames == 1
    assert [f.index for f in recorder.frames] == [3]
    assert "holiday.jpg" in caplog.text and "uint8" in caplog.text


def test_a_still_image_source_makes_one_reading_per_image_naming_it(reader, scene, mnist_test):
    """Photos are not a camera's frames: each is read once, as it is, even when two read alike,
    while the same frames from a camera make one reading after `stable_frames`."""
    images, labels = mnist_test
    other = render_scene(images[3:5], labels[3:5], np.random.default_rng(8))
    paper = np.random.default_rng(0).normal(200, 2, (480, 640)).clip(0, 255).astype(np.uint8)
    photos = [scene.frame, scene.frame, other.frame, paper]
    recorder = Recorder()
    stats = run(ListSource(photos, stills=True), reader, recorder, stable_frames=3)
    assert [r.path for r in recorder.readings] == [f"page-{n}.png" for n in range(1, 5)]
    assert [r.text for r in recorder.readings] == [scene.text, scene.text, other.text, ""]
    assert recorder.readings[3].empty_reason == "no ink found"
    assert [r.frame_index for r in recorder.readings] == [0, 1, 2, 3]
    assert stats.readings == 4 == stats.frames
    camera = Recorder()
    run(ListSource(photos), reader, camera, stable_frames=2)
    assert [r.text for r in camera.readings] == [scene.text]
    assert [r.path for r in camera.readings] == [""]


def photos_of(scene: Scene, folder: Path, *names: str) -> list[Path]:
    """The scene saved as a photo under each name in `folder`."""
    paths = [folder / name for name in names]
    for path in paths:
        cv2.imwrite(str(path), scene.frame)
    return paths


def test_one_photo_looped_says_its_reading_once_while_every_pass_is_shown(reader, scene, tmp_path):
    """--loop over one photo is a view that never changes: one reading, not one per pass; the
    live page still gets every frame."""
    (photo,) = photos_of(scene, tmp_path, "photo.png")
    recorder = Recorder()
    source = ImageFiles([photo], pace_fps=None, loop=True)
    stats = run(source, reader, recorder, stable_frames=2, max_frames=8)
    assert [(r.text, r.path) for r in recorder.readings] == [(scene.text, str(photo))]
    assert (stats.frames, stats.readings, stats.last_reading) == (8, 1, scene.text)
    assert [f.text for f in recorder.frames] == [scene.text] * 8


def test_looped_photos_each_say_theirs_once_then_only_what_the_view_holds_anew(
    reader, scene, mnist_test, tmp_path
):
    """Several photos looped: each file's reading on the first pass, as without --loop; then a
    camera's view of them, a reading once a new one holds (here: a file written over)."""
    images, labels = mnist_test
    other = render_scene(images[3:5], labels[3:5], np.random.default_rng(8))
    first, second = tmp_path / "1.png", tmp_path / "2.png"
    cv2.imwrite(str(first), scene.frame)
    cv2.imwrite(str(second), other.frame)
    recorder = Recorder()
    run(ImageFiles([first, second], None, loop=True), reader, recorder, max_frames=10)
    assert [(r.text, r.path) for r in recorder.readings] == [
        (scene.text, str(first)), (other.text, str(second))
    ]  # fmt: skip

    class WritesOver(Recorder):
        """Writes the other scene over the photo once its reading is said."""

        def on_reading(self, reading: Reading, stats: Stats) -> None:
            super().on_reading(reading, stats)
            cv2.imwrite(str(first), other.frame)

    changed = WritesOver()
    run(ImageFiles([first], None, loop=True), reader, changed, stable_frames=2, max_frames=8)
    assert [r.text for r in changed.readings] == [scene.text, other.text]
    assert [r.frame_index for r in changed.readings] == [0, 2]  # held for 2 frames


def test_a_looped_photo_written_over_beside_another_says_its_new_reading_alone(
    reader, scene, mnist_test, tmp_path
):
    """The report: with two photos looped, one written over never said its new reading (one
    view of both, 0 7 0 7, held nothing), and junk written over one had the other's reading
    said again. Each file is a view of its own."""
    images, labels = mnist_test
    other = render_scene(images[3:5], labels[3:5], np.random.default_rng(8))
    first, second = tmp_path / "1.png", tmp_path / "2.png"
    cv2.imwrite(str(first), scene.frame)
    cv2.imwrite(str(second), other.frame)
    steps = iter([lambda: second.write_text("junk"), lambda: cv2.imwrite(str(second), scene.frame)])

    class Changes(Recorder):
        """Junk over the second photo after the first pass, then a picture again."""

        def on_frame(self, result: FrameResult, stats: Stats) -> None:
            super().on_frame(result, stats)
            if result.index in (1, 4):  # (frame 3, the junk, fails: no frame result)
                next(steps)()

    recorder = Changes()
    run(ImageFiles([first, second], None, loop=True), reader, recorder, max_frames=12)
    said = [(r.frame_index, r.text, Path(r.path).name) for r in recorder.readings]
    assert said == [(0, scene.text, "1.png"), (1, other.text, "2.png"), (7, scene.text, "2.png")]
    assert [Path(path).name for path, _ in recorder.errors] == ["2.png"]  # junk: said once


def test_a_looped_photo_that_cannot_be_read_is_said_once(reader, scene, tmp_path):
    broken, good = tmp_path / "broken.png", tmp_path / "good.png"
    broken.write_text("a shopping list")
    cv2.imwrite(str(good), scene.frame)
    recorder = Recorder()
    stats = run(ImageFiles([broken, good], None, loop=True), reader, recorder, max_frames=6)
    assert [path for path, _ in recorder.errors] == [str(broken)]
    assert [r.path for r in recorder.readings] == [str(good)]
    assert (stats.failed_frames, stats.frames) == (3, 3)


def test_a_looped_photo_removed_after_it_was_read_is_said_to_fail_once(reader, scene, tmp_path):
    """The report: a photo removed during a --loop replay failed on every pass with no word
    (not at -v, not in --json), only counted in the closing summary."""
    first, second = photos_of(scene, tmp_path, "first.png", "second.png")

    class RemovesTheSecond(Recorder):
        def on_reading(self, reading: Reading, stats: Stats) -> None:
            super().on_reading(reading, stats)
            if reading.path == str(second):  # once both are read
                second.unlink()

    recorder = RemovesTheSecond()
    stats = run(ImageFiles([first, second], None, loop=True), reader, recorder, max_frames=8)
    assert [r.path for r in recorder.readings] == [str(first), str(second)]
    assert [path for path, _ in recorder.errors] == [str(second)]  # once, of 3 failed passes
    assert recorder.errors[0][1].startswith(f"{second}: cannot be read")
    assert stats.failed_frames == 3


def test_a_looped_folder_is_listed_again_for_each_pass(reader, scene, tmp_path):
    # A photo dropped into the folder joins the replay (the glob was expanded once).
    cv2.imwrite(str(tmp_path / "a.png"), scene.frame)

    class DropsAPhoto(Recorder):
        def on_frame(self, result: FrameResult, stats: Stats) -> None:
            super().on_frame(result, stats)
            cv2.imwrite(str(tmp_path / "b.png"), scene.frame)

    recorder = DropsAPhoto()
    source = open_source(SourceSettings(name=str(tmp_path), loop=True))
    run(source, reader, recorder, max_frames=4)
    assert [Path(f.path).name for f in recorder.frames] == ["a.png", "a.png", "b.png", "a.png"]


def test_a_looped_folders_photo_removed_leaves_and_put_back_says_its_reading_again(
    reader, scene, tmp_path
):
    """The report: a photo removed from a looped folder while it ran failed ("cannot be read",
    a failed frame) when its turn came in the pass listed before; and put back, it said
    nothing. It leaves without a failure, and joins again as a picture of its own."""
    _, second = photos_of(scene, tmp_path, "a.png", "b.png")

    class RemovesAndPutsBack(Recorder):
        def on_frame(self, result: FrameResult, stats: Stats) -> None:
            super().on_frame(result, stats)
            if result.index == 2:  # the second pass, listed with b: b goes before its turn
                second.unlink()
            elif result.index == 3:  # the third pass, a alone: b comes back
                cv2.imwrite(str(second), scene.frame)

    recorder = RemovesAndPutsBack()
    source = open_source(SourceSettings(name=str(tmp_path), loop=True))
    stats = run(source, reader, recorder, max_frames=6)
    read = [Path(f.path).stem for f in recorder.frames]
    assert read == ["a", "b", "a", "a", "a", "b"]  # (b left in the second pass, back in the 4th)
    assert [Path(r.path).name for r in recorder.readings] == ["a.png", "b.png", "b.png"]
    assert (stats.failed_frames, recorder.errors) == (0, [])


def test_a_looped_folder_emptied_waits_for_a_photo_without_failing_frames(
    reader, scene, tmp_path, monkeypatch, caplog
):
    """The report: a looped folder whose last photo was removed failed that photo on every
    frame ("cannot be read", counted as failed frames) until another was dropped in, and the
    closing figures still counted the files there at the start."""
    monkeypatch.setattr(sources, "RELIST_S", 0.01)
    (photo,) = photos_of(scene, tmp_path, "a.png")
    idle = []

    class EmptiesTheFolder(Recorder):
        def on_reading(self, reading: Reading, stats: Stats) -> None:
            super().on_reading(reading, stats)
            photo.unlink(missing_ok=True)

        def on_frame_taken(self, stats: Stats) -> None:
            idle.append(stats.source)
            if len(idle) == 5:  # a few looks at the empty folder, then two photos dropped in
                for name in ("b.png", "c.png"):
                    cv2.imwrite(str(tmp_path / name), scene.frame)

    recorder = EmptiesTheFolder()
    source = open_source(SourceSettings(name=str(tmp_path), loop=True))
    stats = run(source, reader, recorder, max_frames=3)
    assert [Path(r.path).name for r in recorder.readings] == ["a.png", "b.png", "c.png"]
    assert (stats.frames, stats.failed_frames, recorder.errors) == (3, 0, [])
    assert "0 image files" in idle and stats.source == "2 image files"
    waited = [r.getMessage() for r in caplog.records if "waiting for images" in r.getMessage()]
    assert waited == [
        f"No images in the directory {tmp_path} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})"
        "; waiting for images, looked for again every 0.01 s"
    ]


def test_what_is_written_goes_with_the_reading_when_the_source_knows_it(reader, scene):
    frames = [Frame(scene.frame, time.time(), truth=scene.text) for _ in range(3)]
    recorder = Recorder()
    run(ListSource([*frames, Frame(scene.frame, time.time())]), reader, recorder, stable_frames=2)
    assert [f.truth for f in recorder.frames] == [scene.text] * 3 + [None]
    (reading,) = recorder.readings
    assert (reading.text, reading.truth) == (scene.text, scene.text)


def test_a_blank_image_file_reads_nothing_and_a_blank_camera_frame_may_be_a_blind_camera(
    reader, caplog
):
    white = np.full((480, 640), 255, np.uint8)
    photos = Recorder()
    stats = run(ListSource([white], stills=True), reader, photos)
    assert [(r.path, r.text, r.empty_reason) for r in photos.readings] == [("page-1.png", "", FLAT)]
    assert (stats.frames, stats.failed_frames) == (1, 0)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    # A camera's flat frame is a frame read with nothing in it (a covered lens, a dark room),
    # not a failure; the operator is told once, as the reason changes, not every frame.
    stats = run(ListSource([white] * 3), reader, camera := Recorder())
    assert (stats.frames, stats.failed_frames) == (3, 0)
    assert [f.empty_reason for f in camera.frames] == [CAMERA_BLANK] * 3
    assert camera.readings == []  # nothing was in view before: no "it went away" reading
    (said,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert said == (
        "frame 0 reads nothing: the image is one flat colour: nothing is written on it, the lens "
        "is covered, or the camera is not exposing"
    )


def test_the_sinks_hear_of_every_frame_taken_whatever_it_holds(reader, scene):
    """The loop's pulse (the systemd watchdog's keep-alive): a frame taken is a sign of life
    whether it reads, reads nothing, or cannot be used; and the rates count it."""
    frames = [
        scene.frame,
        np.zeros((480, 640), np.uint8),
        UnreadableFrame("frame 2: torn"),
        np.zeros((480, 640), np.float32),
    ]
    taken = Taken()
    stats = run(ListSource(frames), reader, taken)
    assert taken.counts == [1, 2, 3, 4]  # frames + failed_frames, as each was taken
    assert (stats.frames, stats.failed_frames) == (2, 2)
    assert stats.processed_fps > 0


class Taken(Sink):
    """Counts the frames taken as the sinks hear of them (frames read plus frames failed)."""

    def __init__(self) -> None:
        self.counts: list[int] = []

    def on_frame_taken(self, stats: Stats) -> None:
        self.counts.append(stats.frames + stats.failed_frames)


def test_an_image_file_that_fails_is_said_to_the_outputs_and_a_camera_frame_only_logged(
    reader, scene, caplog
):
    truncated = UnreadableFrame("holiday.jpg: the JPEG is truncated; copy it again.", "holiday.jpg")
    photos = Recorder()
    source = ListSource([truncated, np.zeros((4, 4), np.float32), scene.frame], stills=True)
    stats = run(source, reader, photos)
    assert photos.calls == ["start", "error", "error", "frame", "reading", "stop"]
    assert photos.errors[0] == ("holiday.jpg", "holiday.jpg: the JPEG is truncated; copy it again.")
    assert photos.errors[1][0] == "page-2.png" and photos.errors[1][1].startswith("page-2.png: ")
    assert (stats.failed_frames, stats.frames) == (2, 1)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    camera = Recorder()
    run(ListSource([UnreadableFrame("frame 3: torn"), scene.frame]), reader, camera)
    assert camera.errors == [] and "frame 0 rejected: frame 3: torn" in caplog.text


def test_a_replay_that_ends_can_be_held_until_stop_with_the_sinks_up(reader, scene):
    """As the live page is held up when a video or photos end, until Ctrl-C."""
    recorder = Recorder()

    def hold() -> None:
        recorder.calls.append("held")
        asked = threading.Timer(0.3, lambda: (recorder.calls.append("stop()"), pipeline.stop()))
        asked.start()

    pipeline = Pipeline(
        ListSource([scene.frame] * 2), reader, Stabilizer(2), [recorder], Stats(), hold_at_end=hold
    )
    pipeline.run()
    assert recorder.calls == ["start", "frame", "frame", "reading", "held", "stop()", "stop"]
    assert pipeline.source_ended and pipeline.stopping
    recorder = Recorder()
    run(ListSource([scene.frame] * 2), reader, recorder, hold_at_end=hold, max_frames=1)
    assert "held" not in recorder.calls  # N frames asked for: the run ends at N


def test_a_paper_with_no_digits_is_not_a_failed_frame(reader):
    paper = np.full((480, 640), 200, np.uint8)
    paper[::7] = 190  # faint texture: a real, blank page
    stats = run(ListSource([paper]), reader, Recorder())
    assert (stats.frames, stats.failed_frames) == (1, 0)


def test_a_source_error_mid_run_reaches_the_caller_after_on_stop(reader, scene):
    recorder = Recorder()
    unplugged = SourceError("webcam 0 stopped delivering frames")
    with pytest.raises(SourceError, match="webcam 0"):
        run(ListSource([scene.frame, unplugged]), reader, recorder)
    assert recorder.calls == ["start", "frame", "stop"]


def test_a_failing_sink_does_not_stop_the_loop_or_the_other_sinks(reader, scene, caplog):
    class Broken(Recorder):
        def on_frame(self, result, stats):
            raise ConnectionError("broker gone")

    recorder = Recorder()
    stats = run(ListSource([scene.frame] * 3), reader, Broken(), recorder)
    assert stats.frames == 3 and len(recorder.frames) == 3
    assert "output Broken failed" in caplog.text and "broker gone" in caplog.text


def test_an_output_on_a_full_disk_is_one_line_a_run_goes_on_and_remembers_it(reader, scene, caplog):
    """Readings to stdout on a full disk: a traceback per reading said nothing that the error
    does not, and the run ended 0 although every reading was lost."""

    class FullDisk(Recorder):
        def on_frame(self, result, stats):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    recorder = Recorder()
    pipeline = Pipeline(
        ListSource([scene.frame] * 3), reader, Stabilizer(2), [FullDisk(), recorder], Stats()
    )
    pipeline.run()
    assert len(recorder.frames) == 3  # the others go on
    said = (
        "[Errno 28] No space left on device (is the disk full? free some space, or send the "
        "output elsewhere)"
    )
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]  # once in a while
    assert warning.getMessage() == f"output FullDisk failed: {said}; the run goes on"
    assert not warning.exc_info  # no traceback
    assert pipeline.failed_outputs == {"FullDisk": said}


def test_an_output_that_fails_by_a_bug_keeps_its_traceback_and_is_remembered(reader, scene, caplog):
    class Buggy(Recorder):
        def on_frame(self, result, stats):
            raise KeyError("digits")

    pipeline = Pipeline(ListSource([scene.frame]), reader, Stabilizer(2), [Buggy()], Stats())
    pipeline.run()
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert warning.getMessage() == "output Buggy failed; the run goes on"
    assert warning.exc_info is not None
    assert pipeline.failed_outputs == {"Buggy": "KeyError('digits')"}


class FailingOutput(Recorder):
    """An output that shows readings (`label`) and cannot write them: a full disk."""

    def __init__(self, label: str, failing: bool = True):
        super().__init__()
        self.label = label
        self.failing = failing

    def on_reading(self, reading, stats):
        super().on_reading(reading, stats)
        if self.failing:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_run_whose_every_output_fails_to_show_a_reading_stops(reader, scene, caplog):
    """A console on a full disk, the only output: the run read on for nothing until killed."""
    first, second, watcher = FailingOutput("the console"), FailingOutput("MQTT"), Recorder()
    frames = ListSource([scene.frame] * 10)
    pipeline = Pipeline(frames, reader, Stabilizer(2), [first, second, watcher], Stats())
    pipeline.run()
    assert len(watcher.readings) == 1 and len(watcher.frames) == 2 and pipeline.stopping
    [error] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert error == (
        "every output failed (MQTT, the console): the readings would be shown nowhere; stopping"
    )
    assert set(pipeline.failed_outputs) == {"the console", "MQTT"}


def test_a_run_goes_on_while_one_output_still_shows_its_readings(reader, scene, caplog):
    outputs = [FailingOutput("the console"), FailingOutput("the live page", failing=False)]
    watcher = Recorder()
    pipeline = Pipeline(
        ListSource([scene.frame] * 6), reader, Stabilizer(2), [*outputs, watcher], Stats()
    )
    pipeline.run()
    assert len(watcher.frames) == 6 and not pipeline.stopping
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert set(pipeline.failed_outputs) == {"the console"}


def test_stop_ends_the_loop_after_the_current_frame(reader, scene):
    class StopAfterTwo(Recorder):
        def on_frame(self, result, stats):
            super().on_frame(result, stats)
            if len(self.frames) == 2:
                pipeline.stop()

    sink = StopAfterTwo()
    pipeline = Pipeline(ListSource([scene.frame] * 10), reader, Stabilizer(3), [sink], Stats())
    pipeline.run()
    assert len(sink.frames) == 2 and sink.calls[-1] == "stop" and pipeline.stopping


def test_max_frames_limits_the_run(reader, scene):
    stats = run(ListSource([scene.frame] * 10), reader, Recorder(), max_frames=3)
    assert stats.frames == 3


def test_a_paced_replay_that_falls_behind_skips_frames_like_a_camera(reader, scene):
    class Slow(Recorder):
        def on_frame(self, result, stats):
            super().on_frame(result, stats)
            time.sleep(0.05)  # ten frame times at 200 fps

    source = ListSource([scene.frame] * 40, pace_fps=200.0)
    stats = run(source, reader, Slow())
    assert stats.skipped_frames == sum(source.skipped) > 0
    assert stats.frames + stats.skipped_frames == 40
    assert stats.camera_fps > stats.processed_fps


class ReadsASeven:
    """A reader that finds a 7 in any frame, at once: the loop without the model."""

    def read(self, image: np.ndarray) -> FrameRead:
        return FrameRead((DigitPrediction(7, 0.9, (0, 0, 4, 4)),), None, 0.1, 0.2)


class StatsRecorder(Sink):
    """Overrides only the stats event: every other one falls to Sink's no-op."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, float, dict[str, float]]] = []

    def on_stats(self, stats: Stats) -> None:
        self.seen.append((stats.frames, stats.processed_fps, dict(stats.stage_ms)))


def test_sinks_get_the_recomputed_figures_periodically_and_ignore_what_they_do_not_override(
    monkeypatch, caplog
):
    monkeypatch.setattr(pipeline_module, "STATS_INTERVAL_S", 0.05)

    class TenMsAFrame(Recorder):
        def on_frame(self, result, stats):
            time.sleep(0.01)

    sink, stats = StatsRecorder(), Stats()
    blank = ListSource([np.zeros((8, 8), np.uint8)] * 20)
    Pipeline(blank, ReadsASeven(), Stabilizer(1), [sink, TenMsAFrame()], stats).run()
    assert stats.frames == 20 and stats.readings == 1  # every kind of event was sent...
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert failed == []  # ...and the ones left to Sink's no-ops did not fail
    frames = [seen[0] for seen in sink.seen]
    assert 2 <= len(frames) < 20 and frames == sorted(set(frames))  # periodic, not per frame
    assert all(fps > 0 and stage_ms["find"] == 0.1 for _, fps, stage_ms in sink.seen)


def test_pacer_waits_when_early_and_counts_what_it_missed_when_late():
    pacer = Pacer(1000.0)
    assert pacer.wait() == 0
    time.sleep(0.02)  # at least 20 frame times
    assert pacer.wait() >= 19
    assert pacer.wait() == 0  # caught up: the next frame is due in the future again


def test_single_colour_means_every_pixel_alike():
    grey = np.full((4, 5), 9, np.uint8)
    assert is_single_colour(grey)
    grey[3, 4] = 10
    assert not is_single_colour(grey)
    bgr = np.zeros((4, 5, 3), np.uint8)
    bgr[..., 2] = 200
    assert is_single_colour(bgr)
    bgr[0, 0, 0] = 1
    assert not is_single_colour(bgr)


def test_why_a_frame_reads_nothing_is_logged_at_info_once_per_change(reader, scene, caplog):
    paper = np.random.default_rng(0).normal(200, 2, (480, 640)).clip(0, 255).astype(np.uint8)
    recorder = Recorder()
    with caplog.at_level(logging.INFO, logger="edge.pipeline"):
        run(ListSource([paper, paper, scene.frame, paper]), reader, recorder)
    said = [r.getMessage() for r in caplog.records if "reads nothing" in r.getMessage()]
    assert said == ["frame 0 reads nothing: no ink found", "frame 3 reads nothing: no ink found"]
    assert [f.empty_reason for f in recorder.frames] == ["no ink found"] * 2 + [None] + [
        "no ink found"
    ]


def test_at_debug_each_line_found_says_what_became_of_it(reader, caplog):
    """-vv: a frame's lines, each read, read as nothing, not read for its size or left out,
    and why; and digits read on a sign left out (a new user could not tell why a found line
    gave nothing)."""
    canvas = np.zeros((480, 640), np.float32)
    number = ink_of("46", 60)
    canvas[100:160, 100 : 100 + number.shape[1]] = number
    small = ink_of("3", 16)
    canvas[400:416, 500 : 500 + small.shape[1]] = small
    x = 100
    for part in ("7", "+", "5", "=", "12"):
        if part in "+=":
            for y in (310, 326) if part == "=" else (318,):
                cv2.line(canvas, (x, y), (x + 24, y), 1.0, 4)
            if part == "+":
                cv2.line(canvas, (x + 12, 306), (x + 12, 330), 1.0, 4)
            x += 44
            continue
        ink = ink_of(part, 50)
        canvas[293:343, x : x + ink.shape[1]] = ink
        x += ink.shape[1] + 20
    with caplog.at_level(logging.DEBUG, logger="edge"):
        read = reader.read(page(canvas, at=(0, 0)))
    assert text_of(read.digits) == "46" + "7512"
    said = caplog.text
    assert "read '46'" in said and "read '7512'" in said
    assert "2 written sign(s) (+, - or =) left out" in said
    assert "not read: 16 px tall, under 0.4 of the tallest line read" in said
