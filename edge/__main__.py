"""`python -m edge`: run the recognizer (default), `recognize` image files, or `bench` it.

    python -m edge [--source demo] [--web 8080] ...  live read-outs from a camera or replay
    python -m edge recognize PATH...                  one JSON line per image
    python -m edge bench [--scenes N] [--json]        timings, memory and accuracy

Each command's options: python -m edge run --help (recognize --help, bench --help).

A camera mounted sideways, upside down or behind a mirror: run and recognize take --hflip,
--vflip (mirror each frame) and --rotation 90|180|270 (then turn it clockwise), like [source]
rotation, hflip and vflip. Chalk or white marker on a dark board: --ink light (default auto).

Exit status: 0 done, 1 something failed while running (a file, the camera, an output such as
stdout on a full disk), a camera is held by another program, or a webcam or stream is not
there (unplugged, its server down: worth starting again; run as a systemd service, it is
waited for instead), 2 it could not start (bad config, model or source; the message says what
to fix). SIGINT (Ctrl-C), SIGTERM or SIGHUP (its terminal closed; not under nohup) stops a
command at once with a one-line message and 128 + the signal's number (130, 143, 129), except
`run` once it is reading: it finishes the frame and says what it did (a second Ctrl-C stops at
once), then exits 0 for a camera, a stream or a --loop replay, which run until stopped (1 if an
output failed), but 128 + the signal's number for files or a video stopped before their end,
saying so. A closed stdout (`| head -1`) ends run and recognize quietly with 141.
"""

from edge.interrupts import handle_stop_signals, signal_name, stop_now, stop_on_signals

# Before the imports below: importing OpenCV and numpy takes half a second or more on a Pi, and
# a Ctrl-C or systemd's SIGTERM then must stop us like one at any other time, not with a
# traceback. Only when run: tests import the parser from here.
if __name__ == "__main__":
    stop_on_signals()

import argparse
import difflib
import io
import logging
import shlex
import signal
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2

from edge import __version__
from edge.bench import BenchError, add_bench_arguments, bench, whole_number
from edge.config import (
    DEFAULT_FPS,
    ROTATIONS,
    ConfigError,
    Settings,
    WebSettings,
    apply_overrides,
    load_settings,
    names_files,
    redact_url,
    resolve_config_path,
    written_in,
)
from edge.events import Sink, Stats
from edge.ink import INK_CHOICES
from edge.lines import FindSettings
from edge.model import BUNDLED_MODEL, LineModel, ModelError, model_file
from edge.outputs import OutputError, build_sinks
from edge.outputs.console import printable
from edge.pipeline import DigitReader, Pipeline
from edge.reading import Stabilizer
from edge.recognize import WriteFailed, recognize_all
from edge.scenes import SMALLEST_SCENE, SceneTooSmall
from edge.sources import (
    VIDEO_SUFFIXES,
    CameraBusy,
    SourceError,
    SourceUnavailable,
    open_when_there,
    orientation_of,
)
from edge.systemd import SystemdNotifySink

if TYPE_CHECKING:  # the web output's imports are loaded only when the page is on
    from edge.web.sink import WebSink

