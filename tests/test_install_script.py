"""deploy/install.sh against a temporary root, with recording stand-ins for the system's commands.

apt-get, dpkg, dpkg-query, systemctl, uname and `python3 -m venv` are replaced on PATH by
tests/install_stand_in.py, which logs every call and keeps just enough state (installed packages,
service enabled/active) for a second run to see what the first did. Files land under the root.
"""

import dataclasses
import json
import os
import re
import stat
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from checkout import REPO
from install_stand_in import write_wrapper

from edge.config import Settings, load_settings

INSTALL = REPO / "deploy" / "install.sh"
UNIT_SOURCE = REPO / "deploy" / "edge-digits.service"
CONFIG_SOURCE = REPO / "deploy" / "config.toml"
REQUIREMENTS = REPO / "deploy" / "requirements-pi.txt"
TOOLS = ("apt-get", "dpkg", "dpkg-query", "systemctl", "uname", "python3")
APT_PACKAGES = [
    "python3-venv",
    "python3-picamera2",
    "python3-libcamera",
    "python3-opencv",
    "python3-numpy",
    "python3-pil",
]

OS_RELEASES = {
    "bookworm": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
    'VERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
    "trixie": 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\n'
    'VERSION_ID="13"\nVERSION_CODENAME=trixie\nID=debian\n',
    "raspbian-bookworm": 'PRETTY_NAME="Raspbian GNU/Linux 12 (bookworm)"\nID=raspbian\n'
    "ID_LIKE=debian\nVERSION_CODENAME=bookworm\n",
    "bullseye": 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\n'
    "VERSION_CODENAME=bullseye\n",
    "ubuntu-noble": 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nID_LIKE=debian\n'
    "VERSION_CODENAME=noble\n",
}
# Calls that only read the system; everything else changes it.
QUERIES = {
    ("dpkg", "--print-architecture"),
    ("uname", "-m"),
    ("dpkg-query", "-W"),
    ("systemctl", "is-enabled"),
    ("systemctl", "is-active"),
    ("venv-python", "-c"),
}


@dataclass
class FakePi:
    """A root directory that looks like a Pi, a package to install, and the stand-ins' log."""

    root: Path
    package: Path
    log: Path
    env: dict[str, str]

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        self.log.write_text("")  # each run's commands on their own
        return subprocess.run(
            [str(INSTALL), "--root", str(self.root), "--package", str(self.package), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def calls(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def changes(self) -> list[list[str]]:
        """The calls of the last run that change the system, as [tool, *argv]."""
        return [
            [c["tool"], *c["argv"]]
            for c in self.calls()
            if (c["tool"], c["argv"][0]) not in QUERIES
        ]

    def tree(self) -> dict[str, bytes | str]:
        """Every path under the root with its content (files) or link target."""
        result: dict[str, bytes | str] = {}
        for path in sorted(self.root.rglob("*")):
            key = str(path.relative_to(self.root))
            if path.is_symlink():
                result[key] = f"-> {os.readlink(path)}"
            elif path.is_file():
                result[key] = path.read_bytes()
        return result

    @property
    def venv_python(self) -> str:
        return str(self.root / "opt/edge-digits/venv/bin/python")


def make_package(path: Path, bundled_model: bool = True) -> Path:
    """The files of the repository that install.sh looks at."""
    (path / "edge" / "models").mkdir(parents=True)
    (path / "pyproject.toml").write_text('[project]\nname = "edge-digits"\n')
    (path / "edge" / "__init__.py").write_text("")
    if bundled_model:
        (path / "edge" / "models" / "digits_int8.tflite").write_bytes(b"TFL3 bundled")
    return path


@pytest.fixture
def pi(tmp_path: Path) -> FakePi:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text(OS_RELEASES["bookworm"])
    bin_dir = tmp_path / "bin"
    for tool in TOOLS:
        write_wrapper(bin_dir / tool, tool)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "STAND_IN_LOG": str(tmp_path / "calls.jsonl"),
        "STAND_IN_STATE": str(tmp_path / "state.json"),
    }
    return FakePi(root, make_package(tmp_path / "repo"), tmp_path / "calls.jsonl", env)


PIP_INSTALLS = [
    [
        "venv-python", "-m", "pip", "install", "--require-hashes", "--no-deps",
        "--only-binary", ":all:", "--requirement", str(REQUIREMENTS),
    ],
    ["venv-python", "-m", "pip", "install", "--no-deps", "--no-index", "--no-build-isolation"],
]  # fmt: skip


def expected_fresh_install(pi: FakePi) -> list[list[str]]:
    return [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES],
        ["python3", "-m", "venv", "--system-site-packages", str(pi.root / "opt/edge-digits/venv")],
        PIP_INSTALLS[0],
        [*PIP_INSTALLS[1], str(pi.package)],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "edge-digits.service"],
    ]


