"""`python -m edge bench`: the real pipeline on generated scenes, int8 against float, one run.

Scenes (640x480 by default) are generated from MNIST test digits with a fixed seed and written
as JPEG files, then replayed through the same pipeline `python -m edge` runs: per-stage timings
(median and p95), digits per second, read time per digit, read-out accuracy against the
scenes' truth, and the peak RSS of a real `python -m edge` process replaying them.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.config import Settings
from edge.events import Box, FrameResult, Sink, Stats
from edge.lines import FindSettings
from edge.model import FLOAT_FILE, MODELS_DIR, LineModel, model_file
from edge.pipeline import STAGES, DigitReader, Pipeline
from edge.reading import Stabilizer
from edge.scenes import Scene, SceneSettings, random_scene, sample_digits
from edge.sources import ImageFiles

MNIST_ENV = "EDGE_DIGITS_MNIST"
JPEG_QUALITY = 95  # what a camera app saves; the scenes carry their own compression already
# A found box is a true digit's when they share half of the smaller one. Not IoU: a "1" is a
# few pixels wide, and a box two pixels narrower than the truth halves its IoU.
MATCH_OVERLAP = 0.5
RSS_FRAMES = 200  # frames the memory run replays: enough to reach the steady state


class BenchError(Exception):
    """The bench cannot run (unreadable digits file, bad option); the message says what to do."""


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenes", type=int, default=200, help="how many scenes (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="scene generator seed (default 0)")
    parser.add_argument("--width", type=int, default=640, help="scene width (default 640)")
    parser.add_argument("--height", type=int, default=480, help="scene height (default 480)")
    parser.add_argument(
        "--data",
        help=f"MNIST .npz (keras' layout) whose test digits the scenes show "
        f"(default: ${MNIST_ENV}, else the bundled sample)",
    )
    parser.add_argument(
        "--float-model",
        default=str(MODELS_DIR / FLOAT_FILE),
        help="the float model to compare with (default: the bundled one)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


@dataclass
class _Recorder(Sink):
    """A sink that keeps what the bench measures: each frame's timings, text and digits.

    Readings are what a person sees; the bench judges every frame instead.
    """

    frames: dict[int, FrameResult] = field(default_factory=dict)

    def on_frame(self, result: FrameResult, stats: Stats) -> None:
        self.frames[result.index] = result


def bench(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bench and print its table (or JSON); 0 when it ran."""
    if args.scenes < 1:
        raise BenchError("--scenes must be at least 1")
    images, labels, digit_source = _digits(args.data)
    scene_settings = SceneSettings(width=args.width, height=args.height)
    rng = np.random.default_rng(args.seed)
    scenes = [random_scene(images, labels, rng, scene_settings) for _ in range(args.scenes)]
    int8_path = model_file(settings.model)
    with tempfile.TemporaryDirectory(prefix="edge-bench-") as folder:
        paths = _write_scenes(scenes, Path(folder))
        report: dict[str, Any] = {
            "scenes": len(scenes),
            "digits": sum(len(s.labels) for s in scenes),
            "digit_source": digit_source,
            "frame_size": [args.width, args.height],
            "threads": settings.model.threads,
            "seed": args.seed,
            "models": {},
        }
        for kind, path in (("int8", int8_path), ("float", Path(args.float_model))):
            model = LineModel(path, settings.model.threads, settings.model.verify)
            reader = DigitReader(
                model, settings.reading.confidence, FindSettings(ink=settings.reading.ink)
            )
            figures = _replay(paths, scenes, reader)
            figures["peak_rss_mb"] = _peak_rss_mb(Path(folder), path, settings, args.config)
            report["models"][kind] = {"model": str(path), "quantized": model.quantized, **figures}
    report["opencv_threads"] = cv2.getNumThreads()  # as the pipeline set it for its frames
    int8, float_ = report["models"]["int8"], report["models"]["float"]
    report["int8_read_vs_float"] = round(int8["read_us_per_digit"] / float_["read_us_per_digit"], 3)
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