EXIT_OK, EXIT_FAILED, EXIT_SETUP = 0, 1, 2
COMMANDS = ("run", "recognize", "bench")
HELP = ("-h", "--help")
# Libraries whose DEBUG lines are their own internals, one per chunk of every image read
# (Pillow's "STREAM b'IHDR'"): kept at INFO at -vv, where they would bury edge's own.
CHATTY_LIBRARIES = ("PIL",)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser, and each command's own (whose usage an error in its options shows)."""
    parser = argparse.ArgumentParser(
        prog="python -m edge",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"edge-digits {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{run,recognize,bench}")
    run = commands.add_parser(
        "run",
        help="read digits from a camera or replay (the default)",
        description="Read digits from a camera, a stream, a video or image files and report "
        "each new reading (console, JSON lines, live page, MQTT) until the source ends, "
        "--max-frames or SIGTERM.",
    )
    _add_common(run)
    run.add_argument(
        "--source",
        help="auto (the Pi camera, else webcam 0), picamera2, demo, webcam:N, a video file, a "
        "stream URL, or image files, each read once: a file, a directory or a glob "
        + configured("source"),
    )
    run.add_argument(
        "--stable-frames",
        type=int,
        help="frames of a camera, a video or looped photos a read-out must hold "
        + configured("stable_frames"),
    )
    run.add_argument(
        "--web",
        type=web_address,
        metavar="[HOST:]PORT",
        help="serve the live page on PORT and print its URL (HOST: default [web] host from "
        f"the config, else {WebSettings().host}, this machine only; 0.0.0.0 for other machines, "
        "with a login or trusted network set in [web])",
    )
    run.add_argument(
        "--json",
        action="store_true",
        help='JSON lines on stdout instead of text: {"event": "reading", ...} per reading, '
        '{"event": "error", ...} per file that cannot be read, {"event": "stats", ...} last '
        "(README, Run it)",
    )
    run.add_argument(
        "--width", type=int, help="recognition frame width (camera request) " + configured("width")
    )
    run.add_argument("--height", type=int, help="recognition frame height " + configured("height"))
    run.add_argument(
        "--fps",
        type=float,
        help="camera request; replay pace with --realtime "
        + configured("fps", f"{DEFAULT_FPS:g}, a video file's own frame rate with --realtime"),
    )
    run.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        help="replay files like a camera: a video at its own frame rate, images at --fps "
        "(--fps paces a video too); --no-realtime: as fast as they are read "
        + configured("realtime"),
    )
    run.add_argument(
        "--loop",
        action=argparse.BooleanOptionalAction,
        help="replay files forever; photos each say their reading on the first pass, then, "
        "like a camera's view, only a new one that holds (a photo written over); --no-loop: "
        "once " + configured("loop"),
    )
    run.add_argument(
        "--max-frames",
        type=whole_number(1, "a frame count"),
        help="stop after this many frames (default: when the source ends, or Ctrl-C)",
    )
    _add_mounting(run)

    recognize = commands.add_parser(
        "recognize",
        help="one JSON line per image file",
        description="Read image files: one JSON line per image on stdout, its digits or why it "
        'has none: {"path", "text", "lines", "digits": [{"digit", "confidence", "box": [x, y, w, '
        'h]}]} (boxes in the file\'s own pixels), with "empty_reason" when it reads nothing, or '
        '{"path", "error"} for a file that cannot be read. A directory is read one level deep '
        "(a glob such as 'dir/**/*.jpg' reads every level); its other files are named in a "
        "warning. Exit status: 0 every file read (a blank page too), 1 a file or folder could "
        "not be read or stdout not written, 2 a bad option, config or model.",
    )
    _add_common(recognize)
    _add_mounting(recognize)
    # Accepted as run takes it: `recognize --json` is what a user of `run --json` types.
    recognize.add_argument(
        "--json",
        action="store_true",
        help="changes nothing: the output is JSON lines anyway, one per image",
    )
    recognize.add_argument("paths", nargs="+", metavar="PATH", help="image files, dirs or globs")

    bench = commands.add_parser(
        "bench",
        help="timings, memory and accuracy on generated scenes",
        description="Time and score the int8 and float models on generated scenes (MNIST digits; "
        "640x480 JPEG files replayed through the same pipeline as run): per-stage timings, "
        "peak memory, exact read-outs per scene condition; with --real, on labelled photos.",
    )
    _add_common(bench)
    add_bench_arguments(bench)
    return parser, commands.choices


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        help="TOML settings (default: $EDGE_DIGITS_CONFIG, else "
        "/etc/edge-digits/config.toml if it exists)",
    )
    parser.add_argument(
        "--model",
        help="a .tflite line model with its model_card.json beside it (default: [model] path "
        "from the config, else the bundled int8 one)",
    )
    parser.add_argument("--threads", type=int, help="interpreter threads " + configured("threads"))
    parser.add_argument("--no-verify", action="store_true", help="skip the model's sha256 check")
    parser.add_argument(
        "--confidence", type=float, help="below this a digit reads '?' " + configured("confidence")
    )
    parser.add_argument(
        "--ink",
        choices=INK_CHOICES,
        help="dark: ink on paper; light: chalk or white marker on a dark board; auto: tell from "
        "each picture " + configured("ink"),
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v info, -vv debug")


def _add_mounting(parser: argparse.ArgumentParser) -> None:
    """How the camera is mounted: each frame is mirrored first, then turned."""
    parser.add_argument(
        "--rotation",
        type=int,
        choices=ROTATIONS,
        help="turn each frame clockwise (degrees) " + configured("rotation"),
    )
    for flag, how in (("hflip", "left-right"), ("vflip", "top-bottom")):
        parser.add_argument(
            f"--{flag}",
            action=argparse.BooleanOptionalAction,
            help=f"mirror each frame {how}; --no-{flag}: not " + configured(flag),
        )


def configured(dest: str, built_in: str | None = None) -> str:
    """A flag's default for its help: the setting it overrides, from the config or `built_in`
    (by default the setting's built-in value; in words for one that is unset by default)."""
    section, key = FLAG_SETTINGS[dest]
    if built_in is None:
        built_in = str(getattr(getattr(Settings(), section), key))
    return f"(default: [{section}] {key} from the config, else {built_in})"


def web_address(text: str) -> tuple[str | None, int]:
    """`--web [HOST:]PORT` -> (HOST or None, PORT); an IPv6 HOST is written in brackets."""
    host, _, port = text.rpartition(":")
    if not port.isdigit():
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected [HOST:]PORT, such as 8080 or 0.0.0.0:8080"
        )
    return host.removeprefix("[").removesuffix("]") or None, int(port)