@pytest.mark.parametrize("release", ["bookworm", "trixie"])
def test_fresh_install_writes_the_files_and_runs_the_install_commands(pi: FakePi, release: str):
    (pi.root / "etc" / "os-release").write_text(OS_RELEASES[release])

    done = pi.run()

    assert done.returncode == 0, done.stderr
    assert pi.changes() == expected_fresh_install(pi)
    pips = [c for c in pi.calls() if c["argv"][:3] == ["-m", "pip", "install"]]
    assert [c["pip_config_file"] for c in pips] == ["/dev/null"] * 2  # no extra index
    unit = pi.root / "etc/systemd/system/edge-digits.service"
    assert unit.read_bytes() == UNIT_SOURCE.read_bytes()
    assert stat.S_IMODE(unit.stat().st_mode) == 0o644
    config = pi.root / "etc/edge-digits/config.toml"
    assert config.read_bytes() == CONFIG_SOURCE.read_bytes()
    # Root's alone (it may hold passwords): the service reads it through LoadCredential=.
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert config.stat().st_uid == os.geteuid()
    assert "journalctl -u edge-digits" in done.stdout
    assert "systemctl status edge-digits" in done.stdout


def test_second_run_changes_nothing_and_says_so(pi: FakePi):
    assert pi.run().returncode == 0
    before = pi.tree()

    again = pi.run()

    assert again.returncode == 0, again.stderr
    assert pi.changes() == []
    assert "nothing to do" in again.stdout
    assert pi.tree() == before


def test_an_existing_config_is_never_overwritten_but_made_root_only(pi: FakePi):
    config = pi.root / "etc/edge-digits/config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[source]\nname = "webcam:0"\n')
    config.chmod(0o640)  # as earlier installs left it, readable by the video group

    done = pi.run()

    assert done.returncode == 0, done.stderr
    assert config.read_text() == '[source]\nname = "webcam:0"\n'
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert f"+ chmod 0600 {config}" in done.stdout
    again = pi.run()
    assert again.returncode == 0 and str(config) not in again.stdout  # nothing more to change


def test_the_pypi_requirements_are_pinned_with_hashes_and_leave_apts_packages_alone():
    requirements = REQUIREMENTS.read_text().replace("\\\n", " ")
    lines = [line for line in requirements.splitlines() if line.strip() and line[0] not in "# "]
    pinned = {}
    for line in lines:
        requirement = line.split(" --hash=")[0].split(";")[0].strip()
        name, _, version = requirement.partition("==")
        assert version and "--hash=sha256:" in line, line
        pinned[name] = version
    pi_extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["pi"]
    wanted = {re.split(r"[<>=!~ ;\[]", dependency)[0].lower() for dependency in pi_extra}
    from_apt = {"numpy", "pillow"}
    assert wanted - from_apt <= pinned.keys()
    assert not from_apt & pinned.keys()
    assert "setuptools" in pinned  # builds the package without fetching anything


def test_a_changed_package_is_reinstalled_and_the_service_restarted(pi: FakePi):
    assert pi.run().returncode == 0
    (pi.package / "edge" / "__init__.py").write_text('"""new code, same version"""\n')

    again = pi.run()

    assert again.returncode == 0, again.stderr
    changes = pi.changes()
    # What needs the network first, while the installed package is whole.
    assert changes[:3] == [
        PIP_INSTALLS[0],
        ["venv-python", "-m", "pip", "uninstall", "--yes", "edge-digits"],
        [*PIP_INSTALLS[1], str(pi.package)],
    ]
    assert changes[3:] == [["systemctl", "restart", "edge-digits.service"]]


def test_a_first_install_without_network_says_which_step_failed(pi: FakePi):
    # apt-get update's failure ended the script with apt's exit status (100) and no word.
    done = pi.run(STAND_IN_NO_NETWORK="1")
    assert done.returncode == 1
    assert done.stderr.endswith(
        "install.sh: error: apt-get update failed (see its error above: no network?); run "
        "install.sh again once it works.\n"
    )
    assert pi.changes() == [["apt-get", "update"]]


