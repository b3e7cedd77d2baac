"""Test helpers: the processes a process started, and whether one still runs, from Linux's /proc
(the checks using them skip where there is none)."""

from pathlib import Path

HAS_PROC = Path("/proc/self/stat").is_file()


def _stat_fields(pid: int | str) -> list[str]:
    """/proc/PID/stat's fields after the command's name (which may hold spaces and brackets)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if int(_stat_fields(entry.name)[1]) == pid:
                found.append(int(entry.name))
        except OSError:  # it ended while we looked
            continue
    return found


def running(pid: int) -> bool:
    """Whether `pid` runs: not ended, nor a zombie (ended; only its parent's wait is missing)."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except OSError:
        return False
