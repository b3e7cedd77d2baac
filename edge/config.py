"""Typed settings for the device, read from one TOML file and validated before anything starts.

Precedence: defaults < config file < command-line flags. The file is `--config PATH`, else
`$EDGE_DIGITS_CONFIG`, else /etc/edge-digits/config.toml when it exists. A config that is not
entirely valid is refused with a `ConfigError` naming the file and the key: the service never
runs on a half-read config.

A path in the file (a model, a CA certificate, image files or a video for [source] name) is read
from the file's own folder, `~` expanded, wherever the program is started from (systemd starts
the service in /var/lib/edge-digits); a path given by a flag is read from the current folder, as
a shell user expects.
"""

import dataclasses
import glob
import os
import re
import ssl
import sys
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from edge.ink import INK_CHOICES
from edge.web.password import hash_problem

CONFIG_ENV = "EDGE_DIGITS_CONFIG"
SYSTEM_CONFIG = Path("/etc/edge-digits/config.toml")
# systemd hands the service a copy of SYSTEM_CONFIG in this directory (deploy/edge-digits.service:
# LoadCredential=), so the copy's paths are read from SYSTEM_CONFIG's folder, where it is edited.
CREDENTIALS_ENV = "CREDENTIALS_DIRECTORY"
# [source] names that are no file (sources.open_source tells them apart the same way).
SOURCE_DEVICES = ("auto", "picamera2", "demo")
WEBCAM_PREFIX = "webcam:"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
MQTT_SCHEMES = ("mqtt://", "mqtts://")
GLOB_CHARS = frozenset("*?[")
ROTATIONS = (0, 90, 180, 270)  # degrees clockwise a frame is turned (camera mounting)
DEFAULT_FPS = 30.0  # asked of a camera, and image files' replay pace, when [source] fps is unset
MOST_FPS = 240  # the most [source] fps may be, and a video file's own rate is believed up to


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key, or the flag
    as it was typed."""


Check = Callable[[Any], str | None]  # returns what is wrong with a value, or None if it is fine


def between(low: float, high: float) -> Check:
    return lambda value: None if low <= value <= high else f"must be between {low} and {high}"


def above(low: float, high: float) -> Check:
    return lambda value: None if low < value <= high else f"must be > {low} and <= {high}"


def one_of(*choices: str | int) -> Check:
    listed = ", ".join(str(choice) for choice in choices)
    return lambda value: None if value in choices else f"must be one of {listed}"


def starts_with(*prefixes: str) -> Check:
    return lambda value: (
        None if value.startswith(prefixes) else f"must start with {' or '.join(prefixes)}"
    )


def not_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


Names = tuple[str, ...]  # a TOML list of strings


def setting(
    default: Any, check: Check | None = None, normalise: Callable[[Any], Any] | None = None
) -> Any:
    """A key's default, the check its value must pass, and `normalise`, which turns a value as
    written into the one form the program uses, before the check (`str.lower`: "INFO" is
    "info", as a person may write it)."""
    metadata = {"check": check, "normalise": normalise}
    return field(default=default, metadata={k: v for k, v in metadata.items() if v})


MOST_PIXELS = 150_000_000  # the largest max_pixels a config may set


@dataclass(frozen=True)
class SourceSettings:
    name: str = setting("auto", not_empty)  # auto | picamera2 | demo | webcam:N | file | URL
    width: int = setting(640, between(32, 4096))  # recognition frame size
    height: int = setting(480, between(32, 4096))
    # The rate asked of a camera, and the replay pace when realtime. Unset (None): DEFAULT_FPS,
    # except that a video file replays at the rate it was recorded at.
    fps: float | None = setting(None, above(0, MOST_FPS))
    realtime: bool = setting(False)  # pace replayed sources like a camera
    loop: bool = setting(False)  # replay file sources forever
    # How the camera is mounted: every frame is mirrored (hflip, vflip), then turned clockwise.
    rotation: int = setting(0, one_of(*ROTATIONS))
    hflip: bool = setting(False)  # mirror left-right
    vflip: bool = setting(False)  # mirror top-bottom
    # Image files declaring more pixels are refused before decoding (memory). 8192x6144 is the
    # largest 50 MP phone photo; Pillow, which reads the header, refuses over 2 x 89.5 MP.
    max_pixels: int = setting(8192 * 6144, between(1_000_000, MOST_PIXELS))

    @property
    def frame_rate(self) -> float:
        """The rate asked of a camera, and image files' replay pace: fps, else DEFAULT_FPS."""
        return DEFAULT_FPS if self.fps is None else self.fps


