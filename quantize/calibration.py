"""The representative set the converter uses to choose int8 scales."""

import numpy as np


def calibration_set(images: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` training images drawn without replacement, as float32 model inputs [N, 28, 28, 1].

    Plain MNIST digits are what segmenter crops are formatted to look like, so they span the
    same activation ranges; a few hundred are enough for stable per-tensor ranges.
    """
    if not 0 < count <= len(images):
        raise ValueError(f"--calib must be between 1 and {len(images)}, got {count}")
    picked = np.random.default_rng(seed).choice(len(images), size=count, replace=False)
    return (images[picked].astype(np.float32) / 255.0)[..., np.newaxis]
