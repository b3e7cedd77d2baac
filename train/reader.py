"""Training the line reader with CTC loss on composed strings, and evaluating it.

Lines are made once per run (in worker processes, from a seed) and batched by width so little
of each batch is padding; padding is blank ink, which CTC reads as blank. Validation strings are
composed from MNIST training digits held out of training; MNIST's test digits are used once,
after training, for the report.
"""

import contextlib
import logging
import math
import multiprocessing
import signal
import time
from collections.abc import Callable, Iterable, Iterator

import keras
import numpy as np
import tensorflow as tf

from edge.ctc import BLANK, ctc_greedy_labels
from edge.ink import WIDTH_STEP
from edge.native_output import native_output_to_log
from train.batch_norm import recompute_batch_norm
from train.progress import Progress
from train.settings import ReaderSettings
from train.strings import (
    CAMERA_EVALUATION,
    EVALUATION,
    MAX_DIGITS,
    Digits,
    StringStyle,
    TrainingLine,
    random_line,
)

log = logging.getLogger("train")

_BATCH_WIDTH_STEP = 32  # batch widths are rounded up to this (fewer shapes to trace)
_BATCH_NORM_LINES = 2048  # training lines batch-norm statistics are measured on each epoch


# ---- making lines -------------------------------------------------------------------------------

_worker_digits: Digits | None = None


def _init_worker(images: np.ndarray, labels: np.ndarray) -> None:
    global _worker_digits
    _worker_digits = Digits(images, labels)


def _start_worker(images: np.ndarray, labels: np.ndarray) -> None:
    """A forked worker's start: the parent's signal handlers are the parent's. Ctrl-C (and a
    closed terminal's SIGHUP) reaches the whole process group, and the parent stops the pool;
    SIGTERM, how Pool.terminate ends a worker, ends it at once (a handler that raises instead
    can leave the pool's shared queue lock held, and the parent waiting on its workers
    forever)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _init_worker(images, labels)


def _make_chunk(job: tuple[int, int, StringStyle]) -> list[TrainingLine]:
    seed, count, style = job
    rng = np.random.default_rng(seed)
    assert _worker_digits is not None
    return [random_line(_worker_digits, rng, style) for _ in range(count)]


def make_lines(
    digits: Digits,
    count: int,
    seed: int,
    style: StringStyle | None = None,
    workers: int = 2,
    what: str = "composing lines",
) -> list[TrainingLine]:
    """`count` lines composed from `digits`, the same for a seed whatever the worker count;
    progress is shown as `what`."""
    style = style or StringStyle()
    chunk = 500
    jobs = [
        (seed * 1_000_003 + k, min(chunk, count - start), style)
        for k, start in enumerate(range(0, count, chunk))
    ]
    made: list[TrainingLine] = []
    with Progress(what, count, "lines") as progress, contextlib.ExitStack() as stack:
        if workers <= 1 or len(jobs) == 1:
            _init_worker(digits.images, digits.labels)
            chunks: Iterable[list[TrainingLine]] = map(_make_chunk, jobs)
        else:
            context = multiprocessing.get_context("fork")
            pool = stack.enter_context(
                context.Pool(workers, _start_worker, (digits.images, digits.labels))
            )
            chunks = pool.imap(_make_chunk, jobs)
        for lines in chunks:
            made += lines
            progress.advance(len(lines))
    return made


def batches(
    lines: list[TrainingLine], batch_size: int, rng: np.random.Generator | None
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(images float32 [B, 32, W, 1], labels int32 [B, MAX_DIGITS], label lengths int32 [B]),
    lines of similar width together; batch order shuffled when `rng` is given."""
    order = sorted(range(len(lines)), key=lambda i: lines[i].image.shape[1])
    groups = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(groups)
    for group in groups:
        width = max(lines[i].image.shape[1] for i in group)
        width = _BATCH_WIDTH_STEP * math.ceil(width / _BATCH_WIDTH_STEP)
        images = np.zeros((len(group), lines[0].image.shape[0], width, 1), np.float32)
        labels = np.zeros((len(group), MAX_DIGITS), np.int32)
        lengths = np.zeros(len(group), np.int32)
        for row, index in enumerate(group):
            line = lines[index]
            images[row, :, : line.image.shape[1], 0] = line.image / 255.0
            labels[row, : len(line.labels)] = line.labels
            lengths[row] = len(line.labels)
        yield images, labels, lengths


# ---- training -----------------------------------------------------------------------------------


def logits_model(model: keras.Model) -> keras.Model:
    """The reader without its final softmax: CTC loss wants logits."""
    return keras.Model(model.input, model.layers[-2].output)


