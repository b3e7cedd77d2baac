"""Mutated image files for fuzzing the image reader: valid seeds in seven formats, then byte
flips, hostile declared sizes (with the checksums that guard them fixed), truncation, splices.

`write_corpus(folder, count, seed)` is deterministic: the same seed writes the same files.
"""

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from exif import with_exif_orientation
from PIL import Image

INTERESTING = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF,
               0x80000000, 0xFFFFFFFF)  # fmt: skip


def page(rng: np.random.Generator, width: int = 96, height: int = 64) -> np.ndarray:
    """A small BGR picture of digits in coloured ink on off-white paper."""
    image = np.full((height, width, 3), rng.integers(200, 250, 3), np.uint8)
    for index in range(3):
        colour = tuple(int(c) for c in rng.integers(0, 160, 3))
        text = str(int(rng.integers(0, 10)))
        cv2.putText(image, text, (8 + 28 * index, height - 16), 0, 1.2, colour, 2)
    return image


def _pillow(image: np.ndarray, fmt: str, mode: str = "RGB", **options) -> bytes:
    picture = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).convert(mode)
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def _cv(image: np.ndarray, suffix: str, *params: int) -> bytes:
    ok, encoded = cv2.imencode(suffix, image, list(params))
    assert ok
    return encoded.tobytes()


SEEDS: dict[str, list[Callable[[np.ndarray], bytes]]] = {
    "png": [
        lambda im: _cv(im, ".png"),
        lambda im: _pillow(im, "PNG", "P"),
        lambda im: _pillow(im, "PNG", "RGBA"),
        lambda im: _pillow(im, "PNG", "L"),
    ],
    "jpg": [
        lambda im: _cv(im, ".jpg", cv2.IMWRITE_JPEG_QUALITY, 90),
        lambda im: _cv(im, ".jpg", cv2.IMWRITE_JPEG_PROGRESSIVE, 1),
        lambda im: with_exif_orientation(_cv(im, ".jpg"), 6),
        lambda im: _pillow(im, "JPEG", "L"),
    ],
    "bmp": [
        lambda im: _cv(im, ".bmp"),
        lambda im: _pillow(im, "BMP", "P"),
        lambda im: _pillow(im, "BMP", "1"),
    ],
    "tif": [
        lambda im: _cv(im, ".tif"),
        lambda im: _pillow(im, "TIFF", "RGB"),
        lambda im: _pillow(im, "TIFF", "RGB", compression="tiff_deflate"),
        lambda im: _pillow(im, "TIFF", "L", compression="packbits"),
    ],
    "webp": [
        lambda im: _cv(im, ".webp", cv2.IMWRITE_WEBP_QUALITY, 80),
        lambda im: _cv(im, ".webp", cv2.IMWRITE_WEBP_QUALITY, 101),  # lossless
        lambda im: _pillow(im, "WEBP", "RGBA"),
    ],
    "gif": [lambda im: _pillow(im, "GIF", "P")],
    "ppm": [
        lambda im: _cv(im, ".ppm"),
        lambda im: _cv(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), ".pgm"),
    ],
}


# --- where each format declares its size ------------------------------------------------------


def _size_fields(kind: str, data: bytes) -> list[tuple[int, str]]:
    """(offset, struct format) of the width and height fields in `data`, as far as found."""
    if kind == "png":
        return [(16, ">I"), (20, ">I")]
    if kind == "jpg":
        for marker in (b"\xff\xc0", b"\xff\xc2"):
            at = data.find(marker)
            if at > 0:
                return [(at + 5, ">H"), (at + 7, ">H")]
        return []
    if kind == "bmp":
        return [(18, "<i"), (22, "<i")]
    if kind == "gif":
        return [(6, "<H"), (8, "<H")]
    if kind == "webp":
        return [(24, "<H"), (26, "<H"), (28, "<H")]
    if kind == "tif":
        return _tiff_size_fields(data)
    return []


