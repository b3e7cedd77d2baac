"""Where the desktop stages leave their files, and the files' names, shared by both."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

ARTIFACTS_ENV = "EDGE_DIGITS_ARTIFACTS"
MODEL_FILE = "model.keras"
REPORT_FILE = "train_report.json"
PARITY_FILE = "parity_report.json"


def artifacts_dir() -> Path:
    """$EDGE_DIGITS_ARTIFACTS, else ./artifacts."""
    return Path(os.environ.get(ARTIFACTS_ENV, "artifacts"))


def unwritable(folder: Path) -> str | None:
    """Why a run's files cannot be written in `folder` (made if it is missing), said before the
    run rather than after it: None when they can."""
    if folder.exists() and not folder.is_dir():
        return f"{folder} is a file, not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot write in {folder} ({exc.strerror or exc})"
    return None


@contextlib.contextmanager
def removed_if_left_empty(folder: Path) -> Iterator[None]:
    """Within it, `folder` and its parents that are missing now may be made (`unwritable`
    makes them); on leaving, those left empty are removed again, deepest first: a run that
    failed or was stopped before writing leaves no empty folder behind."""
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    try:
        yield
    finally:
        for path in missing:
            try:
                path.rmdir()
            except OSError:  # not empty (the run wrote in it), or gone already
                break
