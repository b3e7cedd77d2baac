"""The architectures `python -m train --arch` accepts (no TensorFlow here: `--help` is quick)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

LINE_READER = "line_reader"
# Each name is a builder function in `train.networks`.
ARCHITECTURES = (LINE_READER, "pi_cnn", "tf_classic", "lenet5", "mlp512", "mlp30_sigmoid")
DEFAULT_ARCH = LINE_READER


def build(name: str) -> "keras.Model":
    """A fresh, untrained network of architecture `name`."""
    from train import networks  # deferred: importing TensorFlow takes seconds

    return getattr(networks, name)()