def _digits(data: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """Digits and labels to write scenes with, and where they came from.

    The MNIST test set when given (--data or $EDGE_DIGITS_MNIST), else the bundled sample, so
    the bench also runs on a Pi without the dataset.
    """
    path = data or os.environ.get(MNIST_ENV)
    if not path:
        images, labels = sample_digits()
        return images, labels, f"bundled sample ({len(images)} MNIST test digits)"
    try:
        with np.load(path, allow_pickle=False) as npz:
            return npz["x_test"], npz["y_test"], f"MNIST test set ({path})"
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise BenchError(
            f"{path} is not an MNIST .npz with x_test and y_test ({exc}); pass --data PATH "
            f"(or unset ${MNIST_ENV} to use the bundled sample)."
        ) from exc


def _write_scenes(scenes: list[Scene], folder: Path) -> list[Path]:
    paths = []
    for index, scene in enumerate(scenes):
        path = folder / f"scene-{index:05d}.jpg"
        cv2.imwrite(str(path), scene.frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        paths.append(path)
    return paths


def _replay(paths: list[Path], scenes: list[Scene], reader: DigitReader) -> dict[str, Any]:
    """Every scene once through the real pipeline; timing and accuracy figures."""
    recorder = _Recorder()
    stats = Stats(model=reader.model.name, quantized=reader.model.quantized)
    source = ImageFiles(paths, pace_fps=None, loop=False)
    Pipeline(source, reader, Stabilizer(1), [recorder], stats).run()
    results = list(recorder.frames.values())
    stage_ms = np.array([[r.timings_ms[stage] for stage in STAGES] for r in results])
    timings = {stage: stage_ms[:, i] for i, stage in enumerate(STAGES)}
    timings["processing"] = timings["total"] - timings["capture"]  # without file decoding
    classified = sum(len(r.digits) for r in results)
    return {
        "stage_ms": {
            stage: {
                "median": round(float(np.median(ms)), 3),
                "p95": round(float(np.percentile(ms, 95)), 3),
            }
            for stage, ms in timings.items()
        },
        "digits_per_second": round(classified / (timings["total"].sum() / 1000), 1),
        "read_us_per_digit": round(timings["read"].sum() * 1000 / max(classified, 1), 2),
        "failed_frames": stats.failed_frames,
        **accuracy(scenes, [_readout(recorder.frames.get(i)) for i in range(len(scenes))]),
    }


Readout = tuple[str, list[tuple[Box, int | None]]]  # text, and each digit's box and value


def accuracy(scenes: list[Scene], readouts: list[Readout | None]) -> dict[str, Any]:
    """Exact read-outs over scenes, and true digits found (boxes overlap) and read right.

    `readouts[i]` is what was read from `scenes[i]`, None when that frame failed.
    """
    exact = 0
    correct = 0
    for scene, readout in zip(scenes, readouts, strict=True):
        if readout is None:
            continue
        text, found = readout[0], list(readout[1])
        exact += text == scene.text
        for box, label in zip(scene.boxes, scene.labels, strict=True):
            match = max(found, key=lambda f: overlap(box, f[0]), default=None)
            if match is not None and overlap(box, match[0]) >= MATCH_OVERLAP:
                correct += match[1] == label
                found.remove(match)
    digits = sum(len(s.labels) for s in scenes)
    return {
        "exact_readout": round(exact / len(scenes), 4),
        "exact_readouts": exact,
        "per_digit": round(correct / max(digits, 1), 4),
        "correct_digits": correct,
    }


def _readout(result: FrameResult | None) -> Readout | None:
    return None if result is None else (result.text, [(d.box, d.digit) for d in result.digits])


def overlap(a: Box, b: Box) -> float:
    """The area two (x, y, w, h) boxes share, as a fraction of the smaller one."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    return width * height / min(a[2] * a[3], b[2] * b[3])


def _peak_rss_mb(folder: Path, model: Path, settings: Settings, config: str | None) -> float:
    """Peak resident memory of `python -m edge` replaying the scenes, as the kernel counted it."""
    command = [
        sys.executable, "-m", "edge", "--source", str(folder), "--model", str(model),
        "--threads", str(settings.model.threads), "--json", "--max-frames", str(RSS_FRAMES),
    ]  # fmt: skip
    if config:
        command += ["--config", config]
    if not settings.model.verify:
        command.append("--no-verify")
    # Through edge.peak_rss: started from this process, the figure would be the bench's own.
    done = subprocess.run(
        [sys.executable, "-m", "edge.peak_rss", *command], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError(f"`{' '.join(command)}` failed ({done.returncode}): {done.stderr.strip()}")
    return round(int(done.stdout) / 1024, 1)


def format_table(report: dict[str, Any]) -> str:
    """The report as a table a person reads: one column per model."""
    models = report["models"]
    kinds = list(models)
    rows = [
        f"edge-digits bench: {report['scenes']} scenes ({report['digits']} digits), "
        f"{report['frame_size'][0]}x{report['frame_size'][1]}, {report['threads']} interpreter "
        f"thread(s), {report['opencv_threads']} OpenCV thread(s), seed {report['seed']}, "
        f"digits from the {report['digit_source']}",
        *(f"  {kind}: {models[kind]['model']}" for kind in kinds),
        f"{'':32}" + "".join(f"{kind + ' median':>14}{'p95':>9}" for kind in kinds),
    ]
    labels = {
        "capture": "capture/decode ms",
        "find": "find lines ms",
        "read": "read lines ms",
        "processing": "processing ms (no decode)",
        "total": "total per frame ms",
    }
    for stage, label in labels.items():
        cells = "".join(
            f"{models[k]['stage_ms'][stage]['median']:>14.3f}"
            f"{models[k]['stage_ms'][stage]['p95']:>9.3f}"
            for k in kinds
        )
        rows.append(f"{label:32}{cells}")

    def row(label: str, key: str, spec: str) -> str:
        return f"{label:32}" + "".join(f"{models[k][key]:>14{spec}}{'':9}" for k in kinds)

    rows += [
        row("digits per second", "digits_per_second", ".1f"),
        row("read us per digit", "read_us_per_digit", ".2f"),
        row("peak RSS of python -m edge, MB", "peak_rss_mb", ".1f"),
        row("exact read-out", "exact_readout", ".2%"),
        row("per digit", "per_digit", ".2%"),
        row("failed frames", "failed_frames", "d"),
        f"int8 read time / float: {report['int8_read_vs_float']:.3f}",
    ]
    return "\n".join(line.rstrip() for line in rows)