@dataclass(frozen=True)
class ModelSettings:
    path: str = setting("")  # "" = the bundled int8 model
    threads: int = setting(1, between(1, 64))
    verify: bool = setting(True)  # sha256 check against model_card.json


@dataclass(frozen=True)
class ReadingSettings:
    # Below this a digit reads as "?". At most 0.99: the int8 reader's scores stop short of 1
    # (255/256 at best), so 1 would make every digit "?".
    confidence: float = setting(0.6, between(0.0, 0.99))
    stable_frames: int = setting(3, between(1, 1000))  # repeats before a reading is emitted
    ink: str = setting("auto", one_of(*INK_CHOICES))  # dark on light, light on dark, or guess


@dataclass(frozen=True)
class OutputSettings:
    console: bool = setting(True)
    json: bool = setting(False)
    log_level: str = setting("warning", one_of(*LOG_LEVELS), str.lower)  # as logging writes it


def hashed_password(value: str) -> str | None:
    """What is wrong with `value` as a [web] password_hash ("" = no login)."""
    return hash_problem(value) if value else None


@dataclass(frozen=True)
class WebSettings:
    enabled: bool = setting(False)
    host: str = setting("127.0.0.1", not_empty)
    port: int = setting(8080, between(1, 65535))
    # Host names the page is reached by, besides localhost, IP addresses and this machine's
    # name (and name.local): a reverse proxy's or a DNS name. Any other Host header is refused,
    # so a hostile web page cannot read the page through DNS rebinding.
    allowed_hosts: tuple[str, ...] = setting(())
    # HTTP Basic login, required when the page listens beyond this machine; password_hash
    # comes from `python -m edge.web.password`.
    username: str = setting("")
    password_hash: str = setting("", hashed_password)
    # Listen beyond this machine without a login: only on a network where everyone may see
    # the camera.
    trusted_network: bool = setting(False)
    # Open connections at once (the oldest idle one is closed for a new one), and of those,
    # live views and event streams; the unit's LimitNOFILE leaves room for these.
    max_connections: int = setting(100, between(8, 800))
    max_streams: int = setting(20, between(1, 500))


# A URL's credentials: user:password@ (the last @ before the path), and query values named
# like secrets (?password=..., &token=..., rtsp cameras' &pwd=...).
_URL_USERINFO = re.compile(r"(?<=://)[^/?#]*@")
_URL_SECRET_VALUE = re.compile(
    r"(?i)([?&;][^=&;#]*(?:pass|pwd|token|key|secret|auth|sig)[^=&;#]*=)[^&;#]*"
)


def redact_url(text: str) -> str:
    """`text` with a URL's credentials replaced by ***: a source's description, or a setting
    quoted in an error, goes to the console, the journal, the live page, /metrics and MQTT,
    and none of them is secret."""
    return _URL_SECRET_VALUE.sub(r"\1***", _URL_USERINFO.sub("***@", text))


def broker_url_as_meant(value: str) -> str:
    """An [mqtt] url as the program uses it: without the spaces around it, which no one sees in
    a config file, and with its scheme in lower case, as URL schemes are case-insensitive
    (MQTT://broker is mqtt://broker)."""
    value = value.strip()
    scheme, separator, rest = value.partition("://")
    return f"{scheme.lower()}{separator}{rest}"


