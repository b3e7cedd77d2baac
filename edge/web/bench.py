"""Do viewers slow the recognizer? Runs `python -m edge` with the page on, and compares.

    python -m edge.web.bench --viewers 20 [--rounds 3] [--source demo] [-- --model X ...]

Phases of `--seconds` alternate: no viewers, then `--viewers` clients reading /stream.mjpg as
fast as they can (plus `--stalled` ones that never read), `--rounds` times, and a last one with
no viewers. The source is paced at `--fps` like a camera; where the recognizer cannot keep up,
CPU the web side takes shows as fewer frames processed (--fps 240 runs it about flat out). The
viewers run in this process, on the same CPUs: on a Pi they would be other machines.
Arguments after `--` go to `python -m edge` unchanged. On a terminal a bar shows the phase and
how far it is; SIGINT or SIGTERM stops it, and the recognizer it started, with a line.
"""

import argparse
import asyncio
import concurrent.futures
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from edge.interrupts import signals_held, stop_on_signals

STREAM_REQUEST = b"GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"  # a Host it knows
PART_MARK = b"Content-Type: image/jpeg"
START_TIMEOUT = 60.0  # seconds for the recognizer to load its model and listen
TOLERANCE = 0.10  # the goal: viewers cost at most 10 % of the processed fps
STOP_TIMEOUT = 5.0  # seconds the recognizer has to end after SIGTERM
SETTLE = 2.0  # seconds for viewers to connect and start streaming, or for the server to see them go


@dataclass
class Phase:
    name: str
    watched: bool  # stream clients were connected (stalled ones receive nothing)
    fps_samples: list[float] = field(default_factory=list)  # the pipeline's own processed_fps
    frames: int = 0  # frames processed during the phase
    seconds: float = 0.0
    received: list[int] = field(default_factory=list)  # JPEGs each viewer got
    received_bytes: int = 0
    viewers: int = 0  # most stream clients the server counted during the phase
    cpu_seconds: float | None = None  # CPU time the recognizer process used in the phase
    viewers_cpu_seconds: float = 0.0  # CPU time this process (the viewers) used in the phase

    @property
    def processed_fps(self) -> float:
        return statistics.median(self.fps_samples) if self.fps_samples else 0.0


