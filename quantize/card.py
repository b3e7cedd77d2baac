"""The model card: the contract, provenance and figures of the models shipped to the Pi."""

import datetime
import json
from pathlib import Path
from typing import Any

from edge.model import CARD_FILE, sha256_of


def build_card(
    int8_path: Path,
    float_path: Path,
    train_report: dict[str, Any] | None,
    contract: dict[str, Any],
    quantize_command: str,
    calibration_images: int,
) -> dict[str, Any]:
    """The card: `contract` (kind, input, output, accuracy: `digit_contract` or the reader's)
    with the provenance every model has."""
    train_report = train_report or {}
    training_keys = ("command", "seed", "epochs", "val_accuracy", "wall_seconds", "tensorflow")
    return {
        "name": f"edge-digits {train_report.get('architecture', 'unknown')}",
        "architecture": train_report.get("architecture"),
        "parameters": train_report.get("parameters"),
        **contract,
        "training": {key: train_report.get(key) for key in training_keys if key in train_report},
        "quantization": {"command": quantize_command, "calibration_images": calibration_images},
        "files": {
            path.name: {"sha256": sha256_of(path), "bytes": path.stat().st_size}
            for path in (int8_path, float_path)
        },
        "created": datetime.date.today().isoformat(),
    }


def digit_contract(
    parity: dict[str, Any],
    input_quantization: tuple[float, int],
    output_quantization: tuple[float, int],
) -> dict[str, Any]:
    """A single-digit model's contract and MNIST figures."""
    return {
        "kind": "digit_classifier",
        "input": {
            "shape": [None, 28, 28, 1],
            "real_value": "grey level / 255",
            "polarity": "white digit on black (MNIST)",
            "crop": "digit fitted to 20x20 keeping aspect, centred by centre of mass in 28x28",
            "int8_scale": input_quantization[0],
            "int8_zero_point": input_quantization[1],
        },
        "output": {
            "shape": [None, 10],
            "meaning": "softmax scores for digits 0-9",
            "int8_scale": output_quantization[0],
            "int8_zero_point": output_quantization[1],
        },
        "accuracy": {
            "test_set": f"MNIST test, {parity['test_images']} images",
            "float": parity["float"]["accuracy"],
            "int8": parity["int8"]["accuracy"],
            "top1_agreement": parity["top1_agreement"],
        },
    }


def write_card(directory: Path, card: dict[str, Any]) -> Path:
    path = directory / CARD_FILE
    path.write_text(json.dumps(card, indent=2) + "\n")
    return path
