"""Where the desktop stages leave their files, and the files' names, shared by both."""

import os
from pathlib import Path

ARTIFACTS_ENV = "EDGE_DIGITS_ARTIFACTS"
MODEL_FILE = "model.keras"
REPORT_FILE = "train_report.json"
PARITY_FILE = "parity_report.json"


def artifacts_dir() -> Path:
    """$EDGE_DIGITS_ARTIFACTS, else ./artifacts."""
    return Path(os.environ.get(ARTIFACTS_ENV, "artifacts"))
