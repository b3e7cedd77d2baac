"""MNIST loading: the real keras download for users, or a local `.npz` in keras' layout."""

import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.native_output import native_output_to_log
from edge.sources import announced_as

DATA_ENV = "EDGE_DIGITS_MNIST"
_EXPECTED = {
    "x_train": (28, 28),
    "x_test": (28, 28),
    "y_train": (),
    "y_test": (),
}


# Data files given for MNIST's .npz (a zip archive of .npy arrays), by their first bytes
# (pictures and videos: `edge.sources.announced_as`).
_NOT_NPZ = (
    (b"\x93NUMPY", "a single .npy array"),
    (b"\x1f\x8b", "gzip data, as MNIST's original idx files come"),
    (b"\x00\x00\x08", "an idx file, MNIST's original format"),
)


class DataError(Exception):
    """The dataset could not be read; the message says what to do."""


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray  # uint8 [N, 28, 28], white digit on black
    y_train: np.ndarray  # uint8 [N]
    x_test: np.ndarray
    y_test: np.ndarray


def resolve_data_path(cli_path: str | None) -> Path | None:
    """The `--data` flag wins over the environment variable; None means download with keras."""
    chosen = cli_path or os.environ.get(DATA_ENV)
    return Path(chosen).expanduser() if chosen else None  # a quoted "~/..." in the variable


def mnist_named(cli_path: str | None) -> Mnist:
    """`load_mnist` of the file `--data` (`cli_path`) or the variable names
    (`resolve_data_path`), its errors saying which named it."""
    return load_mnist(resolve_data_path(cli_path), "--data" if cli_path else f"${DATA_ENV}")


def load_mnist(path: Path | None, named_by: str = "--data") -> Mnist:
    """Load MNIST from `path` (keras' npz layout), or with `keras.datasets.mnist.load_data()`.
    `named_by` ("--data", or the variable) is what named the file, for the errors to say what
    to change."""
    if path is None:
        return _download()
    if named_by == "--data":
        where, fix = f"MNIST file {path}", f"Pass --data PATH (or set {DATA_ENV})"
    else:  # a variable set long ago is easily forgotten
        where = f"MNIST file {path} (from {named_by})"
        fix = f"Change {named_by}, or pass --data PATH,"
    if path.is_dir():
        raise DataError(
            f"{where} is a folder. {fix} to the .npz file itself (x_train, y_train, x_test, "
            "y_test as keras writes it)."
        )
    if not path.is_file():
        raise DataError(
            f"{where} does not exist. {fix} to an .npz with x_train, y_train, x_test, y_test as "
            "keras writes it, or name none to download."
        )
    if not zipfile.is_zipfile(path):  # numpy would call it pickled data: not helpful
        raise DataError(
            f"{where} is not an .npz file ({_what_it_is(path)}). {fix} to an .npz with "
            "x_train, y_train, x_test, y_test as keras writes it."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in _EXPECTED if key in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path} is not a readable .npz file ({exc}).") from exc
    return _validated(arrays, str(path))


def _what_it_is(path: Path) -> str:
    """What a file that is no zip archive is, by its first bytes, for saying what was given."""
    try:
        with path.open("rb") as file:
            head = file.read(8)
    except OSError as exc:
        return f"it cannot be read: {exc.strerror or exc}"
    kind = announced_as(path) or next(
        (kind for start, kind in _NOT_NPZ if head.startswith(start)), None
    )
    if kind:
        return f"by its first bytes it is {kind}"
    # An .npz begins as a zip archive does: one cut short (a download stopped) has lost only
    # the directory at its end.
    return "damaged or cut short" if head.startswith(b"PK") else "not a zip archive"


def _download() -> Mnist:
    # Deferred: importing TensorFlow costs seconds (and prints oneDNN lines); a local file needs
    # none of it.
    with native_output_to_log(logging.getLogger("train")):
        import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:
        raise DataError(
            f"Could not download MNIST ({exc}). Without internet, pass --data PATH "
            f"(or set {DATA_ENV}) to a local mnist.npz."
        ) from exc
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return _validated(arrays, "keras.datasets.mnist")


def _validated(arrays: dict[str, np.ndarray], origin: str) -> Mnist:
    missing = sorted(set(_EXPECTED) - set(arrays))
    if missing:
        raise DataError(f"{origin} lacks {', '.join(missing)}; expected keras' MNIST layout.")
    for key, tail in _EXPECTED.items():
        array = arrays[key]
        if array.ndim != 1 + len(tail) or array.shape[1:] != tail:
            expected = ("N", *tail)
            raise DataError(f"{origin}: {key} has shape {array.shape}, expected {expected}")
    for split in ("train", "test"):
        if len(arrays[f"x_{split}"]) != len(arrays[f"y_{split}"]):
            raise DataError(f"{origin}: x_{split} and y_{split} have different lengths.")
        labels = arrays[f"y_{split}"]
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise DataError(f"{origin}: y_{split} holds labels outside 0-9.")
        pixels = arrays[f"x_{split}"]
        if pixels.dtype != np.uint8:  # a cast would make 0-1 floats a blank 0/1 picture
            raise DataError(
                f"{origin}: x_{split} is {pixels.dtype}, expected uint8 pixels 0-255 as keras "
                "writes MNIST (floats 0-1: multiply by 255 and cast to uint8)."
            )
    return Mnist(**{key: np.asarray(arrays[key], dtype=np.uint8) for key in _EXPECTED})
