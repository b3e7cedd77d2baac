"""Model designs selectable with `python -m train --arch`.

Every design takes `[N, 28, 28, 1]` float images (grey / 255, white digit on black) and
ends in a softmax over the ten digits, which is the contract the edge runtime relies on.
"""

from collections.abc import Callable

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def _conv_bn(x, filters: int, kernel: int = 3):
    """Conv without bias (batch norm supplies it), then BN and ReLU; folds into one int8 op."""
    x = layers.Conv2D(filters, kernel, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def pi_cnn() -> keras.Model:
    """Default: a ~67k-parameter batch-norm CNN sized for a Raspberry Pi (int8 file < 80 KB).

    Widths grow as resolution falls (24-32 at 28x28, 48 at 14x14, 56 at 7x7) so most weights
    sit where convolutions are cheap; global average pooling replaces a large dense layer.
    """
    inputs = keras.Input(INPUT_SHAPE)
    x = _conv_bn(inputs, 24)
    x = _conv_bn(x, 32)
    x = layers.MaxPooling2D()(x)
    x = _conv_bn(x, 48)
    x = _conv_bn(x, 48)
    x = layers.MaxPooling2D()(x)
    x = _conv_bn(x, 56)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="pi_cnn")


def tf_classic() -> keras.Model:
    """The TensorFlow tutorial CNN: conv5x5x32 - pool - conv5x5x64 - pool - dense 1024 - dropout."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(32, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(1024, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="tf_classic",
    )


def lenet5() -> keras.Model:
    """LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, on the 28x28 input padded to 32x32."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(6, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(16, 5, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(120, activation="relu"),
            layers.Dense(84, activation="relu"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="lenet5",
    )


def mlp512() -> keras.Model:
    """A 784-512-512-10 ReLU MLP with dropout (the Keras MNIST MLP example)."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mlp512",
    )


def mlp30_sigmoid() -> keras.Model:
    """The 784-30-10 sigmoid network of Nielsen's "Neural Networks and Deep Learning", chapter 1."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Flatten(),
            layers.Dense(30, activation="sigmoid"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mlp30_sigmoid",
    )


ARCHITECTURES: dict[str, Callable[[], keras.Model]] = {
    "pi_cnn": pi_cnn,
    "tf_classic": tf_classic,
    "lenet5": lenet5,
    "mlp512": mlp512,
    "mlp30_sigmoid": mlp30_sigmoid,
}
DEFAULT_ARCH = "pi_cnn"
