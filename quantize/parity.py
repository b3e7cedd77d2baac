"""Float vs int8 on the MNIST test set, through the same LiteRT wrapper the Pi uses."""

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edge.model import DigitClassifier
from quantize.reader_thresholds import ReaderThresholds

EVAL_BATCH = 500


@dataclass(frozen=True)
class ParityThresholds:
    min_int8_accuracy: float = 0.99
    max_accuracy_drop: float = 0.002  # float accuracy minus int8 accuracy
    min_agreement: float = 0.998  # top-1 agreement between the two models


@dataclass(frozen=True)
class ModelEvaluation:
    accuracy: float
    errors: int
    bytes: int
    us_per_image: float  # one interpreter thread, batches of EVAL_BATCH


def predict(classifier: DigitClassifier, images: np.ndarray) -> tuple[np.ndarray, float]:
    """Scores for all images, and the seconds spent in `classify`."""
    started = time.perf_counter()
    scores = np.concatenate(
        [classifier.classify(images[i : i + EVAL_BATCH]) for i in range(0, len(images), EVAL_BATCH)]
    )
    return scores, time.perf_counter() - started


def evaluate_pair(
    float_path: Path, int8_path: Path, images: np.ndarray, labels: np.ndarray
) -> dict:
    """Accuracy of each model, their top-1 agreement and mean probability difference."""
    results, scores = {}, {}
    for kind, path in (("float", float_path), ("int8", int8_path)):
        classifier = DigitClassifier(path, threads=1, verify=False)
        scores[kind], seconds = predict(classifier, images)
        predicted = scores[kind].argmax(axis=1)
        results[kind] = ModelEvaluation(
            accuracy=float(np.mean(predicted == labels)),
            errors=int(np.sum(predicted != labels)),
            bytes=path.stat().st_size,
            us_per_image=round(seconds / len(images) * 1e6, 2),
        )
    return {
        "test_images": len(images),
        "float": asdict(results["float"]),
        "int8": asdict(results["int8"]),
        "accuracy_drop": results["float"].accuracy - results["int8"].accuracy,
        "top1_agreement": float(
            np.mean(scores["float"].argmax(axis=1) == scores["int8"].argmax(axis=1))
        ),
        "mean_abs_probability_difference": float(np.mean(np.abs(scores["float"] - scores["int8"]))),
        "size_ratio": results["float"].bytes / results["int8"].bytes,
        "speed_ratio_float_over_int8": results["float"].us_per_image / results["int8"].us_per_image,
    }


def violations(
    accuracy: float,
    drop: float,
    agreement: float,
    thresholds: "ParityThresholds | ReaderThresholds",
    measured: str = "accuracy",
    agreeing: str = "top-1 agreement",
) -> list[str]:
    """Human-readable reasons an int8 model is not fit to ship; empty when it is. `accuracy` is
    the int8 model's (`measured` names it), `drop` float's minus int8's, `agreement` how often
    the two give the same answer (`agreeing` names it)."""
    problems = []
    if accuracy < thresholds.min_int8_accuracy:
        problems.append(f"int8 {measured}: {accuracy:.4f} < {thresholds.min_int8_accuracy}")
    if drop > thresholds.max_accuracy_drop:
        problems.append(
            f"int8 loses {drop:.4f} of {measured} to float (allowed {thresholds.max_accuracy_drop})"
        )
    if agreement < thresholds.min_agreement:
        problems.append(f"{agreeing}: {agreement:.4f} < {thresholds.min_agreement}")
    return problems
