"""The models on LiteRT: load once, verify against the card, run.

`LineModel`, the product's reader: input `[1, 32, W, 1]` (W any multiple of 4), real value =
level / 255, white ink on black; output `[1, W / 4, 11]` probabilities of the digits 0-9 and
the CTC blank (index 10). `DigitClassifier`, the single-digit designs of the comparison table:
input `[N, 28, 28, 1]`, output `[N, 10]`. Quantization parameters are read from the model,
never assumed.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.config import ModelSettings
from edge.ctc import BLANK
from edge.ink import LINE_HEIGHT, WIDTH_STEP
from edge.interrupts import reraise_interrupt
from edge.native_output import native_output_to_log

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
    except ImportError as litert_missing:
        reraise_interrupt(litert_missing)  # a Ctrl-C while it loads is no missing package
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError as tflite_missing:
            reraise_interrupt(tflite_missing)
            try:
                from tensorflow.lite import Interpreter
            except ImportError as exc:
                reraise_interrupt(exc)
                raise ModelError("No TFLite interpreter found: pip install ai-edge-litert") from exc
    return Interpreter


def sha256_of(path: Path) -> str:
    """The file's sha256, read in chunks (a model can be large; a Pi's memory is not)."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def read_card(model_path: Path) -> dict[str, Any]:
    """The model card beside `model_path`: a JSON object."""
    card_path = model_path.parent / CARD_FILE
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(
            f"No model card {card_path} beside {model_path}. Copy the {CARD_FILE} written by "
            "`python -m quantize` with the model, or pass --no-verify to skip the sha256 check."
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(
            f"Model card {card_path} is unreadable ({exc}). Copy the {CARD_FILE} written by "
            "`python -m quantize` with the model again, or re-run it to write a new one."
        ) from exc
    if not isinstance(card, dict):
        raise ModelError(
            f"Model card {card_path} holds a JSON {_json_kind(card)}, not an object; re-run "
            "`python -m quantize` to write it again."
        )
    return card


def _json_kind(value: object) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


def verify_against_card(model_path: Path, card: dict[str, Any]) -> None:
    """Refuse a model whose bytes differ from what its card recorded (truncated copy, swap)."""
    card_path = model_path.parent / CARD_FILE
    files = card.get("files", {})
    if not isinstance(files, dict):
        raise ModelError(
            f'Model card {card_path}: "files" is a JSON {_json_kind(files)}, not an object of '
            "file names; re-run `python -m quantize` to write it again."
        )
    if not files:
        raise ModelError(
            f"Model card {card_path} lists no model files: it is empty, or not the card "
            "`python -m quantize` writes. Copy the card written with the model again, or re-run "
            "`python -m quantize`."
        )
    if model_path.name not in files:
        listed = ", ".join(sorted(files))
        raise ModelError(
            f"{model_path.name} is not listed in its model card {card_path} (it lists "
            f"{listed}): --model names the .tflite model file itself, e.g. "
            f"{model_path.parent / INT8_FILE}."
        )
    entry = files[model_path.name]
    expected = entry.get("sha256") if isinstance(entry, dict) else None
    if not isinstance(expected, str):
        raise ModelError(
            f'Model card {card_path}: "files" gives {model_path.name} no sha256 string (it '
            f"gives {json.dumps(entry)[:80]}); re-run `python -m quantize` to write it again."
        )
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


class _LiteRTModel:
    """A .tflite file checked against its card, with one interpreter built for it."""

    def __init__(self, model_path: Path = BUNDLED_MODEL, threads: int = 1, verify: bool = True):
        self.path = Path(model_path)
        if self.path.is_dir():
            raise ModelError(
                f"{self.path} is a directory, not a .tflite file: name the model file itself "
                f"({self.path / INT8_FILE}, say), or name no model (no --model, no [model] "
                "path in the config) to use the bundled one."
            )
        if not self.path.is_file():
            raise ModelError(
                f"Model file {self.path} does not exist. Run `python -m train && python -m "
                "quantize` to make it, or name no model (no --model, no [model] path in the "
                "config) to use the bundled one."
            )
        self.card = read_card(self.path) if verify else {}
        if verify:
            verify_against_card(self.path, self.card)
        try:
            # LiteRT announces its XNNPACK delegate on stderr, once per process: on the first
            # allocation, so later interpreters (other line widths) say nothing.
            with native_output_to_log(log):
                self._interpreter = interpreter_class()(
                    model_path=str(self.path), num_threads=threads
                )
                self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"{self.path} is not a loadable TFLite model ({exc}): copy it again, or write "
                "it again with `python -m quantize`."
            ) from exc
        self.threads = threads
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self._check_contract()
        self.input_dtype = np.dtype(self._input["dtype"])
        self.quantized = self.input_dtype == np.int8
        self._lut = self._input_lookup()
        self._out_q = _Quantization(*self._output["quantization"])

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
        raise NotImplementedError

    def _input_lookup(self) -> np.ndarray:
        """Grey level (0-255) -> model input value, so quantizing an image is one table lookup."""
        real = np.arange(256, dtype=np.float32) / 255.0
        if not self.quantized:
            return real.astype(self.input_dtype)
        scale, zero_point = self._input["quantization"]
        info = np.iinfo(self.input_dtype)
        return np.clip(np.round(real / scale + zero_point), info.min, info.max).astype(
            self.input_dtype
        )

    def _real_output(self, raw: np.ndarray) -> np.ndarray:
        if self._out_q.scale:
            return (raw.astype(np.float32) - self._out_q.zero_point) * self._out_q.scale
        return raw.astype(np.float32)