def broker_url(value: str) -> str | None:
    """What is wrong with `value` as an [mqtt] url: mqtt://host[:port] or mqtts://host[:port]."""
    problem = starts_with(*MQTT_SCHEMES)(value)
    if problem:
        return problem
    if any(character.isspace() for character in value):
        return "must not contain spaces"
    expected = "expected mqtt://host:port or mqtts://host:port"
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed [IPv6 address
        return expected
    if parts.netloc.count(":") > 1 and "[" not in parts.netloc:
        # Read as host "" (or "fe80") and a port that is no number: say how it is written.
        return f"{expected}; an IPv6 address is written in brackets, as in mqtt://[::1]:1883"
    if not parts.hostname:
        return expected
    if parts.username is not None or parts.password is not None:
        return "put the user name and password in [mqtt] username and password, not in the url"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return (
            f"{expected}, with nothing after the port: topics are edge-digits/<device>/, set "
            "by [mqtt] device"
        )
    try:
        port = parts.port
    except ValueError:  # out of range, or not a number
        port = 0
    if port == 0:
        return "the port must be a number from 1 to 65535 (none: 1883, 8883 for mqtts://)"
    return None


def topic_prefix(value: str) -> str | None:
    """What is wrong with `value` as the first levels of an MQTT topic we publish under."""
    if not value or value.startswith("/") or value.endswith("/") or "//" in value:
        return "must be topic levels such as homeassistant, without a leading or trailing /"
    return "must not contain the wildcards + or #" if {"+", "#"} & set(value) else None


@dataclass(frozen=True)
class MqttSettings:
    enabled: bool = setting(False)
    url: str = setting("mqtt://localhost:1883", broker_url, broker_url_as_meant)
    device: str = setting("")  # "" = hostname
    username: str = setting("")
    password: str = setting("")
    ca_file: str = setting("")
    stats_interval: float = setting(10.0, above(0, 86400))
    # Seconds without a packet after which the connection is checked (an MQTT ping): a link
    # that stops passing data without closing (Wi-Fi gone) is noticed within 1 to 2 times this.
    keepalive: int = setting(15, between(1, 65535))
    # Readings of an empty view (nothing legible: the lens covered, the lights off, someone in
    # the way) are readings, with empty_reason saying why; false keeps them off MQTT, so the
    # retained reading, and Home Assistant, keeps the last one with digits (a meter's).
    publish_empty: bool = setting(True)
    # Home Assistant MQTT discovery; the prefix is HA's `discovery_prefix`.
    discovery: bool = setting(True)
    discovery_prefix: str = setting("homeassistant", topic_prefix)


@dataclass(frozen=True)
class Settings:
    source: SourceSettings = field(default_factory=SourceSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    reading: ReadingSettings = field(default_factory=ReadingSettings)
    output: OutputSettings = field(default_factory=OutputSettings)
    web: WebSettings = field(default_factory=WebSettings)
    mqtt: MqttSettings = field(default_factory=MqttSettings)


SECTIONS: dict[str, type] = {f.name: f.type for f in dataclasses.fields(Settings)}
_TYPE_NAMES = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
    Names: "a list of strings",
}


def resolve_config_path(
    cli_path: str | None, environ: Mapping[str, str] = os.environ
) -> Path | None:
    """The flag, else the environment variable, else the system file when it exists."""
    chosen = cli_path or environ.get(CONFIG_ENV)
    if chosen:
        return Path(chosen)
    return SYSTEM_CONFIG if SYSTEM_CONFIG.is_file() else None


def load_settings(path: Path | None, environ: Mapping[str, str] = os.environ) -> Settings:
    """Settings from the TOML file at `path` (defaults when None); a given path must exist, and
    so must the model file it names. Its paths are read from `config_folder`."""
    if path is None:
        return Settings()
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError as exc:
        raise ConfigError(
            f"Config file {path} does not exist. Fix the --config path or ${CONFIG_ENV}, "
            "or unset both to run with the defaults."
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from exc
    except UnicodeDecodeError as exc:  # TOML is UTF-8; a file saved as Latin-1, say
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"Config file {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line "
            f"{line}); save it as UTF-8."
        ) from exc
    except PermissionError as exc:
        whose = (
            " (install.sh makes the service's settings readable by root only: they may hold "
            "passwords)"
            if path == SYSTEM_CONFIG
            else ""
        )
        raise ConfigError(
            f"Config file {path} cannot be read: permission denied{whose}. Run with sudo to use "
            f"it, or name settings of your own with --config FILE or ${CONFIG_ENV} "
            "(--config /dev/null: the defaults)."
        ) from exc
    except IsADirectoryError as exc:
        raise ConfigError(
            f"Config file {path} is a folder, not a file: name the TOML file itself with "
            f"--config or ${CONFIG_ENV} (such as {path / 'config.toml'})."
        ) from exc
    except OSError as exc:
        raise ConfigError(f"Config file {path} cannot be read ({exc}).") from exc
    settings = apply_overrides(Settings(), document, origin=str(path))
    settings = with_paths_from(settings, config_folder(path, environ), str(path))
    check_model_file(settings.model.path, document, str(path))
    check_keys_that_go_together(settings, document, str(path))
    warn_of_mqtt_left_off(document, str(path))
    return settings


def check_keys_that_go_together(
    settings: Settings, document: Mapping[str, Any], origin: str
) -> None:
    """ConfigError naming the config file `origin` for keys each right alone and wrong together:
    a login half set, an [mqtt] password without a username, an [mqtt] ca_file that is no CA
    certificate or that a plain url ignores."""
    web = settings.web
    if bool(web.username) != bool(web.password_hash):
        raise ConfigError(
            f"{origin}: [web] username and password_hash go together: set both, or neither."
        )
    if settings.mqtt.password and not settings.mqtt.username:
        raise ConfigError(
            f"{origin}: [mqtt] password is set without username: the broker is sent neither; "
            "set username too."
        )
    problem = ca_file_problem(settings.mqtt)
    if problem:
        written = document["mqtt"]["ca_file"]
        raise ConfigError(f"{origin}: [mqtt] ca_file = {written!r}: {problem}.")


def ca_file_problem(mqtt: MqttSettings) -> str | None:
    """What is wrong with `mqtt.ca_file` (a path, "" for none) as the CA certificate that the
    broker at `mqtt.url` is checked against, or None."""
    if not mqtt.ca_file:
        return None
    if not mqtt.url.startswith("mqtts://"):
        return f"is set but url {mqtt.url!r} is not TLS: use mqtts://"
    try:
        ssl.create_default_context(cafile=mqtt.ca_file)  # what paho's tls_set loads it with
    except ssl.SSLError as exc:
        return f"{mqtt.ca_file} is not a PEM CA certificate ({exc.reason})"
    except OSError as exc:
        return f"{mqtt.ca_file}: {exc.strerror or exc}"
    return None


def warn_of_mqtt_left_off(document: Mapping[str, Any], origin: str) -> None:
    """Warn when the config file `origin` sets [mqtt] keys (a url, say) but not `enabled`: MQTT
    stays off, as it is off by default, and without a word nothing would say so. An explicit
    `enabled = false` is a choice, said nothing of."""
    mqtt = document.get("mqtt", {})
    if mqtt and "enabled" not in mqtt:
        # Said as the run's other notices are: logging is set up only once the config is read.
        print(
            f"edge: {origin}: [mqtt] sets {', '.join(mqtt)} but not enabled = true, so "
            "MQTT is off and nothing is published; add enabled = true under [mqtt] (enabled = "
            "false keeps it off quietly).",
            file=sys.stderr,
        )


def _outside_any_section(key: str, value: Any) -> str:
    """What to say of `key = value` written before any [section] header."""
    said = f"{key} = {value!r} is outside any section"
    holders = [
        name for name, kind in SECTIONS.items() if key in {f.name for f in dataclasses.fields(kind)}
    ]
    if holders:
        return f"{said}: put it under [{holders[0]}]."
    return f"{said}, and no section has such a key; known sections: {', '.join(SECTIONS)}."


def config_folder(path: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """The folder whose files the config file at `path` names by relative paths: its own, but
    SYSTEM_CONFIG's for the service's copy of it in systemd's credentials directory. Written
    without `..` (`--config ../cfg/c.toml` names files in /home/pi/cfg, not /home/pi/x/../cfg)."""
    folder = Path(os.path.normpath(path.absolute().parent))
    credentials = environ.get(CREDENTIALS_ENV)
    if credentials and folder == Path(credentials).absolute():
        return SYSTEM_CONFIG.parent
    return folder


def with_paths_from(settings: Settings, folder: Path, origin: str) -> Settings:
    """`settings` with each path from the config file `origin` read from `folder`: [model] path,
    [mqtt] ca_file, and [source] name when it names files (a glob's folder escaped; a name that
    exists is a name, as `edge.sources.image_paths` reads it)."""
    source, model, mqtt = settings.source, settings.model, settings.mqtt
    if names_files(source.name):
        name = source.name.strip()
        path = _read_from(folder, name, "[source] name", origin)
        if GLOB_CHARS & set(name) and not Path(path).exists():
            path = _read_from(Path(glob.escape(str(folder))), name, "[source] name", origin)
        source = dataclasses.replace(source, name=path)
    return dataclasses.replace(
        settings,
        source=source,
        model=dataclasses.replace(
            model, path=_read_from(folder, model.path, "[model] path", origin)
        ),
        mqtt=dataclasses.replace(
            mqtt, ca_file=_read_from(folder, mqtt.ca_file, "[mqtt] ca_file", origin)
        ),
    )


def written_in(path: Path, section: str, key: str) -> Any:
    """The setting `key` of `[section]` as the config file at `path` writes it, before
    `with_paths_from` reads a relative path from the config's folder: for a message to quote
    the user's own words. None when the file has none, or cannot be read again."""
    try:
        with path.open("rb") as file:
            table = tomllib.load(file).get(section, {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    return table.get(key) if isinstance(table, dict) else None


def names_files(source: str) -> bool:
    """Whether a [source] name is a file, a folder or a glob: no camera, demo or stream URL."""
    name = source.strip()
    return not (name in SOURCE_DEVICES or name.startswith(WEBCAM_PREFIX) or "://" in name)


def _read_from(folder: Path, value: str, key: str, origin: str) -> str:
    """The path `value` with `~` expanded and, when relative, read from `folder`; "" (unset)
    stays "". ConfigError naming `key` in `origin` when `~` has no home to expand to."""
    if not value:
        return value
    try:
        path = Path(value).expanduser()
    except RuntimeError as exc:  # "~user" with no such user, or no HOME at all
        raise ConfigError(f"{origin}: {key} = {value!r}: {exc}.") from exc
    return str(folder / path)  # an absolute path replaces the folder


def check_model_file(path: str, document: Mapping[str, Any], origin: str) -> None:
    """ConfigError when the config file `origin` names a model (`path`, read from the config's
    folder) that is no file, naming the setting as the file has it (`document`)."""
    if not path or Path(path).is_file():
        return
    written = document["model"]["path"]
    named = f"[model] path = {written!r} in {origin}"
    if not Path(written).expanduser().is_absolute():
        named += "; a relative path is read from the config's folder"
    if Path(path).is_dir():
        problem = f"{path} is a directory, not a .tflite model file ({named}). Name the model file"
    else:
        problem = f"Model file {path} does not exist ({named}). Fix the path"
    raise ConfigError(f'{problem}, or set path = "" to use the bundled model.')


def apply_overrides(
    settings: Settings, changes: Mapping[str, Any], origin: str, *, flag: bool = False
) -> Settings:
    """`settings` with `changes` ({section: {key: value}}) validated and applied.

    `origin` (a file name, or "command line") starts every error message. With `flag`, it is
    the command-line flag as typed that makes the changes (`--threads 0`), and a wrong value is
    named by it alone (`--threads 0: must be between 1 and 64`): the user typed no key.
    """
    sections = {}
    for section_name, values in changes.items():
        if section_name not in SECTIONS and not isinstance(values, Mapping):
            raise ConfigError(f"{origin}: {_outside_any_section(section_name, values)}")
        if section_name not in SECTIONS:
            raise ConfigError(
                f"{origin}: unknown section [{section_name}]; "
                f"known sections: {', '.join(SECTIONS)}."
            )
        if not isinstance(values, Mapping):
            raise ConfigError(f"{origin}: {section_name} must be a [{section_name}] table.")
        current = getattr(settings, section_name)
        sections[section_name] = dataclasses.replace(
            current, **_validated(section_name, type(current), values, origin, flag)
        )
    return dataclasses.replace(settings, **sections)


def _validated(
    section: str, schema: type, values: Mapping[str, Any], origin: str, flag: bool
) -> dict[str, Any]:
    fields = {f.name: f for f in dataclasses.fields(schema)}
    result = {}
    for key, value in values.items():
        where = f"{origin}: [{section}] {key}"
        if key not in fields:
            raise ConfigError(f"{where}: unknown key; [{section}] has {', '.join(fields)}.")
        expected = _written_as(fields[key].type)
        value = _coerced(value, expected)
        if value is None:
            wrong = _wrong_value(where, values[key], origin, flag)
            raise ConfigError(f"{wrong}: expected {_TYPE_NAMES[expected]}.")
        normalise = fields[key].metadata.get("normalise")
        value = normalise(value) if normalise else value
        check = fields[key].metadata.get("check")
        problem = check(value) if check else None
        if problem:
            raise ConfigError(f"{_wrong_value(where, values[key], origin, flag)}: {problem}.")
        result[key] = value
    return result


def _wrong_value(where: str, value: Any, origin: str, flag: bool) -> str:
    """How a wrong value's message starts: a file's `path: [section] key = value`, or the
    command-line flag as typed (`origin`), which names no key."""
    shown = redact_url(value) if isinstance(value, str) else value
    # As TOML writes it: true, not Python's True.
    written = str(shown).lower() if isinstance(shown, bool) else repr(shown)
    return origin if flag else f"{where} = {written}"


def _written_as(annotation: Any) -> Any:
    """The type a key's value is written as: that of a setting that may be left unset (`float
    | None`: None, which TOML cannot write, is the key left out) is the type it is set to."""
    set_to = [kind for kind in typing.get_args(annotation) if kind is not type(None)]
    if isinstance(annotation, types.UnionType) and len(set_to) == 1:
        return set_to[0]
    return annotation


def _coerced(value: Any, expected: type) -> Any:
    """`value` as `expected`, or None when it is the wrong type (bool is never a number)."""
    if expected == Names:
        is_names = isinstance(value, list) and all(isinstance(item, str) for item in value)
        return tuple(value) if is_names else None
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
        return value
    return None
