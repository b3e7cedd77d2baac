"""The networks `python -m train --arch` builds, each a function named as its architecture.

The default, `line_reader`, reads a whole line of digits (CTC); it is what the product ships.
The single-digit designs take `[N, 28, 28, 1]` float images (grey / 255, white digit on black)
and end in a softmax over the ten digits; they stay for the comparison table.
"""

import keras
from keras import layers

from edge.ink import LINE_HEIGHT

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def _conv_bn(x, filters: int, kernel: int | tuple[int, int] = 3):
    """Conv without bias (batch norm supplies it), then BN and ReLU; folds into one int8 op."""
    x = layers.Conv2D(filters, kernel, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def pi_cnn() -> keras.Model:
    """A ~67k-parameter batch-norm CNN sized for a Raspberry Pi (int8 file < 80 KB).

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


def line_reader() -> keras.Model:
    """The default: a convolutional line reader for CTC (a CRNN after Shi, Bai & Yao 2015, with
    the recurrent layers left out so the whole model is builtin int8 ops; a convolution along
    the line over 5 columns stands in for their context).

    Input `[N, 32, W, 1]` (W any multiple of 4; grey / 255, white ink on black); output
    `[N, W / 4, 11]` softmax over the digits 0-9 and the CTC blank (index 10). Height is pooled
    away (32 -> 1) while width is pooled by 4, so each output step sees a 4 px column of the
    line and, through its receptive field (about 60 px), the digit around it.
    """
    inputs = keras.Input((LINE_HEIGHT, None, 1))
    x = _conv_bn(inputs, 16)
    x = layers.MaxPooling2D(2)(x)  # 16 x W/2
    x = _conv_bn(x, 32)
    x = layers.MaxPooling2D(2)(x)  # 8 x W/4
    x = _conv_bn(x, 64)
    x = _conv_bn(x, 64)
    x = layers.MaxPooling2D((2, 1))(x)  # 4 x W/4
    x = _conv_bn(x, 96)
    x = layers.MaxPooling2D((2, 1))(x)  # 2 x W/4
    x = layers.ZeroPadding2D(((0, 0), (1, 1)))(x)
    x = layers.Conv2D(96, (2, 3), use_bias=False)(x)  # 1 x W/4: the column's features
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = _conv_bn(x, 96, (1, 5))  # context along the line: neighbouring columns' features
    x = layers.Dropout(0.2)(x)
    x = layers.Conv2D(NUM_CLASSES + 1, 1)(x)
    x = layers.Reshape((-1, NUM_CLASSES + 1))(x)
    outputs = layers.Softmax()(x)
    return keras.Model(inputs, outputs, name="line_reader")
