"""What an int8 line reader must reach to ship (issue #11's figures); no TensorFlow here."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ReaderThresholds:
    min_int8_accuracy: float = 0.96  # composed test strings read exactly
    max_accuracy_drop: float = 0.005  # float minus int8, composed test strings
    min_agreement: float = 0.995  # int8 reads the same string as float