class Viewers:
    """`count` MJPEG clients reading flat out, and `stalled` ones that never read a byte."""

    def __init__(self, port: int, count: int, stalled: int):
        self.port, self.count, self.stalled = port, count, stalled
        self.frames = [0] * count
        self.bytes = [0] * count
        self.problems: list[str] = []
        self._clients: list[concurrent.futures.Future] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()
        # Held on to: the event loop keeps only weak references, and a client task it
        # garbage-collects while connecting would silently never watch.
        self._clients = [
            asyncio.run_coroutine_threadsafe(client, self._loop)
            for client in [self._watch(i) for i in range(self.count)]
            + [self._stall() for _ in range(self.stalled)]
        ]

    def reset(self) -> None:
        self.frames = [0] * self.count
        self.bytes = [0] * self.count

    def stop(self) -> None:
        """Close every connection (the server must see them go), then end the thread."""
        asyncio.run_coroutine_threadsafe(self._cancel_all(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    @staticmethod
    async def _cancel_all() -> None:
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _watch(self, index: int) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError as exc:
            self.problems.append(f"viewer {index} could not connect: {exc}")
            return
        writer.write(STREAM_REQUEST)
        tail = b""
        try:
            while chunk := await reader.read(1 << 16):
                data = tail + chunk  # a mark split across two reads is still counted once
                self.frames[index] += data.count(PART_MARK)
                self.bytes[index] += len(chunk)
                tail = data[-(len(PART_MARK) - 1) :]
            self.problems.append(f"viewer {index}: the server ended the stream")
        except OSError as exc:
            self.problems.append(f"viewer {index}: {exc}")
        finally:
            writer.close()

    async def _stall(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await self._loop.sock_connect(sock, ("127.0.0.1", self.port))
        await self._loop.sock_sendall(sock, STREAM_REQUEST)
        try:
            await asyncio.Event().wait()  # hold the connection open, read nothing
        finally:
            sock.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch_stats(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/stats", timeout=5) as response:
        return json.load(response)


class Clock:
    """Waits the bench's planned seconds; on a terminal, a bar of them named after the phase."""

    def __init__(self, seconds: float):
        self._bar = tqdm(
            total=round(seconds),
            unit="s",
            disable=None,
            bar_format="{desc}{percentage:3.0f}%|{bar}| {n}/{total} s",
        )
        self._started = time.monotonic()

    def phase(self, name: str) -> None:
        self._bar.set_description(name)

    def sleep(self, seconds: float) -> None:
        """Sleep `seconds`, the bar following."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(0.5, left))
            self._bar.n = min(round(time.monotonic() - self._started), self._bar.total)
            self._bar.refresh()

    def close(self) -> None:
        self._bar.close()


def start_recognizer(args: argparse.Namespace, port: int, workdir: Path) -> subprocess.Popen:
    config = workdir / "bench.toml"
    streams = args.viewers + args.stalled  # all of them at once, over the usual cap
    config.write_text(
        f'[web]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\n'
        f"max_streams = {max(streams, 20)}\nmax_connections = {max(streams + 16, 100)}\n"
    )
    command = [sys.executable, "-m", "edge", "--source", args.source, "--loop", "--realtime"]
    command += ["--fps", str(args.fps), "--config", str(config), *args.edge_args]
    print("recognizer:", " ".join(command), flush=True)
    log = workdir / "edge.log"  # a file, not a pipe nobody reads: a full pipe would stall it
    process = None
    try:
        with log.open("wb") as output, signals_held():
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"python -m edge exited:\n{log.read_text(errors='replace')}")
            try:
                if fetch_stats(port).get("model"):
                    return process
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(
            f"python -m edge did not serve http://127.0.0.1:{port}/ in {START_TIMEOUT} s"
        )
    except BaseException:  # not serving yet, or an interrupt: the recognizer must not outlive it
        if process is not None:
            process.kill()
            process.wait()
        raise


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(phase: Phase, port: int, seconds: float, pid: int, clock: Clock) -> Phase:
    """Sample the pipeline's figures once a second for `seconds`.

    The recognizer's own CPU use is measured too: unlike its fps, other load on the machine
    hardly changes it, so it shows what the web side costs even on a busy machine.
    """
    clock.phase(phase.name)
    started, frames_before = time.monotonic(), fetch_stats(port)["frames"]
    cpu_before, own_before = cpu_seconds(pid), time.process_time()
    while (elapsed := time.monotonic() - started) < seconds:
        clock.sleep(min(1.0, seconds - elapsed))
        stats = fetch_stats(port)
        phase.fps_samples.append(stats["processed_fps"])
        phase.viewers = max(phase.viewers, stats["viewers"])
    phase.seconds = time.monotonic() - started
    phase.frames = fetch_stats(port)["frames"] - frames_before
    phase.viewers_cpu_seconds = time.process_time() - own_before
    cpu_after = cpu_seconds(pid)
    if cpu_before is not None and cpu_after is not None:
        phase.cpu_seconds = cpu_after - cpu_before
    return phase


def run(args: argparse.Namespace) -> list[Phase]:
    """Alternate phases without and with viewers, so drift in the machine's load hits both."""
    port = free_port()
    stalled = f" + {args.stalled} stalled" if args.stalled else ""
    phases = []
    clock = Clock(args.warmup + args.rounds * (2 * args.seconds + 2 * SETTLE) + args.seconds)
    with tempfile.TemporaryDirectory() as workdir:
        clock.phase("starting python -m edge")
        process = start_recognizer(args, port, Path(workdir))

        def measured(name: str, watched: bool) -> Phase:
            return measure(Phase(name, watched=watched), port, args.seconds, process.pid, clock)

        try:
            clock.phase("warming up")
            clock.sleep(args.warmup)
            for _ in range(args.rounds):
                phases.append(measured("no viewers", watched=False))
                viewers = Viewers(port, args.viewers, args.stalled)
                viewers.start()
                clock.sleep(SETTLE)
                viewers.reset()
                watched = measured(f"{args.viewers} viewers{stalled}", watched=True)
                watched.received = list(viewers.frames)
                watched.received_bytes = sum(viewers.bytes)
                viewers.stop()
                for problem in viewers.problems:
                    print(problem, file=sys.stderr)
                phases.append(watched)
                clock.sleep(SETTLE)
            phases.append(measured("no viewers", watched=False))
        finally:
            clock.close()
            stop(process)
            said = (Path(workdir) / "edge.log").read_text(errors="replace").splitlines()
            for line in said:
                if line.startswith(("WARNING", "ERROR", "CRITICAL")):
                    print("recognizer:", line, file=sys.stderr)
    return phases


def stop(process: subprocess.Popen) -> None:
    """Stop the recognizer as systemd would: SIGTERM, and SIGKILL if it has not ended soon."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def report(phases: list[Phase], cpus: int) -> None:
    print(
        f"\n{'phase':<28}{'served to':>10}{'processed fps':>14}{'frames/s':>10}"
        f"{'per viewer fps':>16}{'MB/s':>8}{'edge CPU %':>12}{'viewers CPU %':>15}"
    )
    for phase in phases:
        per_viewer, megabytes = "-", 0.0
        if phase.received:
            low, high = min(phase.received), max(phase.received)
            per_viewer = f"{low / phase.seconds:.1f}-{high / phase.seconds:.1f}"
            megabytes = phase.received_bytes / phase.seconds / 1e6
        cpu = "-" if phase.cpu_seconds is None else f"{100 * phase.cpu_seconds / phase.seconds:.0f}"
        print(
            f"{phase.name:<28}{phase.viewers:>10}{phase.processed_fps:>14.1f}"
            f"{phase.frames / phase.seconds:>10.1f}{per_viewer:>16}{megabytes:>8.1f}"
            f"{cpu:>12}{100 * phase.viewers_cpu_seconds / phase.seconds:>15.0f}"
        )
    without = [p.processed_fps for p in phases if not p.watched]
    watched = [p.processed_fps for p in phases if p.watched]
    ratio = statistics.mean(watched) / statistics.mean(without)
    verdict = "within" if ratio >= 1 - TOLERANCE else "NOT within"
    print(
        f"\nprocessed fps with viewers / without: {statistics.mean(watched):.1f} / "
        f"{statistics.mean(without):.1f} = {ratio:.3f} ({verdict} {TOLERANCE:.0%}); "
        f"without viewers it ranged {min(without):.1f}-{max(without):.1f} (the machine's own "
        f"noise); {cpus} CPUs shared with the viewers"
    )
    if all(p.cpu_seconds is not None for p in phases):
        # CPU per processed frame does not depend on how many frames the load let through.
        with_ms, without_ms = (
            1000 * sum(p.cpu_seconds for p in group) / sum(p.frames for p in group)
            for group in ([p for p in phases if p.watched], [p for p in phases if not p.watched])
        )
        web_share = (with_ms - without_ms) * statistics.mean(watched) / 10
        print(
            f"recognizer process CPU per processed frame: {with_ms:.2f} ms with viewers, "
            f"{without_ms:.2f} ms without: serving them costs about {web_share:.0f} % of one core"
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    edge_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(
        prog="python -m edge.web.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--viewers", type=int, default=20, help="clients reading the stream")
    parser.add_argument("--stalled", type=int, default=0, help="clients that never read")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of phases, without/with")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument("--source", default="demo", help="what python -m edge replays")
    parser.add_argument("--fps", type=float, default=30.0, help="source pace (camera rate)")
    args = parser.parse_args(own)
    args.edge_args = edge_args
    stop_on_signals()  # a signal unwinds `run`, which stops the recognizer on its way out
    report(run(args), os.cpu_count() or 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
