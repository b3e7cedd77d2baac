"""What TensorFlow, its converter and LiteRT print by themselves: never in what the user reads."""

LIBRARY_CHATTER = ("Saved artifact", "TensorSpec", "Warning", "XNNPACK", "oneDNN", "I0000")


def assert_no_library_chatter(told: str) -> None:
    for chatter in LIBRARY_CHATTER:
        assert chatter not in told, told
