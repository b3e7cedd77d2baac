"""Recording stand-ins for the commands deploy/install.sh runs, used by test_install_script.py.

Run as `install_stand_in.py TOOL ARGS...` from a wrapper named TOOL on PATH. Every call is appended
to $STAND_IN_LOG as one JSON line; the state the script reads back (installed apt packages, the
service's enabled/active flags) lives in $STAND_IN_STATE so a second run sees what the first did.
Knobs: $STAND_IN_ARCH (dpkg architecture), $STAND_IN_UNAME (uname -m), $STAND_IN_BROKEN_IMPORTS=1
(the venv's import check fails), $STAND_IN_NO_NETWORK=1 (what downloads fails: apt-get, and pip's
install of the pinned requirements).
"""

import json
import os
import sys
from pathlib import Path

WRAPPER = '#!/bin/sh\nexec "{python}" "{script}" {tool} "$@"\n'


def write_wrapper(path: Path, tool: str) -> None:
    """An executable `path` that runs this stand-in as `tool`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    script = Path(__file__).resolve()
    path.write_text(WRAPPER.format(python=sys.executable, script=script, tool=tool))
    path.chmod(0o755)


def load_state() -> dict:
    path = Path(os.environ["STAND_IN_STATE"])
    if path.exists():
        return json.loads(path.read_text())
    return {"apt": [], "enabled": False, "active": False}


def save_state(state: dict) -> None:
    Path(os.environ["STAND_IN_STATE"]).write_text(json.dumps(state))


def apt_get(args: list[str], state: dict) -> int:
    if os.environ.get("STAND_IN_NO_NETWORK"):
        print("E: Failed to fetch: network unreachable", file=sys.stderr)
        return 100
    if args[0] == "install":
        state["apt"] += [arg for arg in args[1:] if not arg.startswith("-")]
    return 0


def dpkg_query(args: list[str], state: dict) -> int:
    if args[-1] in state["apt"]:
        print("installed", end="")
        return 0
    print(f"dpkg-query: no packages found matching {args[-1]}", file=sys.stderr)
    return 1


def systemctl(args: list[str], state: dict) -> int:
    command = args[0]
    if command in ("is-enabled", "is-active"):
        return 0 if state[command[3:]] else 1
    if command == "enable":
        state["enabled"] = True
        state["active"] = state["active"] or "--now" in args
    elif command == "disable":
        state["enabled"] = False
        state["active"] = state["active"] and "--now" not in args
    elif command in ("start", "restart"):
        state["active"] = True
    return 0


def python3(args: list[str], state: dict) -> int:
    if args[:3] != ["-m", "venv", "--system-site-packages"]:
        print(f"python3 stand-in: unexpected {args}", file=sys.stderr)
        return 2
    venv = Path(args[3])
    write_wrapper(venv / "bin" / "python", "venv-python")
    (venv / "pyvenv.cfg").write_text("include-system-site-packages = true\n")
    return 0


def dpkg(args: list[str], state: dict) -> int:
    print(os.environ.get("STAND_IN_ARCH", "arm64"))  # --print-architecture
    return 0


def uname(args: list[str], state: dict) -> int:
    print(os.environ.get("STAND_IN_UNAME", "aarch64"))  # -m
    return 0


def venv_python(args: list[str], state: dict) -> int:
    if args[0] == "-c":
        return 1 if os.environ.get("STAND_IN_BROKEN_IMPORTS") else 0
    if "--require-hashes" in args and os.environ.get("STAND_IN_NO_NETWORK"):
        print("ERROR: network unreachable", file=sys.stderr)
        return 1
    return 0


TOOLS = {
    "apt-get": apt_get,
    "dpkg": dpkg,
    "dpkg-query": dpkg_query,
    "systemctl": systemctl,
    "uname": uname,
    "python3": python3,
    "venv-python": venv_python,
}


def main() -> int:
    tool, args = sys.argv[1], sys.argv[2:]
    record: dict = {"tool": tool, "argv": args}
    if "PIP_CONFIG_FILE" in os.environ:
        record["pip_config_file"] = os.environ["PIP_CONFIG_FILE"]
    with open(os.environ["STAND_IN_LOG"], "a") as log:
        log.write(json.dumps(record) + "\n")
    state = load_state()
    status = TOOLS[tool](args, state)
    save_state(state)
    return status


if __name__ == "__main__":
    sys.exit(main())
