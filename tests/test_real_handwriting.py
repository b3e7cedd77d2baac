"""The bundled reader on real handwriting and on the conditions people report (issue #11).

`../shared/data/wild-cases/`: one image per reported condition, each with its right reading;
`rotate-180/` is a camera mounted upside down, which the user tells the device (rotation 180).
`../shared/data/real-dev/`: 140 real phone photos of single digits by 14 writers, truth in the
file names, and one whole-sheet photo of ten digits. Both are read exactly as `recognize` reads
a file (decode, orient, find lines, read).
"""

import math
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import pytest
from checkout import REPO
from PIL import Image

from edge.lines import FindSettings
from edge.model import LineModel
from edge.pipeline import DigitReader
from edge.reading import text_of
from edge.real_lines import set_on_page, writers_digits
from edge.recognize import recognize_file
from edge.scenes import stroke_width
from edge.sources import orient

DATA = REPO.parent / "shared" / "data"
WILD = DATA / "wild-cases"
REAL = DATA / "real-dev"


def truth_file(folder: Path) -> dict[str, str]:
    pairs = (line.split() for line in (folder / "truth.txt").read_text().splitlines() if line)
    return {name: digits for name, digits in pairs}


def named_truth(folder: Path) -> dict[str, str]:
    found = {}
    for path in sorted(folder.iterdir()):
        match = re.match(r"^seq-(\d+)_", path.name) or re.match(r"^(\d)_", path.name)
        if match:
            found[path.name] = match.group(1)
    return found


@pytest.fixture(scope="module")
def reader() -> DigitReader:
    return DigitReader(LineModel(), confidence=0.6, find=FindSettings())


# What the bundled reader still gets wrong, each marked so a fix shows up (strict: the suite
# fails when one starts to pass, so the mark is then removed). The bundled reader reads them all.
KNOWN_MISSES: dict[str, str] = {}


def cases(truth: dict[str, str]) -> list:
    return [
        pytest.param(
            name,
            digits,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[name])]
            if name in KNOWN_MISSES
            else [],
        )
        for name, digits in sorted(truth.items())
    ]


WILD_CASES = cases(truth_file(WILD)) if WILD.is_dir() else []
UPSIDE_DOWN = cases(truth_file(WILD / "rotate-180")) if WILD.is_dir() else []


@pytest.mark.slow
@pytest.mark.parametrize(("name", "digits"), WILD_CASES)
def test_a_wild_case_reads_right(reader, name, digits):
    line = recognize_file(WILD / name, reader)
    assert line.get("text") == digits, line


@pytest.mark.slow
@pytest.mark.parametrize(("name", "digits"), UPSIDE_DOWN)
def test_an_upside_down_camera_reads_right_with_rotation_180(reader, name, digits):
    upright = partial(orient, rotation=180, hflip=False, vflip=False)
    line = recognize_file(WILD / "rotate-180" / name, reader, upright)
    assert line.get("text") == digits, line


@pytest.mark.slow
def test_printed_boxes_and_lines_turned_on_the_page_read_right(reader):
    """The wild cases with print (boxes, a comb, an underline, a grid) turned 10, 15 and 20
    degrees either way, as a form lies askew under the camera. A box turned 15 degrees reaches
    into its digit's line image, and its sides read as 1s ("3" read "13", "31"): 52 of 54 read
    before its lines were shown fainter there (`edge.lines._BOX_SHOWN`)."""
    cases = {
        n: d for n, d in truth_file(WILD).items() if n.startswith(("digit-in", "under", "grid"))
    }
    wrong = []
    for name, digits in sorted(cases.items()):
        image = cv2.imread(str(WILD / name))
        h, w = image.shape[:2]
        border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
        for degrees in (-20, -15, -10, 10, 15, 20):
            turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
            paper = np.median(border, axis=0).tolist()
            turned = cv2.warpAffine(image, turn, (w, h), borderValue=paper)
            read = text_of(reader.read(turned).digits)
            if read != digits:
                wrong.append((name, degrees, read))
    assert len(cases) == 9 and not wrong


