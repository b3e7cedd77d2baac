"""edge-digits on the device: camera frames in, handwritten digit readings out."""

__version__ = "0.1.0"
