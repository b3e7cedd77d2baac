"""The digit model on LiteRT: load once, verify against its card, classify crops in batches.

The contract (see the model card): input `[N, 28, 28, 1]`, real value = grey / 255, white digit
on black; output `[N, 10]` digit scores. Quantization parameters are read from the model.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.config import ModelSettings

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).parent / "models"
CARD_FILE = "model_card.json"
INT8_FILE = "digits_int8.tflite"
FLOAT_FILE = "digits_float.tflite"
BUNDLED_MODEL = MODELS_DIR / INT8_FILE


def model_file(settings: ModelSettings) -> Path:
    """The int8 model the settings name: their path, else the bundled model."""
    return Path(settings.path) if settings.path else BUNDLED_MODEL


class ModelError(Exception):
    """The model cannot be used; the message names the file and what to do."""


def interpreter_class() -> type:
    """LiteRT's interpreter, else tflite_runtime's, else TensorFlow's (same API in all three)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError:
            try:
                from tensorflow.lite import Interpreter
            except ImportError as exc:
                raise ModelError("No TFLite interpreter found: pip install ai-edge-litert") from exc
    return Interpreter


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_card(model_path: Path) -> dict[str, Any]:
    """The model card beside `model_path`."""
    card_path = model_path.parent / CARD_FILE
    try:
        return json.loads(card_path.read_text())
    except FileNotFoundError as exc:
        raise ModelError(
            f"No model card {card_path} beside {model_path}. Copy the {CARD_FILE} written by "
            "`python -m quantize` with the model, or pass --no-verify to skip the sha256 check."
        ) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"Model card {card_path} is unreadable ({exc}).") from exc


def verify_against_card(model_path: Path, card: dict[str, Any]) -> None:
    """Refuse a model whose bytes differ from what its card recorded (truncated copy, swap)."""
    expected = card.get("files", {}).get(model_path.name, {}).get("sha256")
    if expected is None:
        raise ModelError(f"{model_path.name} is not listed in its model card {CARD_FILE}.")
    actual = sha256_of(model_path)
    if actual != expected:
        raise ModelError(
            f"{model_path} fails its sha256 check (card {expected[:12]}..., "
            f"file {actual[:12]}...): the file is corrupt or not the one the card describes. "
            "Copy it again or re-run `python -m quantize`."
        )


@dataclass(frozen=True)
class _Quantization:
    scale: float
    zero_point: int


class DigitClassifier:
    """One interpreter, built once, classifying batches of 28x28 uint8 crops."""

    def __init__(self, model_path: Path = BUNDLED_MODEL, threads: int = 1, verify: bool = True):
        self.path = Path(model_path)
        if not self.path.is_file():
            raise ModelError(
                f"Model file {self.path} does not exist. Run `python -m train && python -m "
                "quantize`, or omit --model to use the bundled model."
            )
        self.card = read_card(self.path) if verify else {}
        if verify:
            verify_against_card(self.path, self.card)
        try:
            self._interpreter = interpreter_class()(model_path=str(self.path), num_threads=threads)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{self.path} is not a loadable TFLite model ({exc}).") from exc
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self._check_contract()
        self.input_dtype = np.dtype(self._input["dtype"])
        self.quantized = self.input_dtype == np.int8
        self._lut = self._input_lookup()
        self._out_q = _Quantization(*self._output["quantization"])
        self._batch = int(self._input["shape"][0])

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def input_quantization(self) -> tuple[float, int]:
        """(scale, zero point) of the input; (0.0, 0) for a float model."""
        scale, zero_point = self._input["quantization"]
        return float(scale), int(zero_point)

    @property
    def output_quantization(self) -> tuple[float, int]:
        return float(self._out_q.scale), int(self._out_q.zero_point)

    def _check_contract(self) -> None:
        in_shape, out_shape = tuple(self._input["shape"][1:]), tuple(self._output["shape"][1:])
        if in_shape != (28, 28, 1) or out_shape != (10,):
            raise ModelError(
                f"{self.path} takes {in_shape} and gives {out_shape}; a digit model must take "
                "(28, 28, 1) and give (10,)."
            )

    def _input_lookup(self) -> np.ndarray:
        """Grey level (0-255) -> model input value, so quantizing a crop is one table lookup."""
        real = np.arange(256, dtype=np.float32) / 255.0
        if not self.quantized:
            return real.astype(self.input_dtype)
        scale, zero_point = self._input["quantization"]
        info = np.iinfo(self.input_dtype)
        return np.clip(np.round(real / scale + zero_point), info.min, info.max).astype(
            self.input_dtype
        )

    def classify(self, crops: np.ndarray) -> np.ndarray:
        """uint8 crops `[N, 28, 28]` (white on black) -> float32 scores `[N, 10]`."""
        if crops.dtype != np.uint8 or crops.ndim != 3 or crops.shape[1:] != (28, 28):
            raise ValueError(
                f"expected uint8 crops of shape (N, 28, 28), got {crops.dtype} {crops.shape}"
            )
        count = len(crops)
        if count == 0:
            return np.empty((0, 10), np.float32)
        if count != self._batch:
            self._interpreter.resize_tensor_input(self._input["index"], [count, 28, 28, 1])
            self._interpreter.allocate_tensors()
            self._batch = count
        self._interpreter.set_tensor(self._input["index"], self._lut[crops][..., np.newaxis])
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._output["index"])
        if self._out_q.scale:
            return (raw.astype(np.float32) - self._out_q.zero_point) * self._out_q.scale
        return raw.astype(np.float32)