def test_an_upgrade_without_network_leaves_the_installed_package_and_says_what_to_do(pi: FakePi):
    """The report: the old package was uninstalled first, then the download failed; the
    service, still enabled, had no package from its next restart on, and the script ended on
    pip's own error."""
    assert pi.run().returncode == 0
    (pi.package / "edge" / "__init__.py").write_text('"""new code, same version"""\n')

    failed = pi.run(STAND_IN_NO_NETWORK="1")

    assert failed.returncode == 1
    assert failed.stderr.endswith(
        "install.sh: error: pip could not install the pinned requirements (see its error above; "
        "no network?). The installed edge-digits and its service are left as they were. Run "
        "install.sh again once that is mended.\n"
    )
    assert pi.changes() == [PIP_INSTALLS[0]]  # nothing uninstalled, nothing restarted
    mended = pi.run()
    assert mended.returncode == 0 and "pip" in str(pi.changes())  # the upgrade, done now


def test_a_changed_unit_is_reloaded_and_the_service_restarted(pi: FakePi):
    assert pi.run().returncode == 0
    unit = pi.root / "etc/systemd/system/edge-digits.service"
    unit.write_text("[Service]\nExecStart=/bin/true\n")  # an older release's unit

    assert pi.run().returncode == 0

    assert pi.changes() == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "restart", "edge-digits.service"],
    ]
    assert unit.read_bytes() == UNIT_SOURCE.read_bytes()


def test_a_stopped_service_is_started(pi: FakePi):
    assert pi.run().returncode == 0
    state = json.loads(Path(pi.env["STAND_IN_STATE"]).read_text())
    Path(pi.env["STAND_IN_STATE"]).write_text(json.dumps({**state, "active": False}))

    assert pi.run().returncode == 0

    assert pi.changes() == [["systemctl", "start", "edge-digits.service"]]


def write_model(directory: Path, with_card: bool) -> Path:
    directory.mkdir()
    model = directory / "custom.tflite"
    model.write_bytes(b"TFL3 custom")
    if with_card:
        (directory / "model_card.json").write_text('{"files": {}}')
    return model


def test_model_option_installs_the_model_with_its_card_and_points_the_config_at_it(
    pi: FakePi, tmp_path: Path
):
    model = write_model(tmp_path / "mine", with_card=True)

    done = pi.run("--model", str(model))

    assert done.returncode == 0, done.stderr
    models = pi.root / "opt/edge-digits/models"
    assert (models / "custom.tflite").read_bytes() == b"TFL3 custom"
    assert (models / "model_card.json").read_text() == '{"files": {}}'
    # Read as TOML: load_settings would look for the model at that path on this machine.
    config = tomllib.loads((pi.root / "etc/edge-digits/config.toml").read_text())
    assert config["model"]["path"] == "/opt/edge-digits/models/custom.tflite"
    again = pi.run("--model", str(model))
    assert "nothing to do" in again.stdout
    assert pi.changes() == []


def test_model_option_with_an_existing_config_says_how_to_use_the_model(pi: FakePi, tmp_path: Path):
    assert pi.run().returncode == 0
    model = write_model(tmp_path / "mine", with_card=True)

    done = pi.run("--model", str(model))

    assert done.returncode == 0, done.stderr
    assert 'path = "/opt/edge-digits/models/custom.tflite"' in done.stdout
    assert load_settings(pi.root / "etc/edge-digits/config.toml").model.path == ""


def test_model_without_its_card_is_refused(pi: FakePi, tmp_path: Path):
    model = write_model(tmp_path / "mine", with_card=False)

    done = pi.run("--model", str(model))

    assert done.returncode == 1
    assert "model_card.json" in done.stderr
    assert pi.changes() == []
    assert pi.tree() == {"etc/os-release": OS_RELEASES["bookworm"].encode()}


def test_a_missing_package_or_model_is_said_to_be_missing_a_wrong_one_of_the_wrong_kind(
    pi: FakePi, tmp_path: Path
):
    gone = pi.run("--package", str(tmp_path / "none.whl"))
    assert gone.returncode == 1 and "none.whl: no such file or folder." in gone.stderr
    missing = pi.run("--model", str(tmp_path / "none.tflite"))
    assert missing.returncode == 1 and "none.tflite: no such file." in missing.stderr
    notes = tmp_path / "notes.txt"
    notes.write_text("not a model")
    wrong = pi.run("--model", str(notes))
    assert wrong.returncode == 1 and "notes.txt: not a .tflite file." in wrong.stderr
    assert pi.changes() == []