@pytest.mark.slow
def test_real_phone_photos_of_single_digits_read_at_least_97_percent(reader):
    truth = {name: d for name, d in named_truth(REAL).items() if len(d) == 1}
    assert len(truth) == 140
    misses, outside = {}, {}
    for name, digit in truth.items():
        line = recognize_file(REAL / name, reader)
        if line.get("text") != digit:
            misses[name] = line.get("text")
        # Every box within the photo: a digit filling it reached past its edge ("box":
        # [66, -4, 316, 428] on a 439 px photo), and a crop with it came from the other end.
        height, width = cv2.imread(str(REAL / name)).shape[:2]
        for x, y, w, h in (d["box"] for d in line.get("digits", [])):
            if not (min(x, y) >= 0 and min(w, h) >= 1 and x + w <= width and y + h <= height):
                outside[name] = (x, y, w, h)
    assert len(truth) - len(misses) >= 0.97 * len(truth), misses
    assert not outside, outside


def single_digits_read(reader, tmp_path: Path, seen_as) -> int:
    """How many of real-dev's single-digit photos read right once `seen_as(photo, index)`
    (the BGR photo and its place in name order -> the image written) changes each."""
    truth = sorted((name, d) for name, d in named_truth(REAL).items() if len(d) == 1)
    right = 0
    for index, (name, digit) in enumerate(truth):
        photo = cv2.imread(str(REAL / name), cv2.IMREAD_COLOR)
        path = tmp_path / f"{Path(name).stem}.png"
        cv2.imwrite(str(path), seen_as(photo, index))
        right += recognize_file(path, reader).get("text") == digit
    return right


def paper_of(photo: np.ndarray) -> tuple[float, ...]:
    """A photo's paper colour: the median of its border's pixels."""
    edge = np.concatenate([photo[0], photo[-1], photo[:, 0], photo[:, -1]])
    return tuple(float(v) for v in np.median(edge, axis=0))


@pytest.mark.slow
@pytest.mark.parametrize("long_side", [28, 48])
def test_real_photos_made_small_read_as_well_enlarged(reader, long_side, tmp_path):
    """A crop, a thumbnail, an MNIST-sized picture: real-dev's single digits made `long_side`
    px on their long side (area averaging) are searched enlarged (`edge.lines.find_lines`).
    Before, 48 px read 127 of 140 (most read nothing) and 28 px none (refused as under 32x32);
    now 140 and 136 (four 0s, 2s and 9s about 8 px tall and faint are missed at 28 px)."""

    def small(photo: np.ndarray, _: int) -> np.ndarray:
        scale = long_side / max(photo.shape[:2])
        return cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)

    assert single_digits_read(reader, tmp_path, small) >= {28: 133, 48: 137}[long_side]


@pytest.mark.slow
@pytest.mark.parametrize("dithered", [True, False], ids=["dithered", "thresholded"])
def test_real_photos_saved_at_one_bit_a_pixel_read_as_well(reader, dithered, tmp_path):
    """A fax, a scan in line-art mode, a dithered print: black and white pixels only. Dithered,
    a grey page is a field of dots, each a speck to the line finder: real-dev's photos so saved
    read 19 of 140; smoothed back into greys as they are decoded, 139 (thresholded: 136, 139)."""
    truth = {name: d for name, d in named_truth(REAL).items() if len(d) == 1}
    right = 0
    for name, digit in truth.items():
        grey = Image.open(REAL / name).convert("L")
        bilevel = grey.convert("1") if dithered else grey.point(lambda v: 255 * (v > 128))
        path = tmp_path / f"{Path(name).stem}.png"
        bilevel.convert("1", dither=Image.Dither.NONE).save(path)
        right += recognize_file(path, reader).get("text") == digit
    assert right >= 136


MARKERS = [(150, 45, 35), (40, 40, 190), (140, 50, 110)]  # blue, red, purple (BGR)