def fit_reader(
    model: keras.Model,
    train_lines: list[TrainingLine],
    val_lines: list[TrainingLine],
    settings: ReaderSettings,
    on_epoch: Callable[[int, float, float], None] | None = None,
) -> list[float]:
    """Adam, linear warm-up then cosine decay, CTC loss (blank last). Returns the validation
    exact-string accuracy after each epoch."""
    steps_per_epoch = settings.steps_per_epoch
    total = settings.steps
    warmup = min(steps_per_epoch // 2, total // 4)
    schedule = keras.optimizers.schedules.CosineDecay(
        settings.learning_rate / 10,
        decay_steps=total - warmup,
        warmup_target=settings.learning_rate,
        warmup_steps=warmup,
    )
    optimizer = keras.optimizers.Adam(schedule)
    trainable = logits_model(model)
    spec = (
        tf.TensorSpec([None, None, None, 1], tf.float32),
        tf.TensorSpec([None, MAX_DIGITS], tf.int32),
        tf.TensorSpec([None], tf.int32),
    )

    @tf.function(input_signature=spec)
    def step(images: tf.Tensor, labels: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            logits = trainable(images, training=True)
            steps = tf.fill([tf.shape(images)[0]], tf.shape(logits)[1])
            loss = tf.reduce_mean(
                tf.nn.ctc_loss(
                    labels, logits, lengths, steps, logits_time_major=False, blank_index=BLANK
                )
            )
        grads = tape.gradient(loss, trainable.trainable_variables)
        optimizer.apply_gradients(zip(grads, trainable.trainable_variables, strict=True))
        return loss

    rng = np.random.default_rng(settings.seed)
    for_batch_norm = train_lines[:_BATCH_NORM_LINES]  # composed at random: a fair sample
    history = []
    for epoch in range(settings.epochs):
        started, losses = time.perf_counter(), []
        for number, (images, labels, lengths) in enumerate(
            batches(train_lines, settings.batch_size, rng), start=1
        ):
            # The first step traces and compiles `step`, and TensorFlow's graph optimizer then
            # prints a oneDNN notice (E0000 ... DT_BOOL) from C++, past logging.
            first = epoch == 0 and number == 1
            with native_output_to_log(log) if first else contextlib.nullcontext():
                losses.append(float(step(images, labels, lengths)))
            if number % 200 == 0:
                log.info(
                    "epoch %d/%d step %d/%d: CTC loss %.3f",
                    epoch + 1,
                    settings.epochs,
                    number,
                    steps_per_epoch,
                    np.mean(losses[-200:]),
                )
        # Validation reads with statistics measured under this epoch's final weights, as the
        # saved model will (a short run's running averages would lag far behind).
        recompute_batch_norm(
            model, (images for images, _, _ in batches(for_batch_norm, settings.batch_size, None))
        )
        accuracy = exact_accuracy(predict_lines(model, val_lines), val_lines)
        history.append(accuracy)
        log.info(
            "epoch %d/%d: loss %.3f, validation strings exact %.4f, %.0f s",
            epoch + 1,
            settings.epochs,
            np.mean(losses),
            accuracy,
            time.perf_counter() - started,
        )
        if on_epoch:
            on_epoch(epoch, float(np.mean(losses)), accuracy)
    return history


# ---- evaluation ---------------------------------------------------------------------------------


def predict_lines(
    model: keras.Model, lines: list[TrainingLine], batch_size: int = 128
) -> list[str]:
    """The float model's greedy CTC reading of each line, in the order given."""
    texts: list[str] = [""] * len(lines)
    order = sorted(range(len(lines)), key=lambda i: lines[i].image.shape[1])
    for start in range(0, len(order), batch_size):
        group = order[start : start + batch_size]
        width = max(lines[i].image.shape[1] for i in group)
        width = WIDTH_STEP * math.ceil(width / WIDTH_STEP)
        images = np.zeros((len(group), lines[0].image.shape[0], width, 1), np.float32)
        for row, index in enumerate(group):
            images[row, :, : lines[index].image.shape[1], 0] = lines[index].image / 255.0
        probabilities = model(images, training=False).numpy()
        for row, index in enumerate(group):
            texts[index] = "".join(map(str, ctc_greedy_labels(probabilities[row])))
    return texts


def exact_accuracy(texts: list[str], lines: list[TrainingLine]) -> float:
    right = sum(t == "".join(map(str, line.labels)) for t, line in zip(texts, lines, strict=True))
    return right / max(len(lines), 1)


def evaluation_lines(
    digits: Digits, count: int, seed: int = 0, camera: bool = False
) -> list[TrainingLine]:
    """The composed evaluation strings (1-8 digits, gaps -0.15..+0.6 heights) from `digits`:
    black on white paper, or photographed as training's are (`camera`)."""
    style, what = (
        (CAMERA_EVALUATION, "composing photographed strings")
        if camera
        else (EVALUATION, "composing strings on white paper")
    )
    return make_lines(digits, count, seed, style, what=what)
