"""Batch-norm statistics measured again with the final weights, once training ends.

During training each BatchNormalization layer keeps a running average (momentum 0.99) of the
statistics of weights that keep changing. After a few hundred steps the averages still remember
the first steps: a model that fits its training batches then reads at chance (issue #13). Measuring
the statistics again with the final weights (PreciseBN: Wu & Johnson, "Rethinking 'Batch' in
BatchNorm", 2021) mends short runs and suits long ones too, whose final weights are an average.
"""

from collections.abc import Iterable

import keras
import numpy as np


def recompute_batch_norm(model: keras.Model, batches: Iterable[np.ndarray]) -> None:
    """Set every BatchNormalization layer's moving mean and variance to the mean, over `batches`
    of model inputs, of its batch statistics under the model's final weights."""
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not norms:
        return
    kept = [layer.momentum for layer in norms]
    # moving = momentum * moving + (1 - momentum) * batch: momentum k / (k + 1) at the k-th batch
    # (from 0) makes `moving` the running mean of the batches' statistics.
    for seen, batch in enumerate(batches):
        for layer in norms:
            layer.momentum = seen / (seen + 1)
        model(batch, training=True)
    for layer, momentum in zip(norms, kept, strict=True):
        layer.momentum = momentum