def in_a_thick_marker(photo: np.ndarray, index: int) -> np.ndarray:
    """The photo's writing redrawn in a marker (blue, red or purple by `index`), its strokes
    widened by a twentieth of the photo's short side, on the photo's own paper and light."""
    grey = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY).astype(np.float32)
    k = max(3, int(0.05 * min(grey.shape)) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    # The paper: the writing dilated away and smoothed, at a quarter size (a phone photo's
    # kernels are hundreds of pixels wide).
    small = cv2.resize(photo, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    wide = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3 * k // 4 + 1,) * 2)
    paper = cv2.GaussianBlur(cv2.dilate(small, wide), (0, 0), k / 4)
    size = (photo.shape[1], photo.shape[0])
    paper = cv2.resize(paper, size, interpolation=cv2.INTER_LINEAR).astype(np.float32)
    under = cv2.cvtColor(paper.astype(np.uint8), cv2.COLOR_BGR2GRAY).astype(np.float32)
    ink = np.clip(((under - grey) / np.maximum(under, 1) - 0.15) / 0.25, 0, 1)
    ink = cv2.GaussianBlur(cv2.dilate(ink, disc), (0, 0), 1.0)[..., np.newaxis]
    marker = np.array(MARKERS[index % len(MARKERS)], np.float32) * paper / 235.0
    return np.clip(paper * (1 - ink) + marker * ink, 0, 255).astype(np.uint8)


@pytest.mark.slow
def test_real_digits_in_a_thick_coloured_marker_read_as_in_their_own_pen(reader, tmp_path):
    """A digit in a blue, red or purple marker filling a photo: its strokes, wider than the
    closing that finds the paper round writing, were taken for coloured paper, and the frame
    balanced to make them grey (`edge.lines.paper_balance`). Real-dev's writing so redrawn:
    112 of 140 read before, 136 now (a handwriting font's bold blue digits: 19 of 460 photos
    lost)."""
    assert single_digits_read(reader, tmp_path, in_a_thick_marker) >= 133


@pytest.mark.slow
def test_the_whole_sheet_photo_reads_all_ten_digits_in_order(reader):
    [(name, digits)] = [(n, d) for n, d in named_truth(REAL).items() if len(d) > 1]
    assert recognize_file(REAL / name, reader).get("text") == digits


@pytest.mark.slow
def test_a_1_beside_a_digit_is_boxed_on_its_own_ink_not_on_the_digits_stroke(reader):
    """The report: a 1 written after a 7 was boxed three times its width, over blank paper and
    the end of the 7's bar (the bar's tip reached over the middle between the two). Each
    real-dev writer's 2, 3, 5 and 7, and their 1, photographed side by side: each digit's box
    is about as wide as the box it gets read alone (7 of those 96 boxes were not)."""
    too_wide, compared = [], 0
    for path in sorted(REAL.glob("1_*.png")):
        writer = path.name.split("_")[1]
        for first in (2, 3, 5, 7):
            pair = [
                cv2.resize(cv2.imread(str(p)), (200, 364))
                for p in (next(REAL.glob(f"{first}_{writer}_*.png"), None), path)
                if p is not None
            ]
            if len(pair) < 2:
                continue
            read = reader.read(np.hstack(pair)).digits
            alone = [reader.read(photo).digits for photo in pair]
            if [d.digit for d in read] != [first, 1] or any(len(a) != 1 for a in alone):
                continue  # (boxes of digits read as other digits say nothing here)
            compared += 1
            too_wide += [
                (first, writer, digit.box)
                for digit, [lone] in zip(read, alone, strict=True)
                if digit.box[2] > 1.5 * lone.box[2] + 6
            ]
    assert compared >= 40 and too_wide == []


@pytest.mark.slow
def test_a_1_written_touching_the_digit_beside_it_is_read(reader):
    """A 1 written touching its neighbour shares the reader's steps of that digit's edge and
    was left out however surely the line read ("10" read "0" at 0.99). Each real-dev writer's
    1 set before and after each of their other digits, touching and 0.05 heights apart
    (`edge.real_lines.set_on_page`): 438 of 504 read right before `_a_1_left_out` took a 1
    touching, 449 since; none read with a digit too many."""
    cuts, _ = writers_digits(REAL)
    rng = np.random.default_rng(51)
    right, longer, pages = 0, [], 0
    for writer in sorted(cuts):
        digits = cuts[writer]
        for text in (
            f"{a}{b}" for other in sorted(set(digits) - {1}) for a, b in ((1, other), (other, 1))
        ):
            for gap in (0.0, 0.05):
                page = set_on_page([digits[int(c)] for c in text], gap, 70, rng)
                read = text_of(reader.read(page).digits)
                pages += 1
                right += read == text
                if len(read) > len(text):
                    longer.append((writer, text, read))
    assert pages == 504 and right >= 445 and not longer, (right, longer)


@pytest.mark.slow
def test_real_photos_turned_30_degrees_are_mostly_read(reader, tmp_path):
    """A note stuck on askew, a camera mounted turned: real-dev's single digits turned 30
    degrees (to the left and to the right in turn) on their own paper (the median of the
    photo's border). One digit does not tell the line's direction, so it is cut level, and
    unsure, cut again turned (`edge.line_reader.LineReader.read`): 115 of 140 read before, 120
    with unsure readings cut turned (session 39), 123 with lines that read nothing too
    (session 40; upright, 140 either way)."""

    def turned(photo: np.ndarray, index: int) -> np.ndarray:
        h, w = photo.shape[:2]
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), 30 if index % 2 else -30, 1.0)
        return cv2.warpAffine(photo, turn, (w, h), borderValue=paper_of(photo))

    assert single_digits_read(reader, tmp_path, turned) >= 121


