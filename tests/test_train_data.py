"""MNIST loading: local npz in keras' layout, and clear errors for everything else."""

from pathlib import Path

import numpy as np
import pytest

from train.data import DATA_ENV, DataError, load_mnist, mnist_named, resolve_data_path


def write_npz(path: Path, **overrides: np.ndarray) -> Path:
    arrays = {
        "x_train": np.zeros((12, 28, 28), np.uint8),
        "y_train": np.arange(12, dtype=np.uint8) % 10,
        "x_test": np.full((5, 28, 28), 7, np.uint8),
        "y_test": np.arange(5, dtype=np.uint8),
    }
    arrays.update(overrides)
    np.savez(path, **arrays)
    return path


def test_local_npz_is_read_as_is(tmp_path: Path) -> None:
    data = load_mnist(write_npz(tmp_path / "m.npz"))
    assert data.x_train.shape == (12, 28, 28) and data.x_test.shape == (5, 28, 28)
    assert data.x_test.dtype == np.uint8 and int(data.x_test[0, 0, 0]) == 7
    assert list(data.y_test) == [0, 1, 2, 3, 4]


def test_shared_dataset_has_keras_layout(mnist_path: Path) -> None:
    data = load_mnist(mnist_path)
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert np.bincount(data.y_test).tolist()[:2] == [980, 1135]


def test_flag_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_ENV, "/from/env.npz")
    assert resolve_data_path("/from/flag.npz") == Path("/from/flag.npz")
    assert resolve_data_path(None) == Path("/from/env.npz")
    monkeypatch.delenv(DATA_ENV)
    assert resolve_data_path(None) is None  # keras download


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"does not exist.*--data"):
        load_mnist(tmp_path / "nope.npz")


def test_a_file_the_variable_names_is_said_to_be_its(tmp_path: Path, monkeypatch) -> None:
    """It said "Pass --data PATH (or set EDGE_DIGITS_MNIST)" of a file the variable named."""
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "nope.npz"))
    with pytest.raises(DataError) as error:
        mnist_named(None)
    assert str(error.value).startswith(
        f"MNIST file {tmp_path / 'nope.npz'} (from ${DATA_ENV}) does not exist. Change "
        f"${DATA_ENV}, or pass --data PATH, to an .npz"
    )
    with pytest.raises(DataError, match=r"nope.npz does not exist. Pass --data PATH"):
        mnist_named(str(tmp_path / "nope.npz"))  # the flag wins, and is said as before


def test_an_npz_cut_short_is_said_to_be_damaged(tmp_path: Path, mnist_path: Path) -> None:
    """A download stopped part way: it was "not a zip archive"."""
    cut = tmp_path / "mnist.npz"
    cut.write_bytes(mnist_path.read_bytes()[:100_000])
    with pytest.raises(DataError, match=r"is not an .npz file \(damaged or cut short\)"):
        load_mnist(cut)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"not an \.npz file \(not a zip archive\).*--data"),
        (b"not a zip at all", r"not an \.npz file \(not a zip archive\).*--data"),
        (b"PK\x05\x06" + bytes(18), r"lacks x_test"),  # an empty zip: no arrays in it
    ],
)
def test_corrupt_file_is_a_data_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_mnist(path)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "by its first bytes it is a PNG image)"),
        (b"\x1f\x8b\x08\x08" + bytes(64), "by its first bytes it is gzip data, as MNIST's"),
    ],
    ids=["png", "gzip"],
)
def test_a_file_that_is_no_npz_is_said_to_be_what_it_is(tmp_path, content, kind) -> None:
    path = tmp_path / "script_4071.png"
    path.write_bytes(content)
    with pytest.raises(DataError) as error:
        load_mnist(path)
    assert str(error.value).startswith(f"MNIST file {path} is not an .npz file ({kind}")
    assert "allow_pickle" not in str(error.value)  # numpy's advice: no use for an image


def test_a_folder_given_for_the_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"is a folder.*the \.npz file itself"):
        load_mnist(tmp_path)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"x_train": np.zeros((12, 32, 32), np.uint8)}, "x_train has shape"),
        ({"x_test": np.zeros((5, 784), np.uint8)}, "x_test has shape"),
        ({"y_train": np.zeros((11,), np.uint8)}, "different lengths"),
        ({"y_test": np.full((5,), 12, np.uint8)}, "outside 0-9"),
        # 0-1 floats were cast to a blank 0/1 picture, and trained on without a word.
        ({"x_train": np.full((12, 28, 28), 0.5, np.float32)}, r"x_train is float32.*255"),
        ({"x_test": np.zeros((5, 28, 28), np.int64)}, r"x_test is int64, expected uint8"),
    ],
)
def test_wrong_arrays_are_named(tmp_path: Path, overrides: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_mnist(write_npz(tmp_path / "m.npz", **overrides))


def test_missing_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    np.savez(path, x_train=np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(DataError, match="lacks x_test, y_test, y_train"):
        load_mnist(path)
