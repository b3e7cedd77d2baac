"""`python -m edge.peak_rss COMMAND...`: run COMMAND (stdout discarded), print its peak RSS in kB.

Linux carries a process's resident-memory high-water mark across fork and exec, so a command
started straight from a big process (the bench, holding hundreds of scenes) reports that
process's peak instead of its own. Forked from this small one, the figure is the command's.
Exits with the command's exit status.
"""

import os
import sys


def main(command: list[str]) -> int:
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    pid = os.fork()
    if pid == 0:  # the child: becomes the command, with stdout to /dev/null
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        try:
            os.execvp(command[0], command)
        except OSError as exc:
            print(f"cannot run {command[0]}: {exc}", file=sys.stderr)
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    print(usage.ru_maxrss)  # kB on Linux
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
