"""Whether the desktop install (TensorFlow, for `python -m train`, `python -m quantize` and
`python -m quantize.validation`) is here: the edge install leaves it out, and a bare
ModuleNotFoundError would not say what to do."""

import importlib.util
import logging
import os

INSTALL = 'pip install -e ".[train]"'


def desktop_tool_ready(tool: str, log: logging.Logger) -> bool:
    """Sets up a desktop command (`tool`: "train", "quantize", "quantize.validation") as they
    all run: log records as plain lines, TensorFlow's C++ INFO and WARNING lines off. Whether
    its desktop install is here; if not, says on `log` what to install."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    missing = _missing_desktop_install(tool)
    if missing:
        log.error("%s: error: %s", tool, missing)
    return missing is None


def _missing_desktop_install(tool: str) -> str | None:
    """The error to show when TensorFlow is not installed for `tool`, or None when it is."""
    if importlib.util.find_spec("tensorflow") is not None:
        return None
    return (
        f"python -m {tool} needs TensorFlow, which the edge install leaves out. Install the "
        f"desktop extra in this environment: {INSTALL} (see the README's 'Train and quantize')."
    )
