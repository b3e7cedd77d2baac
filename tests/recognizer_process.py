"""Test helper: `python -m edge` as a real process, replaying generated scenes like a camera."""

import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

import cv2
import numpy as np
from checkout import REPO, edge_command

from edge.scenes import random_scene

REPLAY_FPS = 10
FRAMES_PER_SCENE = 8  # > the stabilizer's 3 frames, so each scene gives one reading


def write_replay(mnist_test: tuple[np.ndarray, np.ndarray], folder: Path, scenes: int = 4) -> Path:
    """`scenes` different scenes, each repeated as if the camera held still on it."""
    images, labels = mnist_test
    rng = np.random.default_rng(5)
    folder.mkdir(parents=True, exist_ok=True)
    for scene_index in range(scenes):
        frame = random_scene(images, labels, rng, max_digits=4).frame
        for repeat in range(FRAMES_PER_SCENE):
            cv2.imwrite(str(folder / f"scene-{scene_index}-{repeat}.jpg"), frame)
    return folder


class Recognizer:
    """`python -m edge --source <replay> --realtime --loop` with a config (and `env` added to
    the environment); output in a log."""

    def __init__(
        self,
        replay: Path,
        config_toml: str,
        workdir: Path,
        fps: float = REPLAY_FPS,
        env: Mapping[str, str] | None = None,
    ):
        config = workdir / "edge.toml"
        config.write_text(config_toml)
        self.log = workdir / "edge.log"
        command = edge_command("--source", str(replay), "--realtime", "--loop",
                               "--fps", str(fps), "--config", str(config), "-v")  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env={**os.environ, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def kill(self) -> None:
        """SIGKILL: the process vanishes without a word, as on a power cut."""
        self.process.kill()
        self.process.wait(timeout=30)