@pytest.mark.slow
def test_real_photos_seen_from_the_side_are_mostly_read(reader, tmp_path):
    """A camera looking at the page obliquely (about 53 degrees off square): real-dev's single
    digits squeezed to 0.6 of their height. A digit so squeezed is wider than the reader ever
    saw one and often reads nothing; such a line is read again squeezed along it
    (`edge.line_reader.LineReader.read`): 129 of 140 read before, 133 with that, 135 with a
    close-up's long strokes no longer taken for print (`edge.printed.pen_strokes`)."""

    def squeezed(photo: np.ndarray, _: int) -> np.ndarray:
        return cv2.resize(photo, None, fx=1.0, fy=0.6, interpolation=cv2.INTER_AREA)

    assert single_digits_read(reader, tmp_path, squeezed) >= 133


@pytest.mark.slow
def test_real_photos_foreshortened_are_mostly_read(reader, tmp_path):
    """A camera looking down at a slant: real-dev's single digits with a quarter of the top
    side (or of the right side, in turn) foreshortened, the frame filled with the photo's own
    paper (the median of its border). Long strokes of a close-up are long straight lines and
    were taken for print (a 4's stem, a 7's bar): 127 of 140 read; given back as pen strokes
    (`edge.printed.pen_strokes`), 130."""

    def foreshortened(photo: np.ndarray, index: int) -> np.ndarray:
        h, w = photo.shape[:2]
        square = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        k = 0.25
        if index % 2:
            seen = np.float32([[k * w, 0], [w - k * w, 0], [w, h], [0, h]])
        else:
            seen = np.float32([[0, 0], [w, k * h], [w, h - k * h], [0, h]])
        slant = cv2.getPerspectiveTransform(square, seen)
        return cv2.warpPerspective(photo, slant, (w, h), borderValue=paper_of(photo))

    assert single_digits_read(reader, tmp_path, foreshortened) >= 129


