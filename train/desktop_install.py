"""Whether the desktop install (TensorFlow, for `python -m train` and `python -m quantize`) is
here: the edge install leaves it out, and a bare ModuleNotFoundError would not say what to do."""

import importlib.util

INSTALL = 'pip install -e ".[train]"'


def missing_desktop_install(tool: str) -> str | None:
    """The error to show when TensorFlow is not installed for `tool` ("train", "quantize"), or
    None when it is."""
    if importlib.util.find_spec("tensorflow") is not None:
        return None
    return (
        f"python -m {tool} needs TensorFlow, which the edge install leaves out. Install the "
        f"desktop extra in this environment: {INSTALL} (see the README's 'Train and quantize')."
    )
