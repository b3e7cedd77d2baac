"""Greedy CTC decoding (Graves et al., "Connectionist Temporal Classification", ICML 2006).

The reader gives, for each column step of a line, a probability for each of the 10 digits and
the blank. Greedy (best-path) decoding takes the likeliest class at every step, merges runs of
the same class and drops blanks: "1 1 _ 1 _ _ 7" reads "117". Each read digit keeps the steps
that produced it, so it gets a place on the line and a confidence: the probability that it is
emitted at all over its steps and the step on either side, 1 - prod(1 - p), since a CTC
reader often spreads one digit over two steps (0.59 at each is a sure digit, 0.83).
"""

from dataclasses import dataclass

import numpy as np

BLANK = 10  # index of the CTC blank among the reader's 11 classes (digits 0-9 first)


@dataclass(frozen=True)
class DecodedDigit:
    digit: int
    confidence: float  # probability that the digit is emitted over its steps (and one each side)
    first_step: int  # the steps (inclusive) where it was the likeliest class
    last_step: int


def ctc_greedy_decode(probabilities: np.ndarray) -> list[DecodedDigit]:
    """Best-path decoding of float `[T, 11]` per-step class probabilities (blank last).

    Raises ValueError for any other shape.
    """
    if probabilities.ndim != 2 or probabilities.shape[1] != BLANK + 1:
        raise ValueError(f"expected probabilities of shape (T, 11), got {probabilities.shape}")
    best = probabilities.argmax(axis=1)
    digits: list[DecodedDigit] = []
    step = 0
    steps = len(best)
    while step < steps:
        label = int(best[step])
        end = step
        while end + 1 < steps and best[end + 1] == label:
            end += 1
        if label != BLANK:
            around = probabilities[max(0, step - 1) : end + 2, label].astype(np.float64)
            emitted = 1.0 - float(np.prod(1.0 - np.clip(around, 0.0, 1.0)))
            digits.append(DecodedDigit(label, emitted, step, end))
        step = end + 1
    return digits


def text_of_labels(digits: list[DecodedDigit]) -> str:
    return "".join(str(d.digit) for d in digits)