def a_sum(
    digits: dict[int, np.ndarray], text: str, height: int = 44, room: float = 0.4
) -> np.ndarray:
    """uint8 `[480, 640, 3]`: `text`, digits and + - = x signs, written on a white page in one
    writer's hand: the ink of their `digits` (`edge.real_lines.writers_digits`) `height` px
    tall, and signs half as tall about the digits' middle, in a pen a twelfth of it wide,
    with `room` (of `height`) after each sign, and that less 0.05 before it."""
    ink = np.zeros((480, 640), np.float32)
    x, top, pen = 60, 200, max(2, round(height / 12))
    size, middle = height // 2, 200 + height // 2
    for part in text:
        if part in "+-=x":
            x += round((room - 0.4) * height)  # (past the 0.35 a digit leaves after itself)
            for dy in (-size // 5, size // 5) if part == "=" else (0,):
                if part != "x":
                    cv2.line(ink, (x, middle + dy), (x + size, middle + dy), 1.0, pen, cv2.LINE_AA)
            if part == "+":
                stem = x + size // 2
                cv2.line(ink, (stem, middle - size // 2), (stem, middle + size // 2), 1.0, pen)
            if part == "x":
                half = round(0.4 * size)
                for dy in (-half, half):
                    start, end = (x, middle - dy), (x + 2 * half, middle + dy)
                    cv2.line(ink, start, end, 1.0, pen, cv2.LINE_AA)
            x += size + round(room * height)
            continue
        cut = digits[int(part)]
        width = max(1, round(cut.shape[1] * height / cut.shape[0]))
        scaled = cv2.resize(cut, (width, height), interpolation=cv2.INTER_AREA)
        region = ink[top : top + height, x : x + width]
        np.maximum(region, scaled, out=region)
        x += width + round(0.35 * height)
    grey = np.clip(235 * (1 - ink), 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def a_number(known: list[int], rng: np.random.Generator, length: int) -> str:
    """`length` digits drawn at random from `known`."""
    return "".join(str(known[i]) for i in rng.integers(0, len(known), length))


def writers_sums(
    rng: np.random.Generator, sign: Callable[[], str]
) -> Iterator[tuple[dict[int, np.ndarray], str, tuple[str, str, str]]]:
    """Three sums "a?b=c" by each of real-dev's 14 writers (a and c of two digits, b of one,
    drawn from the digits they wrote, ? a `sign()`): their digits' ink
    (`edge.real_lines.writers_digits`), the sum and its numbers."""
    cuts, _ = writers_digits(REAL)
    assert len(cuts) == 14
    for digits in (cuts[writer] for writer in sorted(cuts)):
        number = partial(a_number, sorted(digits), rng)
        for _ in range(3):
            a, b, c = number(2), number(1), number(2)
            yield digits, f"{a}{sign()}{b}={c}", (a, b, c)


@pytest.mark.slow
def test_real_writers_sums_read_their_digits_and_not_their_signs(reader):
    """A child's homework: "46 + 7 = 53" read "4647537", the reader knowing digits only. Three
    sums by each of real-dev's writers, their own digits with drawn + - = signs: before signs
    were told from digits (`edge.line_reader.written_symbols`), 1 of 42 read right, with 66
    signs read as digits; since, 38, with none (the misses are unsure or misread digits)."""
    rng = np.random.default_rng(45)
    right, signs_read = 0, []
    for digits, text, numbers in writers_sums(rng, lambda: "+" if rng.random() < 0.7 else "-"):
        read = text_of(reader.read(a_sum(digits, text)).digits)
        right += read == "".join(numbers)
        if len(read) > len("".join(numbers)):
            signs_read.append((text, read))
    assert right >= 36 and not signs_read, signs_read


@pytest.mark.slow
@pytest.mark.parametrize(("room", "least"), [(0.4, 32), (1.2, 35)])
def test_real_writers_sums_read_as_the_numbers_their_signs_part(reader, room, least):
    """A sum is numbers parted by signs: "46 + 7 = 53" was one line, "46753", on the console,
    the live page and in `lines`, and a times table's "5 x 3 = 15" "5315". Three sums (+, -
    or x, then =) by each of real-dev's writers, the signs `room` of the digits' height from
    the numbers: of those read right (34 of 42 written close, 37 written wide), before, none
    was parted into its numbers; now each is (`edge.line_reader.LineReader.read`): half of
    them by signs read as digits and left out, the rest by signs the reader read as blank
    (`edge.line_reader._marks_passed_over`)."""
    rng = np.random.default_rng(54)
    right, unparted = 0, []
    for digits, text, numbers in writers_sums(rng, lambda: "+-x"[rng.integers(3)]):
        read = reader.read(a_sum(digits, text, room=room))
        if text_of(read.digits) == "".join(numbers):
            right += 1
            if read.lines != numbers:
                unparted.append((text, read.lines))
    assert right >= least and not unparted, unparted


def ticked(
    digits: dict[int, np.ndarray], text: str, rng: np.random.Generator, height: int = 44
) -> np.ndarray:
    """uint8 `[480, 640, 3]`: `text` in one writer's hand (their `digits`' ink, `height` px
    tall, in blue) on a white page, and a teacher's tick after it in red: a V leaning right,
    1.0-1.3 of the digits' height, 0.6-1.0 as wide as tall, its lowest point 0.25-0.45 along
    it, its short arm starting 0.3-0.6 of its height down, in a pen a tenth of the digits'
    height wide, a little way off the answer."""
    page = np.full((480, 640, 3), 240.0, np.float32)
    ink = np.zeros((480, 640), np.float32)
    x, top = 60, 200
    for part in text:
        cut = digits[int(part)]
        width = max(1, round(cut.shape[1] * height / cut.shape[0]))
        region = ink[top : top + height, x : x + width]
        np.maximum(
            region, cv2.resize(cut, (width, height), interpolation=cv2.INTER_AREA), out=region
        )
        x += width + round(0.35 * height)
    page -= ink[..., np.newaxis] * (240.0 - np.float32([150, 60, 30]))  # blue ballpoint (BGR)
    tall = rng.uniform(1.0, 1.3) * height
    wide = rng.uniform(0.6, 1.0) * tall
    left = x + rng.uniform(0.2, 0.6) * height
    bottom = top + height + rng.uniform(0.0, 0.2) * height
    points = [
        (left, bottom - tall * (1 - rng.uniform(0.3, 0.6))),
        (left + rng.uniform(0.25, 0.45) * wide, bottom),
        (left + wide, bottom - tall),
    ]
    tick = np.zeros((480, 640), np.uint8)
    path = np.round(np.array(points)).astype(np.int32)
    cv2.polylines(tick, [path], False, 255, max(2, round(height / 10)), cv2.LINE_AA)
    red = tick[..., np.newaxis] / 255.0 * (240.0 - np.float32([50, 40, 210]))
    return np.clip(page - red, 0, 255).astype(np.uint8)


@pytest.mark.slow
def test_a_teachers_tick_beside_an_answer_is_no_digit(reader):
    """Marked homework: a red tick after an answer was read as a 1 ("61" read "611"). Three
    answers of 1-3 digits by each of real-dev's writers, each ticked: before ticks were told
    from 1s (`edge.line_reader._ticks`), 10 of 42 read right (31 with the tick read as a 1,
    one as two); since, 41."""
    cuts, _ = writers_digits(REAL)
    rng = np.random.default_rng(54)
    right, wrong = 0, []
    for digits in (cuts[writer] for writer in sorted(cuts)):
        known = sorted(digits)
        for _ in range(3):
            text = "".join(str(known[i]) for i in rng.integers(0, len(known), rng.integers(1, 4)))
            read = text_of(reader.read(ticked(digits, text, rng)).digits)
            right += read == text
            if read != text:
                wrong.append((text, read))
    assert len(cuts) == 14 and right >= 39, wrong


def with_slashes(
    digits: dict[int, np.ndarray], text: str, rng: np.random.Generator, height: int = 44
) -> np.ndarray:
    """uint8 `[480, 640, 3]`: `text`, digits and / slashes, written in black on a white page
    in one writer's hand (their `digits`' ink, `height` px tall); each slash a straight stroke
    1.2-1.4 of the digits' height, from 0.1-0.25 of it below their foot, leaning 20-30
    degrees right, in the writer's pen (as wide and as dark as their digits' strokes)."""
    ink = np.zeros((480, 640), np.float32)
    scaled = {
        part: cv2.resize(
            digits[int(part)],
            (max(1, round(digits[int(part)].shape[1] * height / len(digits[int(part)]))), height),
            interpolation=cv2.INTER_AREA,
        )
        for part in set(text) - {"/"}
    }
    strokes = [cut > 0.5 * cut.max() for cut in scaled.values()]
    pen = max(1, round(float(np.median([stroke_width(stroke) for stroke in strokes]))))
    dark = float(np.median([np.percentile(cut[cut > 0.3], 90) for cut in scaled.values()]))
    x, top = 40.0, 200
    for part in text:
        if part == "/":
            tall = rng.uniform(1.2, 1.4) * height
            foot = top + height + rng.uniform(0.1, 0.25) * height
            lean = tall * math.tan(math.radians(rng.uniform(20, 30)))
            start, end = (round(x), round(foot)), (round(x + lean), round(foot - tall))
            cv2.line(ink, start, end, dark, pen, cv2.LINE_AA)
            x += lean + round(0.3 * height)
            continue
        cut = scaled[part]
        region = ink[top : top + height, round(x) : round(x) + cut.shape[1]]
        np.maximum(region, cut, out=region)
        x += cut.shape[1] + round(0.3 * height)
    grey = np.clip(235 * (1 - ink), 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


@pytest.mark.slow
def test_a_dates_and_a_fractions_slashes_are_no_1s(reader):
    """A date's slashes were read as 1s ("9/12/2007" read "911212007"), and a fraction's
    ("3/8" read "318"). A date (d/m/yy) and a fraction by each of real-dev's writers, in
    their own digits: before slashes were told from 1s (`edge.line_reader._slashes`), 0 of
    28 read right; since, 21 (a fine pen's slash breaks up and still reads as a 1)."""
    cuts, _ = writers_digits(REAL)
    rng = np.random.default_rng(54)
    right, wrong = 0, []
    for digits in (cuts[writer] for writer in sorted(cuts)):
        number = partial(a_number, sorted(digits), rng)
        for text in (f"{number(1)}/{number(2)}/{number(2)}", f"{number(1)}/{number(1)}"):
            read = text_of(reader.read(with_slashes(digits, text, rng)).digits)
            right += read == text.replace("/", "")
            if read != text.replace("/", ""):
                wrong.append((text, read))
    assert len(cuts) == 14 and right >= 19, wrong
