"""What TensorFlow, its converter and LiteRT print by themselves: never in what the user reads."""

import re

LIBRARY_CHATTER = ("Saved artifact", "TensorSpec", "Warning", "XNNPACK", "oneDNN", "I0000")


def assert_no_library_chatter(told: str) -> None:
    for chatter in LIBRARY_CHATTER:
        assert chatter not in told, told


# TensorFlow's and absl's own log lines (oneDNN notices, `I0000 ...`, `W0000 ...`).
TF_LOG = re.compile(r"oneDNN|absl|^[IWE]\d{4} |tensorflow", re.MULTILINE | re.IGNORECASE)