def test_a_model_name_that_cannot_go_into_the_config_is_refused(pi: FakePi, tmp_path: Path):
    model = write_model(tmp_path / "mine", with_card=True)
    odd = model.rename(model.with_name('my "best".tflite'))

    done = pi.run("--model", str(odd))

    assert done.returncode == 1
    assert "rename it" in done.stderr
    assert pi.changes() == []


def test_a_package_without_the_bundled_model_is_refused(pi: FakePi, tmp_path: Path):
    pi.package = make_package(tmp_path / "no-model", bundled_model=False)

    done = pi.run()

    assert done.returncode == 1
    assert "digits_int8.tflite is missing" in done.stderr
    assert pi.changes() == []


def test_a_failing_import_check_stops_before_the_service_is_enabled(pi: FakePi):
    done = pi.run(STAND_IN_BROKEN_IMPORTS="1")

    assert done.returncode == 1
    assert "cannot import its dependencies" in done.stderr
    assert not any(change[0] == "systemctl" for change in pi.changes())


def add_captured_data(pi: FakePi) -> None:
    """What DynamicUser= and StateDirectory= leave behind once the service has run."""
    private = pi.root / "var/lib/private/edge-digits"
    private.mkdir(parents=True)
    (private / "capture.png").write_bytes(b"png")
    (pi.root / "var/lib/edge-digits").symlink_to("private/edge-digits")


def test_uninstall_removes_the_service_and_program_but_keeps_config_and_data(pi: FakePi):
    assert pi.run().returncode == 0
    add_captured_data(pi)

    done = pi.run("--uninstall")

    assert done.returncode == 0, done.stderr
    unit = pi.root / "etc/systemd/system/edge-digits.service"
    assert pi.changes() == [
        ["systemctl", "disable", "--now", "edge-digits.service"],
        ["systemctl", "daemon-reload"],
    ]
    assert not unit.exists()
    assert not (pi.root / "opt/edge-digits").exists()
    assert (pi.root / "etc/edge-digits/config.toml").read_bytes() == CONFIG_SOURCE.read_bytes()
    assert (pi.root / "var/lib/edge-digits/capture.png").read_bytes() == b"png"
    assert "--purge" in done.stdout

    again = pi.run("--uninstall")
    assert again.returncode == 0
    assert "not installed: nothing to do" in again.stdout
    assert pi.changes() == []


def test_purge_removes_config_and_data_too(pi: FakePi):
    assert pi.run().returncode == 0
    add_captured_data(pi)

    done = pi.run("--uninstall", "--purge")

    assert done.returncode == 0, done.stderr
    assert pi.tree() == {"etc/os-release": OS_RELEASES["bookworm"].encode()}
    assert sorted(p.name for p in (pi.root / "var/lib").iterdir()) == ["private"]


def test_dry_run_prints_every_action_and_does_none(pi: FakePi):
    done = pi.run("--dry-run")

    assert done.returncode == 0, done.stderr
    assert pi.changes() == []
    assert pi.tree() == {"etc/os-release": OS_RELEASES["bookworm"].encode()}
    planned = [line for line in done.stdout.splitlines() if line.startswith("would run: ")]
    assert [line.split()[2] for line in planned] == [
        "apt-get",
        "apt-get",
        "python3",
        pi.venv_python,
        pi.venv_python,
        pi.venv_python,
        "install",
        "install",
        "systemctl",
        "systemctl",
    ]
    assert "would run: systemctl enable --now edge-digits.service" in planned


def test_dry_run_uninstall_does_nothing(pi: FakePi):
    assert pi.run().returncode == 0
    add_captured_data(pi)
    before = pi.tree()

    done = pi.run("--uninstall", "--purge", "--dry-run")

    assert done.returncode == 0, done.stderr
    assert pi.changes() == []
    assert pi.tree() == before
    assert "would run: systemctl disable --now edge-digits.service" in done.stdout


PI_STEPS = ["apt-get", "apt-get", "python3", "venv", "venv", "venv", "install", "install",
            "systemctl", "systemctl"]  # fmt: skip
