"""Fit a model on MNIST with a held-out validation split; nothing here looks at the test set."""

import keras
import numpy as np

from train.augment import AugmentedBatches, AugmentSettings
from train.batch_norm import recompute_batch_norm
from train.settings import TrainSettings

# Weight averaging (EMA) over the last ~1000 steps smooths out the noise of the final steps. The
# average starts from the initial weights, so a short run (a quick test) would end up mostly
# untrained: below EMA_MIN_STEPS the plain weights are kept.
EMA_MOMENTUM = 0.999
EMA_MIN_STEPS = 5000
BATCH_NORM_IMAGES = 4096  # training images batch-norm statistics are measured on after fitting


def split_validation(
    x: np.ndarray, y: np.ndarray, val_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A seeded random hold-out from the training data, used for monitoring and tuning."""
    if not 0 < val_size < len(x):
        raise ValueError(f"validation size {val_size} must be between 1 and {len(x) - 1}")
    order = np.random.default_rng(seed).permutation(len(x))
    val, fit = order[:val_size], order[val_size:]
    return x[fit], y[fit], x[val], y[val]


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 [N, 28, 28] -> float32 [N, 28, 28, 1] in [0, 1], the model contract."""
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


def fit(
    model: keras.Model, x: np.ndarray, y: np.ndarray, settings: TrainSettings
) -> tuple[keras.callbacks.History, float]:
    """Adam with weight averaging, linear warm-up then cosine decay to zero, live augmentation;
    then batch-norm statistics measured with the final weights. Returns the history (its
    validation figures use the running statistics) and the final model's validation accuracy."""
    x_fit, y_fit, x_val, y_val = split_validation(x, y, settings.val_size, settings.seed)
    steps_per_epoch = -(-len(x_fit) // settings.batch_size)
    total_steps = steps_per_epoch * settings.epochs
    warmup_steps = min(steps_per_epoch * settings.warmup_epochs, total_steps // 2)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=settings.learning_rate / 10,
        decay_steps=total_steps - warmup_steps,
        warmup_target=settings.learning_rate,
        warmup_steps=warmup_steps,
        alpha=0.0,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(
            schedule, use_ema=total_steps >= EMA_MIN_STEPS, ema_momentum=EMA_MOMENTUM
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    batches = AugmentedBatches(
        x_fit,
        y_fit,
        settings.batch_size,
        settings.seed,
        AugmentSettings() if settings.augment else None,
    )
    history = model.fit(
        batches,
        epochs=settings.epochs,
        validation_data=(to_model_input(x_val), y_val),
        verbose=2,
    )
    plain = x_fit[:BATCH_NORM_IMAGES]  # as inference sees digits: not augmented
    recompute_batch_norm(
        model, (to_model_input(plain[i : i + 256]) for i in range(0, len(plain), 256))
    )
    predicted = model.predict(to_model_input(x_val), batch_size=512, verbose=0).argmax(axis=1)
    return history, float(np.mean(predicted == y_val))
