"""Augmentation keeps digits intact enough to learn from and varies them as a camera would."""

import numpy as np

from train.augment import AugmentedBatches, AugmentSettings, augment_image, random_affine
from train.training import split_validation

STILL = AugmentSettings(0, 0, 0, 0, 0, 0)


def bar_digit() -> np.ndarray:
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 12:16] = 255  # a "1"
    return image


def test_no_change_settings_give_identity() -> None:
    matrix = random_affine(np.random.default_rng(0), STILL)
    np.testing.assert_allclose(matrix, [[1, 0, 0], [0, 1, 0]], atol=1e-6)
    np.testing.assert_array_equal(
        augment_image(bar_digit(), np.random.default_rng(0), STILL), bar_digit()
    )


def test_shift_moves_centre_of_mass_within_bounds() -> None:
    rng = np.random.default_rng(3)
    shift_only = AugmentSettings(0, 0, 0, 2.0, 0, 0)
    centres = []
    for _ in range(50):
        image = augment_image(bar_digit(), rng, shift_only).astype(float)
        xs = np.indices(image.shape)[1]
        centres.append((xs * image).sum() / image.sum())
    centres = np.array(centres)
    assert np.all(np.abs(centres - 13.5) <= 2.05)
    assert centres.std() > 0.5  # it does vary


def test_thickening_adds_ink_and_thinning_removes_it() -> None:
    rng = np.random.default_rng(0)
    thick = augment_image(bar_digit(), rng, AugmentSettings(0, 0, 0, 0, 1.0, 0))
    thin = augment_image(bar_digit(), rng, AugmentSettings(0, 0, 0, 0, 0, 1.0))
    assert (thick > 127).sum() > (bar_digit() > 127).sum() > (thin > 127).sum() > 0


def test_batches_cover_every_image_once_per_epoch() -> None:
    images = np.repeat(np.arange(10, dtype=np.uint8)[:, None, None], 28 * 28, 1).reshape(10, 28, 28)
    labels = np.arange(10)
    batches = AugmentedBatches(images, labels, batch_size=4, seed=0, settings=None)
    assert len(batches) == 3
    seen = np.concatenate([batches[i][1] for i in range(len(batches))])
    assert sorted(seen) == list(range(10))
    x, y = batches[0]
    assert x.dtype == np.float32 and x.shape == (4, 28, 28, 1)
    np.testing.assert_allclose(x[:, 0, 0, 0], y / 255.0)  # image i is filled with grey i


def test_validation_split_is_disjoint_and_seeded() -> None:
    x, y = np.arange(100)[:, None], np.arange(100)
    _, fit_y, _, val_y = split_validation(x, y, 20, seed=5)
    assert len(val_y) == 20 and len(fit_y) == 80
    assert not set(fit_y) & set(val_y)
    assert list(split_validation(x, y, 20, seed=5)[3]) == list(val_y)