class LineModel(_LiteRTModel):
    """The line reader: a line image in, per-step probabilities of the 10 digits and the blank
    out. Lines are padded with blank ink to a multiple of _BUCKET px, and an interpreter is kept
    for each padded width in use (a few: a live view's lines change width by a few pixels from
    frame to frame, and resizing an interpreter costs more than a small line's inference)."""

    _KEEP = 6  # interpreters kept, one per padded width, most recently used
    _BUCKET = 32  # px: line widths are padded up to a multiple of this

    def __init__(self, model_path: Path = BUNDLED_MODEL, threads: int = 1, verify: bool = True):
        super().__init__(model_path, threads, verify)
        self._by_width: dict[int, Any] = {}

    def _check_contract(self) -> None:
        signature = tuple(int(v) for v in self._input["shape_signature"])
        out_signature = tuple(int(v) for v in self._output["shape_signature"])
        if (
            len(signature) != 4
            or signature[1] != LINE_HEIGHT
            or signature[2] != -1
            or signature[3] != 1
            or len(out_signature) != 3
            or out_signature[2] != BLANK + 1
        ):
            raise ModelError(
                f"{self.path} takes {signature} and gives {out_signature}; a line reader must "
                f"take (1, {LINE_HEIGHT}, any width, 1) and give (1, width / 4, {BLANK + 1}). Is "
                "it a single-digit model? Those are for the comparison table, not for `edge`."
            )

    def read(self, line: np.ndarray) -> np.ndarray:
        """uint8 `[32, W]` (white ink on black, W a multiple of 4) -> float32 `[W / 4, 11]`."""
        if line.dtype != np.uint8 or line.ndim != 2 or line.shape[0] != LINE_HEIGHT:
            raise ValueError(f"expected a uint8 line image (32, W), got {line.dtype} {line.shape}")
        width = line.shape[1]
        padded = -(-width // self._BUCKET) * self._BUCKET
        values = np.empty((LINE_HEIGHT, padded), self._lut.dtype)
        values[:, :width] = self._lut[line]
        values[:, width:] = self._lut[0]  # black: paper (np.pad costs more than the read here)
        interpreter = self._interpreter_for(padded)
        interpreter.set_tensor(self._input["index"], values[np.newaxis, ..., np.newaxis])
        interpreter.invoke()
        steps = width // WIDTH_STEP  # the padding's own steps are blank: not the line's
        return self._real_output(interpreter.get_tensor(self._output["index"])[0, :steps])

    def _interpreter_for(self, width: int) -> Any:
        interpreter = self._by_width.pop(width, None)
        if interpreter is None:
            if len(self._by_width) >= self._KEEP:
                self._by_width.pop(next(iter(self._by_width)))
            interpreter = interpreter_class()(model_path=str(self.path), num_threads=self.threads)
            interpreter.resize_tensor_input(self._input["index"], [1, LINE_HEIGHT, width, 1])
            interpreter.allocate_tensors()
        self._by_width[width] = interpreter  # most recently used last
        return interpreter


class DigitClassifier(_LiteRTModel):
    """A single-digit model, classifying batches of 28x28 uint8 crops."""

    def __init__(self, model_path: Path = BUNDLED_MODEL, threads: int = 1, verify: bool = True):
        super().__init__(model_path, threads, verify)
        self._batch = int(self._input["shape"][0])

    def _check_contract(self) -> None:
        in_shape, out_shape = tuple(self._input["shape"][1:]), tuple(self._output["shape"][1:])
        if in_shape != (28, 28, 1) or out_shape != (10,):
            raise ModelError(
                f"{self.path} takes {in_shape} and gives {out_shape}; a digit model must take "
                "(28, 28, 1) and give (10,)."
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
        return self._real_output(self._interpreter.get_tensor(self._output["index"]))
