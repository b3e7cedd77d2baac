"""deploy/edge-digits.service: systemd accepts it, and its sandbox scores "OK" (<= 1.3 of 10).

Needs `systemd-analyze` (Debian package `systemd`); nothing here needs a running systemd.
"""

import dataclasses
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from checkout import REPO

from edge.config import WebSettings
from edge.web.sink import LISTEN_BACKLOG, OTHER_FILES

UNIT = REPO / "deploy" / "edge-digits.service"
VENV_PYTHON = "/opt/edge-digits/venv/bin/python"
CONFIG = "/etc/edge-digits/config.toml"  # where install.sh puts it, root's alone
# -P: the service-writable working directory is not on the import path; %d: the credentials.
EXEC_START = f"{VENV_PYTHON} -P -m edge --config %d/config.toml"
MAX_EXPOSURE = 1.3  # systemd-analyze calls up to 1.9 "OK"; an unhardened service scores 9.6


def systemd_analyze(*args: str) -> subprocess.CompletedProcess:
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze not found: apt-get install systemd")
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, timeout=120)


def directives(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) for every assignment, in order; keys may repeat."""
    section, found = "", []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            found.append((section, key, value))
    return found


def values(section: str, key: str) -> list[str]:
    return [v for s, k, v in directives(UNIT.read_text()) if (s, k) == (section, key)]


def verify_copy(tmp_path: Path, text: str) -> str:
    """`systemd-analyze verify` output for the unit `text`, with ExecStart runnable here.

    verify refuses an ExecStart binary that does not exist, and /opt/edge-digits/venv exists only
    on an installed Pi; this Python runs `-m edge` just as well.
    """
    assert f"ExecStart={EXEC_START}\n" in text
    copy = tmp_path / UNIT.name
    copy.write_text(text.replace(f"ExecStart={VENV_PYTHON} ", f"ExecStart={sys.executable} "))
    done = systemd_analyze("verify", str(copy))
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_systemd_analyze_verify_is_clean(tmp_path: Path):
    assert verify_copy(tmp_path, UNIT.read_text()) == ""


def test_verify_output_is_what_catches_mistakes(tmp_path: Path):
    """verify exits 0 on an unknown setting, so the test above must look at its output."""
    broken = UNIT.read_text().replace("NotifyAccess=main", "NotifyAcess=main")

    assert "Unknown key 'NotifyAcess'" in verify_copy(tmp_path, broken)


def test_security_exposure_is_ok():
    done = systemd_analyze("security", "--offline=true", str(UNIT))

    assert done.returncode == 0, done.stderr
    overall = re.search(r"Overall exposure level for edge-digits\.service: (\d+\.\d+)", done.stdout)
    assert overall, done.stdout
    assert float(overall[1]) <= MAX_EXPOSURE, done.stdout


def test_notify_watchdog_and_restart_policy():
    assert values("Service", "Type") == ["notify"]
    assert values("Service", "NotifyAccess") == ["main"]  # only `python -m edge` may report
    assert values("Service", "WatchdogSec") == ["30s"]
    assert values("Service", "Restart") == ["on-failure"]
    assert values("Service", "RestartPreventExitStatus") == ["2"]  # a config error: no loop
    assert values("Unit", "StartLimitIntervalSec") and values("Unit", "StartLimitBurst")
    assert values("Service", "ExecStart") == [EXEC_START]


def test_only_the_camera_devices_and_the_needed_socket_families():
    assert values("Service", "DevicePolicy") == ["closed"]
    assert sorted(values("Service", "DeviceAllow")) == [
        "char-dma_heap rw",
        "char-media rw",
        "char-video4linux rw",
    ]
    assert values("Service", "SupplementaryGroups") == ["video"]
    assert values("Service", "RestrictAddressFamilies") == ["AF_UNIX AF_INET AF_INET6 AF_NETLINK"]


def test_logs_go_to_the_journal_and_state_to_the_state_directory():
    keys = {key for _, key, _ in directives(UNIT.read_text())}
    assert not keys & {"StandardOutput", "StandardError", "LogsDirectory"}
    assert values("Service", "StateDirectory") == ["edge-digits"]
    assert values("Service", "ProtectSystem") == ["strict"]
    assert values("Service", "DynamicUser") == ["yes"]


def test_the_settings_arrive_as_a_credential():
    """The config may hold passwords: install.sh makes it root's alone (0600), and systemd hands
    the service a copy only it can read."""
    assert values("Service", "LoadCredential") == [f"config.toml:{CONFIG}"]


def test_memory_files_and_tasks_are_bounded():
    assert values("Service", "MemoryMax") == ["512M"]
    assert values("Service", "TasksMax") == ["128"]
    (files,) = values("Service", "LimitNOFILE")
    field = next(f for f in dataclasses.fields(WebSettings) if f.name == "max_connections")
    largest = max(n for n in range(10_000) if field.metadata["check"](n) is None)
    assert largest + LISTEN_BACKLOG + OTHER_FILES <= int(files)  # any allowed [web] fits