def _tiff_size_fields(data: bytes) -> list[tuple[int, str]]:
    """ImageWidth and ImageLength in the first directory (as far as an earlier mutation left
    it readable)."""
    order = "<" if data[:2] == b"II" else ">"
    fields = []
    try:
        (ifd,) = struct.unpack_from(order + "I", data, 4)
        (entries,) = struct.unpack_from(order + "H", data, ifd)
        for index in range(entries):
            at = ifd + 2 + 12 * index
            tag, kind = struct.unpack_from(order + "HH", data, at)
            if tag in (256, 257):  # SHORT or LONG
                fields.append((at + 8, order + ("H" if kind == 3 else "I")))
    except struct.error:
        pass
    return fields


def _fix_png_crc(data: bytearray) -> None:
    """Recompute the IHDR chunk's CRC, so a decoder reads the declared size we wrote."""
    if data[12:16] == b"IHDR":
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))


def _declare(kind: str, data: bytearray, rng: np.random.Generator) -> None:
    """A hostile declared size: one or both dimensions anywhere from 1 to 2^31 (log-uniform)."""
    fields = _size_fields(kind, bytes(data))
    if kind == "ppm":
        header_end = data.find(b"\n255\n")
        if header_end > 0:
            sizes = b" ".join(str(int(2 ** rng.uniform(0, 31))).encode() for _ in range(2))
            data[:header_end] = data[:2] + b"\n" + sizes
        return
    for offset, fmt in fields:
        if rng.random() < 0.7 and offset + struct.calcsize(fmt) <= len(data):
            bits = 8 * struct.calcsize(fmt) - (1 if fmt[-1] in "ih" else 0)
            value = int(2 ** rng.uniform(0, bits)) - 1
            struct.pack_into(fmt, data, offset, value)
    if kind == "png":
        _fix_png_crc(data)


def mutate(kind: str, seed: bytes, rng: np.random.Generator) -> bytes:
    """`seed` with one to three mutations."""
    data = bytearray(seed)
    for _ in range(int(rng.integers(1, 4))):
        choice = rng.integers(0, 7)
        if choice == 0 or choice == 1:  # a few random bytes anywhere, or in the header
            end = len(data) if choice == 0 else min(len(data), 64)
            for at in rng.integers(0, end, int(rng.integers(1, 9))):
                data[at] = int(rng.integers(0, 256))
        elif choice == 2:  # an interesting number over 1, 2 or 4 header bytes
            width = int(rng.choice([1, 2, 4]))
            at = int(rng.integers(0, max(1, min(len(data), 64) - width)))
            value = int(rng.choice(INTERESTING)) & ((1 << (8 * width)) - 1)
            data[at : at + width] = value.to_bytes(width, str(rng.choice(["big", "little"])))
            if kind == "png":
                _fix_png_crc(data)
        elif choice == 3:
            _declare(kind, data, rng)
        elif choice == 4:  # truncated
            del data[int(rng.integers(1, len(data))) :]
        elif choice == 5:  # a piece of itself spliced in elsewhere
            start = int(rng.integers(0, len(data)))
            piece = data[start : start + int(rng.integers(1, 256))]
            at = int(rng.integers(0, len(data)))
            data[at:at] = piece
        else:  # garbage appended, or a stretch deleted
            if rng.random() < 0.5:
                data += rng.integers(0, 256, int(rng.integers(1, 2048)), np.uint8).tobytes()
            else:
                start = int(rng.integers(0, len(data)))
                del data[start : start + int(rng.integers(1, 64))]
        if not data:
            data = bytearray(seed[:1])
    return bytes(data)


def write_corpus(folder: Path, count: int, seed: int) -> list[Path]:
    """`count` mutated files spread evenly over the formats, named by format and number."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    kinds = list(SEEDS)
    originals = {
        kind: [make(page(rng)) for make in makers for _ in range(2)]
        for kind, makers in SEEDS.items()
    }
    paths = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        choices = originals[kind]
        original = choices[int(rng.integers(0, len(choices)))]
        path = folder / f"{index:05d}.{kind}"
        path.write_bytes(mutate(kind, original, rng))
        paths.append(path)
    return paths
