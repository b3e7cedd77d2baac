"""Desktop CLIs: on bad input a clear error, a non-zero exit, no traceback; quick and quiet where
the user waits; short runs that would give a useless model refused up front."""

import json
import logging
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from chatter import TF_LOG
from checkout import REPO

from quantize import compare
from train.progress import Progress


def run(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )


def assert_clean_failure(result: subprocess.CompletedProcess, *phrases: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def test_train_missing_data_file(tmp_path: Path) -> None:
    result = run("train", "--data", str(tmp_path / "missing.npz"), cwd=tmp_path)
    assert result.stderr.startswith("train: error: ")
    assert_clean_failure(result, "missing.npz does not exist", "--data")
    assert not (tmp_path / "artifacts").exists()


def test_train_wrong_array_shapes(tmp_path: Path) -> None:
    path = tmp_path / "odd.npz"
    np.savez(
        path,
        x_train=np.zeros((10, 32, 32), np.uint8),
        y_train=np.zeros(10, np.uint8),
        x_test=np.zeros((2, 28, 28), np.uint8),
        y_test=np.zeros(2, np.uint8),
    )
    assert_clean_failure(run("train", "--data", str(path), cwd=tmp_path), "x_train has shape")


@pytest.mark.parametrize("lr", ["0", "-1", "nan", "inf"])
def test_train_refuses_a_learning_rate_that_is_not_above_0(tmp_path: Path, lr: str) -> None:
    """nan trained to nan weights and exited 0, its model written."""
    result = run("train", "--lr", lr, cwd=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, "--lr must be a finite number above 0")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--signs", "1.5"), "--signs must be a share from 0 to 1, got 1.5"),
        (("--signs", "nan"), "--signs must be a share from 0 to 1, got nan"),
        (("--signs", "0.1", "--arch", "pi_cnn"), "--signs is for the line reader"),
    ],
)
def test_train_refuses_a_share_of_signs_it_cannot_use(tmp_path: Path, args, said) -> None:
    result = run("train", *args, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, said)
    assert not (tmp_path / "out").exists()


def test_train_refuses_a_seed_numpy_cannot_take_before_any_work(tmp_path: Path) -> None:
    """It was a traceback once TensorFlow had loaded (`Seed must be between 0 and 2**32 - 1`)."""
    result = run("train", "--seed", "-1", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, "--seed must be from 0 to 4294967295, got -1")
    assert not (tmp_path / "out").exists()


def test_train_refuses_a_validation_split_of_every_digit(tmp_path: Path, mnist_path: Path) -> None:
    """It was a traceback (`validation size 60000 must be between 1 and 59999`)."""
    args = ("--data", str(mnist_path), "--val-size", "60000", "--out", str(tmp_path / "out"))
    result = run("train", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, "--val-size 60000 leaves no training digits of 60000")


def test_train_rejects_unknown_architecture(tmp_path: Path) -> None:
    result = run("train", "--arch", "resnet152", cwd=tmp_path)
    assert_clean_failure(result, "invalid choice: 'resnet152'")


def test_quantize_missing_model(tmp_path: Path, mnist_path: Path) -> None:
    result = run(
        "quantize", "--model", str(tmp_path / "none.keras"), "--data", str(mnist_path), cwd=tmp_path
    )
    assert_clean_failure(result, "no Keras model at", "python -m train")


def test_quantize_errors_start_with_its_name_as_edges_do(tmp_path: Path) -> None:
    """`edge: error: ...`, `quantize: error: ...`: which program speaks, in a script's output."""
    image = tmp_path / "script_4071.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (tmp_path / "model.keras").write_bytes(b"PK")
    result = run("quantize", "--model", "model.keras", "--data", str(image), cwd=tmp_path)
    assert_clean_failure(result)
    assert result.stderr == (
        f"quantize: error: MNIST file {image} is not an .npz file (by its first bytes it is a "
        "PNG image). "
        "Pass --data PATH (or set EDGE_DIGITS_MNIST) to an .npz with x_train, y_train, x_test, "
        "y_test as keras writes it.\n"
    )
    missing = run("quantize", "--model", "none.keras", "--data", str(image), cwd=tmp_path)
    assert missing.stderr.startswith("quantize: error: no Keras model at none.keras.")


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "is empty: pass the model.keras"),
        # A .keras cut short keeps its first bytes; Keras said "File not found" of it.
        (
            b"PK\x03\x04 definitely not a keras archive",
            "is a .keras file damaged or cut short: run `python -m train`",
        ),
        ((REPO / "edge/models/digits_int8.tflite").read_bytes(), "is a TFLite model"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "is a PNG image, not a Keras model"),
        # A train report given for the model: no need to train again.
        (b'{"arch": "line_reader"}', "is not a Keras model (a .keras file is a zip archive)"),
    ],
)
def test_quantize_corrupt_keras_file(
    tmp_path: Path, mnist_path: Path, content: bytes, said: str
) -> None:
    model = tmp_path / "model.keras"
    model.write_bytes(content)
    result = run("quantize", "--model", str(model), "--data", str(mnist_path), cwd=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, f"{model} {said}", "python -m train")
    assert not list(tmp_path.glob("*.tflite"))


