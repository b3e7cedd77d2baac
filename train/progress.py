"""Progress of long work: a bar on a terminal, a plain line each tenth of the way otherwise (a
log or CI output would fill with a bar's redraws)."""

import logging
import sys
from types import TracebackType

from tqdm import tqdm

log = logging.getLogger("progress")


class Progress:
    """Counts `total` units of work named `what`; use as a context manager and `advance` it."""

    def __init__(self, what: str, total: int, unit: str):
        self.what, self.total, self.unit = what, total, unit
        self.done = 0
        self._bar = tqdm(total=total, desc=what, unit=f" {unit}") if sys.stderr.isatty() else None

    def advance(self, count: int = 1) -> None:
        before, self.done = self.done, self.done + count
        if self._bar is not None:
            self._bar.update(count)
        elif self.total and before * 10 // self.total < self.done * 10 // self.total:
            log.info("%s: %d of %d %s", self.what, self.done, self.total, self.unit)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()
