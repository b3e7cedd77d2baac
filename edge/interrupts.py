"""How a command ends early: SIGINT (Ctrl-C), SIGTERM (systemd, kill), SIGHUP (its terminal or
SSH session closed), or a closed stdout.

Each raises `Interrupted`, a SystemExit: it passes every `except Exception`, unwinds the
`finally` blocks and `with` statements that clean up (a camera, a temporary folder), and,
uncaught, ends the process quietly with the shell's status for the signal (128 + its number).
A closed stdout (`python -m edge --json | head -1`) is SIGPIPE's case: the reader has gone, so
the command ends without a word, as a Unix filter does.

This module imports nothing heavy: `python -m edge` installs its handlers before it imports
OpenCV and numpy, which take half a second or more on a Pi.
"""

import contextlib
import os
import select
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TextIO

SIGNAL_NAMES = {
    signal.SIGINT: "SIGINT (Ctrl-C)",
    signal.SIGTERM: "SIGTERM",
    signal.SIGHUP: "SIGHUP (its terminal closed)",
}
_stderr = 2  # where stop_now writes: a copy of stderr once stop_on_signals has made one
_program = "edge"  # who says it was stopped: "edge: stopped by SIGTERM"
_held: list[int] | None = None  # signals that came while held (`signals_held`), else None
_stopped_by: int | None = None  # the signal `stop_now` said stopped the command
# Seen at import, before any handler of ours: whether the command started with SIGHUP ignored.
_HANGUP_IGNORED = signal.getsignal(signal.SIGHUP) == signal.SIG_IGN


class Interrupted(SystemExit):
    """A signal (or a closed stdout) ended the command; `code` is 128 + the signal number."""

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.signum = signum


def stop_on_signals(program: str = "edge") -> None:
    """From now on SIGINT, SIGTERM and SIGHUP stop the command at once with a one-line message
    that `program` (edge, train, quantize) says."""
    global _stderr, _program
    _program = program
    # The message goes to this copy: while LiteRT starts, stderr itself is redirected into the
    # log (edge.native_output), and a Ctrl-C then must still say what it did.
    _stderr = os.dup(2)
    handle_stop_signals(stop_now)
    sys.excepthook = _quiet_after_a_stop


def handle_stop_signals(handler: Callable[[int, Any], None]) -> None:
    """`handler` for SIGINT, SIGTERM and SIGHUP; but a SIGHUP ignored when the command started
    stays ignored: `nohup python -m edge ...` asked to outlive its terminal."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        if not (signum == signal.SIGHUP and _HANGUP_IGNORED):
            signal.signal(signum, handler)


def _quiet_after_a_stop(kind: type[BaseException], error: BaseException, trace: Any) -> None:
    """sys.excepthook: an error left uncaught once a signal has stopped the command is the
    stop's doing, and ends it as the stop does (its one line said, 128 + the signal's number).
    A C extension interrupted while it is imported turns the interrupt into an error of its
    own: numpy's "PyCapsule_Import could not import module" ImportError, its cause lost."""
    if _stopped_by is None:
        sys.__excepthook__(kind, error, trace)
        return
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    os._exit(128 + _stopped_by)  # the stack is unwound; only the process is left to end


def signal_name(signum: int) -> str:
    """A signal as people know it: "SIGINT (Ctrl-C)", "SIGTERM", "SIGHUP"."""
    return SIGNAL_NAMES.get(signum, signal.Signals(signum).name)


def stop_now(signum: int, _frame: object = None) -> None:
    """A signal handler: say which signal stopped the command, then raise `Interrupted` (at
    once, or when `signals_held` ends)."""
    global _stopped_by
    if _held is not None:
        _held.append(signum)
        return
    _stopped_by = signum
    message = f"{_program}: stopped by {signal_name(signum)}\n"
    # os.write, not print: the handler may run inside a print to stderr, and sys.stderr's
    # buffer refuses a reentrant write; and a closed stderr must not keep the command running.
    with contextlib.suppress(OSError):
        os.write(_stderr, message.encode())
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP wait until the block ends (then `stop_now` runs as usual).

    For starting a child process: an `Interrupted` raised inside `subprocess.Popen`, after the
    fork, leaves a child nobody holds, which outlives the command. Held, the signal arrives once
    the caller has the Popen and can stop it. (Not by blocking the signals: a child inherits a
    blocked mask, and would then ignore the SIGTERM meant to stop it.)
    """
    global _held
    _held = []
    try:
        yield
    finally:
        held, _held = _held, None
        if held:
            stop_now(held[0])


def reraise_interrupt(error: ImportError) -> None:
    """Re-raise the interrupt an ImportError hides: a pybind11 module (LiteRT, libcamera)
    interrupted while it initializes reports ImportError("initialization failed"), caused by the
    interrupt, and that is no missing package."""
    if error.__cause__ is not None and not isinstance(error.__cause__, Exception):
        raise error.__cause__


def write_line(out: TextIO, line: str) -> None:
    """Write `line` and a newline to `out` at once (the reader of a pipe sees it now); a closed
    pipe ends the command quietly (`pipe_closed`)."""
    try:
        out.write(line + "\n")
        out.flush()
    except BrokenPipeError:
        pipe_closed(out)


def check_reader(out: TextIO) -> None:
    """End the command quietly when `out` is a pipe whose reader has gone, before anything is
    written to it: a camera that sees nothing new writes nothing, yet `| head -1` waits for us."""
    try:
        fd = out.fileno()
    except (OSError, ValueError):  # not a file (a test's StringIO), or already closed
        return
    poller = select.poll()
    poller.register(fd, 0)  # POLLERR is always reported: for a pipe, its reader has gone
    if any(events & select.POLLERR for _fd, events in poller.poll(0)):
        pipe_closed(out)


def pipe_closed(out: TextIO) -> NoReturn:
    """`out`'s reader has gone: raise Interrupted(SIGPIPE), with nothing said."""
    # What is still buffered, and Python's own flush at exit, go to /dev/null from now on: a
    # second BrokenPipeError would be printed as "Exception ignored ..." (and skip clean-up).
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, out.fileno())
    os.close(devnull)
    raise Interrupted(signal.SIGPIPE) from None