def unloadable_keras(path: Path) -> Path:
    """A zip archive, as a .keras file is, whose config Keras cannot read."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{not json")
    return path


def test_a_run_that_fails_leaves_no_empty_folder_it_made(tmp_path: Path, mnist_path: Path):
    """quantize of a model Keras cannot load, into a new --out: the folder (and its new
    parent) made to write in were left behind, empty; one that was there stays."""
    model = unloadable_keras(tmp_path / "model.keras")
    for out in (tmp_path / "new" / "out", tmp_path):
        flags = ("--model", str(model), "--data", str(mnist_path), "--out", str(out))
        assert run("quantize", *flags, cwd=tmp_path).returncode == 2
    assert not (tmp_path / "new").exists() and tmp_path.is_dir()


def test_quantize_a_keras_archive_keras_cannot_load_is_refused_with_its_words(
    tmp_path: Path, mnist_path: Path
) -> None:
    model = unloadable_keras(tmp_path / "model.keras")
    result = run("quantize", "--model", str(model), "--data", str(mnist_path), cwd=tmp_path)
    assert_clean_failure(result, "is not a loadable Keras model", "Re-run `python -m train`")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--min-int8-accuracy", "nan"), "--min-int8-accuracy: a fraction from 0 to 1, got nan"),
        (("--min-agreement", "95"), "got 95 (a percentage? 95 % is 0.95)"),
        (("--min-agreement", "95%"), "got '95%' (95 % is 0.95)"),
        (("--max-accuracy-drop", "-0.1"), "--max-accuracy-drop: a fraction from 0 to 1"),
        (("--min-int8-accuracy", "most"), "a fraction from 0 to 1, got 'most'"),
    ],
)
def test_quantize_refuses_thresholds_that_are_no_fraction(tmp_path: Path, args, said) -> None:
    """nan passed every model (no comparison with it is true), and wrote NaN in the report."""
    result = run("quantize", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, said)


def test_train_help_is_quick_and_imports_no_tensorflow(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin"}  # no TF_CPP_MIN_LOG_LEVEL: nothing may need it
    command = [sys.executable, "-m", "train", "--help"]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    seconds = time.perf_counter() - started
    assert result.returncode == 0 and "--allow-short-run" in result.stdout
    # Every option says what it is for, and its default when it has one.
    for phrase in ("--arch {", "what to train (default line_reader", "default 120,000",
                   "held out for validation (default 5,000)", "seed for the validation split",
                   "peak learning rate (default 0.002)"):  # fmt: skip
        assert phrase in " ".join(result.stdout.split()), phrase
    assert result.stderr == "" and not TF_LOG.search(result.stdout)
    assert seconds < 2.0, f"python -m train --help took {seconds:.1f} s"
    imported = subprocess.run(
        [sys.executable, "-X", "importtime", *command[1:]],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    ).stderr
    assert not re.search(r"\|\s+(tensorflow|keras)$", imported, re.MULTILINE)


def test_a_short_line_reader_run_is_refused_with_the_reason(
    tmp_path: Path, mnist_path: Path
) -> None:
    # 2,000 lines x 3 epochs / 64 per batch = 96 steps: the reader would read next to nothing.
    args = ("--data", str(mnist_path), "--limit", "10000", "--val-size", "1000", "--epochs", "3")
    result = run("train", *args, "--lines", "2000", cwd=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, "96 training steps", "too short", "--allow-short-run", "--limit")
    assert not (tmp_path / "artifacts").exists()


def test_progress_is_plain_lines_off_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO), Progress("composing lines", 1000, "lines") as progress:
        for _ in range(40):
            progress.advance(25)
    assert [r.getMessage() for r in caplog.records][::3] == [
        "composing lines: 100 of 1000 lines",
        "composing lines: 400 of 1000 lines",
        "composing lines: 700 of 1000 lines",
        "composing lines: 1000 of 1000 lines",
    ]
    assert len(caplog.records) == 10


def _run_dir(root: Path, name: str, train: dict, parity: dict) -> Path:
    run_dir = root / name
    run_dir.mkdir()
    (run_dir / "train_report.json").write_text(json.dumps(train))
    (run_dir / "parity_report.json").write_text(json.dumps(parity))
    return run_dir


def test_compare_marks_failed_runs_and_shows_the_readers_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    reports = REPO / "edge" / "models" / "reports"
    bundled = json.loads((reports / "parity_report.json").read_text())
    reader = _run_dir(
        tmp_path, "reader", json.loads((reports / "train_report.json").read_text()), bundled
    )
    train = {"architecture": "lenet5", "parameters": 61706, "epochs": 8, "wall_seconds": 79}
    figures = {"accuracy": 0.9, "bytes": 2048, "us_per_image": 17.4}
    parity = {"float": figures, "int8": figures, "top1_agreement": 0.99, "passed": False}
    failed = _run_dir(tmp_path, "failed", train, parity)
    assert compare.main([str(reader), str(failed)]) == 0
    out = capsys.readouterr().out
    float_, int8 = bundled["float"], bundled["int8"]
    figures = [
        float_["strings_exact"],
        int8["strings_exact"],
        int8["camera_strings_exact"],
        int8["mnist_test_as_lines_exact"],
    ]
    percents = " | ".join(f"{v * 100:.2f}%" for v in figures)
    assert f"| line_reader | 219,643 | 120,000 x 5 | {percents} |" in out
    assert "| lenet5 **(failed parity)** | 61,706 | 8 | 90.00% |" in out


@pytest.mark.parametrize("tool", ["train", "quantize"])
def test_without_tensorflow_the_desktop_tools_say_what_to_install(tool: str) -> None:
    # The edge install (a Pi's) leaves TensorFlow out; run there, the desktop tools say what to
    # install instead of failing on an import. (An entry of None in sys.modules hides a module.)
    argument = "--remeasure" if tool == "quantize" else "--data"
    hidden = (
        "import runpy, sys; sys.modules['tensorflow'] = None; "
        f"sys.argv = ['{tool}', '{argument}', 'x']; runpy.run_module('{tool}', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", hidden],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert_clean_failure(result, f"python -m {tool} needs TensorFlow", 'pip install -e ".[train]"')
    assert result.stderr.startswith(f"{tool}: error: ")


def test_remeasure_refuses_files_their_card_does_not_describe(tmp_path: Path, mnist_path: Path):
    # New figures written beside a card whose checksums are of other files would pass for theirs.
    models = tmp_path / "models"
    shutil.copytree(REPO / "edge" / "models", models)
    with (models / "digits_float.tflite").open("ab") as model:
        model.write(b"\0")
    result = run("quantize", "--remeasure", str(models), "--data", str(mnist_path), cwd=REPO)
    assert result.returncode == 2
    assert_clean_failure(result, "digits_float.tflite fails its sha256 check")


def test_validation_reads_the_held_out_strings_once_and_as_edge_reads(mnist_path: Path):
    result = run("quantize.validation", "--lines", "60", "--data", str(mnist_path), cwd=REPO)
    assert result.returncode == 0, result.stderr
    out = result.stdout  # the figures; progress goes to stderr
    assert "from the 5000 training digits its run held out (training seed 1" in out
    rows = re.findall(r"^\| ([a-z ]+) \| ([\d.]+)% \| ([\d.]+)% \| ([\d.]+) \|$", out, re.M)
    assert [row[0] for row in rows] == ["black on white", "photographed", "touching"]
    figures = {kind: [float(v) for v in values] for kind, *values in rows}
    once, as_edge, reads = figures["black on white"]
    assert as_edge >= 85.0 and once >= 85.0  # run L reads 94-95 % of 3,000 such strings
    assert 1.0 <= reads <= 7.0  # a line is read once, or again from up to 6 more views
    assert figures["touching"][2] > reads  # touching strings are read less surely
    # How the misread strings were misread, kind by kind: touching strings lose digits.
    how = dict(re.findall(r"^- ([a-z ]+): (.+)$", out, re.M))
    assert list(how) == ["black on white", "photographed", "touching"]
    assert re.match(r"0 lines with a '\?'; digits left out: \d+ \(", how["touching"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--lines", "0"), "--lines must be at least 1, got 0"),
        (("--seed", "-1"), "--seed must be 0 or more"),
        (("--val-size", "70000"), "--val-size 70000 leaves no training digits of 60000"),
        (("--models", "nowhere"), "holds no digits_int8.tflite and model_card.json"),
    ],
)
def test_validation_refuses_bad_flags_in_a_line(mnist_path: Path, args: tuple, message: str):
    result = run("quantize.validation", "--data", str(mnist_path), *args, cwd=REPO)
    assert result.returncode == 2
    assert_clean_failure(result, message)


def test_validation_needs_the_runs_seed_from_its_card_or_the_flag(tmp_path: Path, mnist_path):
    models = tmp_path / "models"
    shutil.copytree(REPO / "edge" / "models", models)
    card = json.loads((models / "model_card.json").read_text())
    del card["training"]["seed"]
    (models / "model_card.json").write_text(json.dumps(card))
    args = ("--models", str(models), "--data", str(mnist_path), "--lines", "5")
    result = run("quantize.validation", *args, cwd=REPO)
    assert result.returncode == 2
    assert_clean_failure(result, "records no training seed", "pass --train-seed N")
    result = run("quantize.validation", *args, "--train-seed", "1", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "(training seed 1, composing seed 777)" in result.stdout


@pytest.mark.parametrize("tool", ["train", "quantize"])
def test_an_out_that_cannot_take_files_is_refused_before_any_work(
    tmp_path: Path, mnist_path: Path, tool: str
) -> None:
    """A file, or a folder under a file: a traceback, and for an unwritable folder only after
    the whole training run."""
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "model.keras").write_bytes(b"PK")
    model = ["--model", str(tmp_path / "model.keras")] * (tool == "quantize")
    for out, said in (("afile", "afile is a file, not a folder"), ("afile/sub", "Not a directory")):
        flags = ["--data", str(mnist_path), *model, "--out", str(tmp_path / out)]
        result = run(tool, *flags, cwd=tmp_path)
        assert result.returncode == 2
        assert_clean_failure(result, f"{tool}: error: ", said, "pass --out a folder you can")


def test_ctrl_c_stops_training_with_one_line(tmp_path: Path, mnist_path: Path) -> None:
    """It printed KeyboardInterrupt's traceback from deep in Keras; SIGTERM ended it silently."""
    command = [sys.executable, "-m", "train", "--data", str(mnist_path), "--lines", "4000",
               "--epochs", "1", "--allow-short-run", "--out", str(tmp_path / "run")]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tmp_path, stderr=subprocess.PIPE, text=True,
        env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    try:
        while "line reader:" not in (line := process.stderr.readline()):
            assert line, "train ended before it started training"
        time.sleep(2.0)  # composing lines, or fitting
        process.send_signal(signal.SIGINT)
        said = process.stderr.read()
        process.wait(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130 and "Traceback" not in said, said
    assert said.splitlines()[-1] == "train: stopped by SIGINT (Ctrl-C)"
    assert not (tmp_path / "run").exists()  # the folder it made for the run, left empty


def test_compare_leaves_out_files_beside_the_runs_and_names_an_incomplete_run(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """`runs/*` names runs/notes.txt too: that stopped it with "[Errno 20] Not a directory"."""
    train = {"architecture": "lenet5", "parameters": 61706, "epochs": 8, "wall_seconds": 79}
    figures = {"accuracy": 0.9, "bytes": 2048, "us_per_image": 17.4}
    parity = {"float": figures, "int8": figures, "top1_agreement": 0.99, "passed": True}
    run_dir = _run_dir(tmp_path, "lenet5", train, parity)
    (tmp_path / "notes.txt").write_text("runs of 29 Nov")
    assert compare.main([str(run_dir), str(tmp_path / "notes.txt")]) == 0
    said = capsys.readouterr()
    assert "| lenet5 | 61,706 |" in said.out
    notes = tmp_path / "notes.txt"
    assert said.err == f"quantize.compare: {notes} is not a run's folder: left out\n"
    (run_dir / "parity_report.json").unlink()  # trained, never quantized
    assert compare.main([str(run_dir)]) == 2
    assert capsys.readouterr().err.startswith(
        f"quantize.compare: error: {run_dir} lacks a complete train and parity report"
    )
