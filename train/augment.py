"""Training augmentation that moves MNIST toward what the edge segmenter hands the model.

Camera crops come out of `edge.segment.to_mnist_crop` slightly rotated, sheared and off-centre,
scaled a little differently from MNIST's 20x20 box, and with thicker or thinner strokes than
MNIST's pen. Each image gets a random stroke-width change and a random affine warp, done with
OpenCV on the fly: on two CPU cores that is several times cheaper than the same ops in-graph.
"""

import math
from dataclasses import dataclass

import cv2
import keras
import numpy as np

_CENTRE = 13.5  # pixel centre of a 28x28 image
_STROKE_KERNEL = np.ones((2, 2), np.uint8)


@dataclass(frozen=True)
class AugmentSettings:
    rotation_deg: float = 8.0
    shear_deg: float = 6.0
    scale: float = 0.08  # relative, each way
    shift_px: float = 1.5
    thicken_prob: float = 0.15
    thin_prob: float = 0.1


def augment_image(
    image: np.ndarray, rng: np.random.Generator, settings: AugmentSettings
) -> np.ndarray:
    """Randomly re-stroke and warp one uint8 28x28 digit (white on black)."""
    pick = rng.random()
    if pick < settings.thicken_prob:
        image = cv2.dilate(image, _STROKE_KERNEL)
    elif pick > 1.0 - settings.thin_prob:
        image = cv2.erode(image, _STROKE_KERNEL)
    return cv2.warpAffine(
        image, random_affine(rng, settings), (28, 28), flags=cv2.INTER_LINEAR, borderValue=0
    )


def random_affine(rng: np.random.Generator, settings: AugmentSettings) -> np.ndarray:
    """A 2x3 matrix: rotation, x-shear and zoom about the image centre, then a shift."""
    angle = math.radians(rng.uniform(-settings.rotation_deg, settings.rotation_deg))
    shear = math.tan(math.radians(rng.uniform(-settings.shear_deg, settings.shear_deg)))
    zoom = 1.0 + rng.uniform(-settings.scale, settings.scale)
    cos, sin = math.cos(angle) * zoom, math.sin(angle) * zoom
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]])
    shift = rng.uniform(-settings.shift_px, settings.shift_px, size=2)
    offset = _CENTRE - linear @ np.array([_CENTRE, _CENTRE]) + shift
    return np.hstack([linear, offset[:, None]]).astype(np.float32)


class AugmentedBatches(keras.utils.PyDataset):
    """Shuffled, freshly augmented batches each epoch, as float inputs per the model contract."""

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        batch_size: int,
        seed: int,
        settings: AugmentSettings | None = AugmentSettings(),
    ) -> None:
        super().__init__()
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.settings = settings
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(images))

    def __len__(self) -> int:
        return -(-len(self.images) // self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        picked = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        batch = self.images[picked]
        if self.settings is not None:
            batch = np.stack([augment_image(img, self.rng, self.settings) for img in batch])
        return (batch.astype(np.float32) / 255.0)[..., np.newaxis], self.labels[picked]

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.images))