def web_text(host: str | None, port: int) -> str:
    """`--web`'s value written back from what `web_address` made of it."""
    if host is None:
        return str(port)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Arguments with `run` filled in when no command is named (`python -m edge --json`), and
    a command named after options (`python -m edge -v recognize x.png`) moved before them, so
    that they are its options."""
    parser, commands = build_parser()
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        parser.error(_not_a_command(argv[0]))
    filled_in = not argv or argv[0] not in (*COMMANDS, *HELP, "--version")
    if filled_in:
        argv = ["run", *argv]
    # --help left out at first when run is filled in: it would show run's at once, not that
    # of a command named after the options.
    first = [word for word in argv if word not in HELP] if filled_in else argv
    args, left_over = parser.parse_known_args(first)
    named = [word for word in left_over if word in COMMANDS]
    if filled_in and named:
        # A command named after options, some of them its own (`--scenes 10 bench`), which
        # run's parser left over. (Its first mention: an option's value that is a command's
        # name, as in `--config run`, is no file anyone names.)
        at = argv.index(named[0], 1)
        return parse_args([argv[at], *argv[1:at], *argv[at + 1 :]])
    if first != argv:
        parser.parse_known_args(argv)  # shows run's help, as asked, and exits
    words = [word for word in left_over if not word.startswith("-")]
    options = [word for word in left_over if word.startswith("-")]
    if args.command == "run" and args.source is not None and words and not options:
        # (With an option left over too, the words are most likely its value: a mistyped
        # option, `--max-fames 3`, is said as such below.)
        parser.error(_one_source([args.source, *words]))
    first_word = left_over[0] if left_over and not left_over[0].startswith("-") else None
    source = _source_named(first_word) if args.command == "run" and first_word else None
    if source:  # `run demo`
        commands["run"].error(
            f"{first_word!r} is no argument of run; to read from that source: {source}"
        )
    if left_over:
        command = commands[args.command]
        # Its usage: the options it takes.
        command.error(_unrecognized(left_over, args.command, commands))
    return args


def _unrecognized(
    left_over: list[str], name: str, commands: dict[str, argparse.ArgumentParser]
) -> str:
    """argparse's own words for arguments no option of command `name` takes, and the option a
    mistyped one is close to (`--sources`: did you mean --source?), or the command whose
    option it is (`run --scenes 10`: bench's)."""
    said = f"unrecognized arguments: {' '.join(left_over)}"
    # Every flag of each command, as argparse's own errors use them.
    flags = {command: list(parser._option_string_actions) for command, parser in commands.items()}
    typed = [word.split("=")[0] for word in left_over if word.startswith("--")]
    close = [m for word in typed for m in difflib.get_close_matches(word, flags[name], 1, 0.75)]
    if close:
        return f"{said} (did you mean {' '.join(close)}?)"
    owners = [(word, other) for word in typed for other in commands if word in flags[other]]
    if owners:
        word, other = owners[0]
        return f"{said} ({word} is an option of {other}: python -m edge {other} {word} ...)"
    return said


def _one_source(values: list[str]) -> str:
    """What to say of `--source a.jpg b.jpg ...`: most likely a pattern the shell expanded
    (`--source photos/*.jpg` unquoted), so how to pass one, or the files themselves."""
    shown = " ".join(values[:3]) + (" ..." if len(values) > 3 else "")
    return (
        f"--source takes one value, got {len(values)}: {shown} (a pattern the shell expanded?): "
        "quote a pattern, --source 'photos/*.jpg', or read files with python -m edge "
        "recognize FILE..."
    )


def _not_a_command(word: str) -> str:
    """What to say of a first word that is not a command: how to read from it when it names a
    source that is no image file (`_source_named`), else the command it is close to, if any (a
    misspelling), else how to read image files (the likeliest thing meant)."""
    source = _source_named(word)
    if source:
        return f"{word!r} is not a command; to read from that source: {source}"
    close = difflib.get_close_matches(word, COMMANDS, n=1)
    if close:
        return f"{word!r} is not a command: did you mean {close[0]!r}?"
    return (
        f"{word!r} is not a command ({', '.join(COMMANDS)}); to read image files: "
        f"python -m edge recognize {word}"
    )


def _source_named(word: str) -> str | None:
    """The command that reads from `word` when it names a source that is no image file
    (`demo`, `webcam:0`, a stream's URL, a video, which only `--source` reads), else None."""
    video = Path(word).suffix.lower() in VIDEO_SUFFIXES
    if word != "webcam" and not video and names_files(word):
        return None
    source = "webcam:0" if word == "webcam" else word  # webcam alone is no source's name
    return f"python -m edge --source {shlex.quote(source)}"


# flag (argparse dest) -> the setting it overrides
FLAG_SETTINGS = {
    "model": ("model", "path"),
    "threads": ("model", "threads"),
    "confidence": ("reading", "confidence"),
    "source": ("source", "name"),
    "width": ("source", "width"),
    "height": ("source", "height"),
    "fps": ("source", "fps"),
    "stable_frames": ("reading", "stable_frames"),
    "ink": ("reading", "ink"),
    "rotation": ("source", "rotation"),
    "realtime": ("source", "realtime"),  # --realtime / --no-realtime
    "loop": ("source", "loop"),  # --loop / --no-loop
    "hflip": ("source", "hflip"),  # --hflip / --no-hflip
    "vflip": ("source", "vflip"),  # --vflip / --no-vflip
}
SWITCH_SETTINGS = {  # store_true flags: only `True` overrides
    "no_verify": {"model": {"verify": False}},
    "json": {"output": {"json": True, "console": False}},
}


def settings_from(args: argparse.Namespace) -> Settings:
    """Defaults, then the config file, then the flags that were given (each checked alike; a
    wrong value is named as it was typed, `--threads 0`, not by the key it sets)."""
    settings = load_settings(resolve_config_path(args.config))
    for typed, changes in flag_changes(args):
        settings = apply_overrides(settings, changes, origin=typed, flag=True)
    return settings


def flag_changes(args: argparse.Namespace) -> list[tuple[str, dict[str, dict[str, Any]]]]:
    """Each flag that was given, as typed (`--threads 0`), with the settings it changes."""
    given = []
    for dest, (section, key) in FLAG_SETTINGS.items():
        value = getattr(args, dest, None)
        if isinstance(value, bool):  # a switch with its --no- form
            given.append(
                (_flag(dest) if value else f"--no-{_flag(dest)[2:]}", {section: {key: value}})
            )
        elif value is not None:
            given.append((f"{_flag(dest)} {_as_typed(value)}", {section: {key: value}}))
    for dest, changes in SWITCH_SETTINGS.items():
        if getattr(args, dest, False):
            given.append((_flag(dest), changes))
    if typed := typed_web_flag(args):
        host, port = args.web
        web: dict[str, Any] = {"enabled": True, "port": port} | ({"host": host} if host else {})
        given.append((typed, {"web": web}))
    return given


def typed_web_flag(args: argparse.Namespace) -> str | None:
    """`--web` as typed (`--web 0.0.0.0:8080`), when it was given."""
    if not getattr(args, "web", None):
        return None
    return f"--web {_as_typed(web_text(*args.web))}"


def _flag(dest: str) -> str:
    """The flag argparse stores as `dest`: "stable_frames" -> "--stable-frames"."""
    return "--" + dest.replace("_", "-")


def _as_typed(value: object) -> str:
    """A flag's value as a shell would take it back: quoted when empty or spaced."""
    return shlex.quote(value) if isinstance(value, str) else str(value)


class _PrintableFormatter(logging.Formatter):
    """Log lines with the message's control characters escaped (`printable`): a file name
    with a newline or a terminal's escape codes in it reaches the terminal and the journal as
    text. (A traceback's lines, after the message, stay lines.)"""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return printable(super().formatMessage(record))


def configure_logging(level_name: str, verbose: int) -> None:
    """Quiet by default (warnings and errors only); -v and -vv, or [output] log_level, say more.
    The libraries' debug chatter never: -vv is for what edge does."""
    level = getattr(logging, level_name.upper())
    if verbose:
        level = min(level, logging.INFO if verbose == 1 else logging.DEBUG)
    handler = logging.StreamHandler()
    handler.setFormatter(_PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    for library in CHATTY_LIBRARIES:
        logging.getLogger(library).setLevel(max(level, logging.INFO))
    # OpenCV's own warnings (a webcam probe that fails, a codec's) only when asked for; never
    # its INFO notes, which it prints on stdout, where they would break `--json`'s lines.
    quiet = cv2.utils.logging.LOG_LEVEL_ERROR
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_WARNING if verbose > 1 else quiet)


def load_reader(settings: Settings) -> DigitReader:
    """The line model the settings name, and the frame reader around it."""
    model = settings.model
    line_model = LineModel(model_file(model), model.threads, model.verify)
    find = FindSettings(ink=settings.reading.ink)
    return DigitReader(line_model, settings.reading.confidence, find)


def run(
    settings: Settings,
    max_frames: int | None,
    web_flag: str | None = None,
    source_named: str | None = None,
    config: Path | None = None,
) -> int:
    """The service: source -> pipeline -> outputs until the source ends or SIGTERM/SIGINT.
    `web_flag` is `--web` as typed, when it set the live page's address; `source_named`, what
    named the source (`source_named_by`), and `config`, the settings' file, for errors."""
    reader = load_reader(settings)
    sinks = build_sinks(settings, web_flag, config)
    systemd = next((sink for sink in sinks if isinstance(sink, SystemdNotifySink)), None)
    try:
        waiting = systemd.waiting if systemd else None  # a service: no one there to restart it
        source = open_when_there(settings.source, settings.reading.ink, source_named, waiting)
    except SceneTooSmall as exc:  # the settings take frames from 32 px, as a camera can give
        raise SourceError(
            f"--source demo: {exc}; set --width and --height ([source] width and height) to "
            f"{SMALLEST_SCENE} or more"
        ) from None
    try:  # closed however the run ends: even a signal before the loop starts (Interrupted)
        hold_at_end = None
        if settings.web.enabled:
            page = _live_page(sinks)
            _announce_page(page)
            if source.replay and source.pace_fps is None:
                video_rate = not source.stills and settings.source.fps is None
                pace = "its own frame rate" if video_rate else f"{settings.source.frame_rate:g} fps"
                print(
                    f"edge: reading {source.description} as fast as it can; add "
                    f"--realtime to watch the live page at {pace} (--fps, [source] fps)",
                    file=sys.stderr,
                    flush=True,
                )
            # A video or photos may be read in a second: the page stays up to be looked at.
            hold_at_end = partial(_say_page_stays_up, page)
        if settings.mqtt.enabled:
            _announce_broker(sinks)
        path = reader.model.path
        # The float model shipped beside the int8 one (for bench's comparison) is bundled too.
        bundled = path.resolve().parent == BUNDLED_MODEL.resolve().parent
        stats = Stats(
            model=path.name if bundled else str(path),
            model_bundled=bundled,
            quantized=reader.model.quantized,
            source=source.description,
        )
        pipeline = Pipeline(
            source,
            reader,
            Stabilizer(settings.reading.stable_frames),
            sinks,
            stats,
            max_frames,
            hold_at_end,
        )
        caught = _stop_on_signals(pipeline)
        try:
            pipeline.run()
        except SourceError as exc:
            print(f"edge: error: {exc}", file=sys.stderr)
            return EXIT_FAILED
    finally:
        source.close()
    # A photo that could not be read is an answer not given, as in `recognize`, and so is the
    # rest of a video damaged in the middle (a camera's bad frame is one of many); but a run
    # stopped by a signal (systemctl stop) before every photo was read stopped cleanly.
    whole = pipeline.source_ended or not pipeline.stopping
    if caught and source.replay and not settings.source.loop and not pipeline.source_ended:
        # Files or a video left unread were asked for: a stop before their end is no success.
        said = f"stopped by {signal_name(caught[0])} before the end of {source.description}"
        print(f"edge: {said}", file=sys.stderr)
        return 128 + caught[0]
    lost = [f"{name}: {error}" for name, error in pipeline.failed_outputs.items()]
    if source.replay and not settings.source.loop:
        # A batch of files is done once: what an output dropped (an MQTT broker down) is no
        # answer given. A camera's readings come again, so its outages are only warned of.
        lost += [f"{sink.label}: {said}" for sink in sinks if (said := sink.lost())]
    if lost:  # readings lost: a run that ends 0 would say all went well
        print(f"edge: what an output failed to write is lost: {'; '.join(lost)}", file=sys.stderr)
        return EXIT_FAILED
    failed = source.replay and stats.failed_frames and whole
    return EXIT_FAILED if failed else EXIT_OK


def source_named_by(args: argparse.Namespace, settings: Settings) -> str | None:
    """What named the source, for its errors: the config file's key, as the file writes it,
    when no --source was given (`[source] name = 'x.mp4' in /etc/edge-digits/config.toml`,
    and that a relative path is read from the config's folder); None for the flag."""
    config = resolve_config_path(args.config)
    if getattr(args, "source", None) is not None or config is None:
        return None
    written = written_in(config, "source", "name")
    name = written if isinstance(written, str) else settings.source.name
    said = f"[source] name = {redact_url(name)!r} in {config}"
    if names_files(name) and not Path(name.strip()).expanduser().is_absolute():
        said += " (a relative path is read from the config's folder)"
    return said


def _live_page(sinks: list[Sink]) -> "WebSink":
    """The live page's output among `sinks` (there is one when [web] is enabled)."""
    from edge.web.sink import WebSink  # already loaded: build_sinks made one

    return next(sink for sink in sinks if isinstance(sink, WebSink))


def _announce_page(page: "WebSink") -> None:
    """Where the live page is, on the console at any log level: it is what a person opens."""
    where = page.url
    if page.host in ("0.0.0.0", "::"):  # every network: the loopback URL works only here
        where += f" (from another machine: http://<this machine's address>:{page.port}/)"
    print(f"edge: live page on {where}; {page.access}", file=sys.stderr, flush=True)


def _say_page_stays_up(page: "WebSink") -> None:
    """When a replay ends with the page on: it stays up, showing the last frame and reading."""
    print(
        f"edge: the source ended; the live page stays up at {page.url} until Ctrl-C",
        file=sys.stderr,
        flush=True,
    )


def _announce_broker(sinks: list[Sink]) -> None:
    """Where readings are published, on the console at any log level: what a subscriber needs."""
    from edge.outputs.mqtt import MqttSink  # already loaded: build_sinks made one

    broker = next(sink for sink in sinks if isinstance(sink, MqttSink))
    print(f"edge: MQTT to {broker.destination}", file=sys.stderr, flush=True)


def _stop_on_signals(pipeline: Pipeline) -> list[int]:
    """SIGTERM (systemd), SIGHUP (a closed terminal) and Ctrl-C end the loop cleanly once it has
    started; a second Ctrl-C stops at once, and so does a signal while the outputs start (as
    everywhere before the loop: MQTT's start waits up to 3 s for the broker's first answer).
    The signals that came, in the order they came (a list the handler fills)."""
    caught: list[int] = []

    def stop(signum: int, frame: object) -> None:
        if not pipeline.started:
            stop_now(signum, frame)  # out of the outputs' start, which is no loop to end
        if signum == signal.SIGINT and pipeline.stopping:
            stop_now(signum, frame)  # the sinks still get on_stop as it unwinds
        caught.append(signum)
        pipeline.stop()  # nothing else here: the loop may be anywhere, even inside logging

    handle_stop_signals(stop)
    return caught


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        # A file name the terminal's encoding cannot show (not UTF-8, or a C locale's ASCII)
        # is shown escaped, as stderr shows it, not lost with its line.
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        settings = settings_from(args)
        configure_logging(settings.output.log_level, args.verbose)
        if args.command == "recognize":
            reader = load_reader(settings)
            upright = orientation_of(settings.source)
            max_pixels = settings.source.max_pixels
            return recognize_all(args.paths, reader, sys.stdout, upright, max_pixels)
        if args.command == "bench":
            return bench(args, settings)
        return run(
            settings,
            args.max_frames,
            typed_web_flag(args),
            source_named_by(args, settings),
            resolve_config_path(args.config),
        )
    except (CameraBusy, SourceUnavailable) as exc:  # not the setup's: worth starting again
        print(f"edge: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except WriteFailed as exc:
        print(f"edge: error: cannot write the readings to standard output: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (ConfigError, ModelError, SourceError, OutputError, BenchError) as exc:
        print(f"edge: error: {exc}", file=sys.stderr)
        return EXIT_SETUP


if __name__ == "__main__":
    sys.exit(main())