UNSUPPORTED = [
    ("raspbian-bookworm", "armhf", "aarch64", "32-bit userland (armhf, kernel aarch64)"),
    ("raspbian-bookworm", "armhf", "armv7l", "LiteRT publishes no 32-bit ARM wheels"),
    ("bookworm", "amd64", "x86_64", "unsupported architecture 'amd64'"),
    ("bullseye", "arm64", "aarch64", "unsupported OS 'Debian GNU/Linux 11 (bullseye)'"),
    ("ubuntu-noble", "arm64", "aarch64", "unsupported OS 'Ubuntu 24.04.1 LTS'"),
]


@pytest.mark.parametrize(("release", "arch", "uname", "reason"), UNSUPPORTED)
def test_a_dry_run_on_another_system_says_it_is_not_a_pi_and_shows_every_step(
    pi: FakePi, release: str, arch: str, uname: str, reason: str
):
    """The README: add --dry-run first to see every step, say on the desktop before the Pi."""
    (pi.root / "etc" / "os-release").write_text(OS_RELEASES[release])

    done = pi.run("--dry-run", STAND_IN_ARCH=arch, STAND_IN_UNAME=uname)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("note: ") and reason in lines[0]
    planned = [line.split()[2] for line in lines if line.startswith("would run: ")]
    assert [tool.replace(pi.venv_python, "venv") for tool in planned] == PI_STEPS
    assert f"note: on this system a real run stops at once: {lines[0][6:]}" in lines
    assert pi.changes() == []
    assert pi.tree() == {"etc/os-release": OS_RELEASES[release].encode()}


@pytest.mark.parametrize(("release", "arch", "uname", "reason"), UNSUPPORTED)
def test_refuses_an_unsupported_system_and_says_why(
    pi: FakePi, release: str, arch: str, uname: str, reason: str
):
    (pi.root / "etc" / "os-release").write_text(OS_RELEASES[release])

    done = pi.run(STAND_IN_ARCH=arch, STAND_IN_UNAME=uname)

    assert done.returncode == 1
    assert reason in done.stderr
    assert pi.changes() == []
    assert pi.tree() == {"etc/os-release": OS_RELEASES[release].encode()}
    if arch == "amd64":  # a desktop: installed from this copy, for edge-digits is not on PyPI
        assert f"pip install '{pi.package}[edge]'" in done.stderr


def test_refuses_a_root_without_os_release(pi: FakePi):
    (pi.root / "etc" / "os-release").unlink()

    done = pi.run()

    assert done.returncode == 1
    assert "os-release not found" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--frobnicate"], "unknown option '--frobnicate'"),
        (["--purge"], "--purge only goes with --uninstall"),
        # bash's own "line 312: 2: --model needs a file" before
        (["--model"], "install.sh: error: --model needs a value: --model PATH (see --help)"),
    ],
)
def test_bad_options_are_refused(pi: FakePi, args: list[str], message: str):
    """With 2, a usage mistake's status in edge and argparse: 1 is a step that failed."""
    done = pi.run(*args)

    assert done.returncode == 2
    assert message in done.stderr
    assert pi.calls() == []


def test_example_config_is_the_full_schema_with_the_pi_defaults():
    text = CONFIG_SOURCE.read_text()
    document = tomllib.loads(text)
    schema = {
        section.name: {key.name for key in dataclasses.fields(section.type)}
        for section in dataclasses.fields(Settings)
    }
    # A setting unset by default (TOML has no null) is there as a comment: `# fps = 30.0`.
    commented = {
        section: {key for key in keys if re.search(rf"^# {key} = ", text, re.MULTILINE)}
        for section, keys in schema.items()
    }
    given = {section: set(document.get(section, {})) for section in schema}
    assert {section: given[section] | commented[section] for section in schema} == schema
    assert set(document) == set(schema)
    for section, keys in commented.items():
        for key in keys - given[section]:
            assert getattr(getattr(Settings(), section), key) is None, f"[{section}] {key}"

    defaults = Settings()
    pi_source = dataclasses.replace(defaults.source, name="picamera2", realtime=True)
    assert load_settings(CONFIG_SOURCE) == dataclasses.replace(defaults, source=pi_source)


def test_the_shell_scripts_pass_shellcheck():
    """.ci/run installs shellcheck for this: quoting and word-splitting slips in the installer
    only show on a real Pi."""
    done = subprocess.run(
        ["shellcheck", str(REPO / "deploy" / "install.sh"), str(REPO / ".ci" / "run")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
