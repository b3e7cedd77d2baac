"""What libraries print straight to the terminal, moved into the log at debug level.

TensorFlow's import (oneDNN and absl lines), its converter (`Saved artifact ...`, warnings) and
LiteRT (`INFO: Created TensorFlow Lite XNNPACK delegate`) write to file descriptors 1 and 2 from
C++, past Python's `sys.stdout` and logging, so only redirecting the descriptors hides them.
"""

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import BinaryIO


@contextlib.contextmanager
def native_output_into(sink: BinaryIO) -> Iterator[None]:
    """Send whatever is written to file descriptors 1 and 2 during the block into `sink` (a
    real file: its descriptor is duplicated onto theirs). Python's own buffers are flushed
    first, so what was written before the block goes where it was meant to."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    try:
        for fd in saved:
            os.dup2(sink.fileno(), fd)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)


@contextlib.contextmanager
def native_output_to_log(log: logging.Logger) -> Iterator[None]:
    """Send whatever is written to stdout and stderr during the block to `log` at debug level.

    The descriptors are process-wide: keep the block to the library call, since other threads'
    output during it lands in the log too.
    """
    with tempfile.TemporaryFile() as sink:
        try:
            with native_output_into(sink):
                yield
        finally:  # what a library said before it failed, too
            sink.seek(0)
            for line in sink.read().decode(errors="replace").splitlines():
                if line.strip():
                    log.debug("%s", line)
