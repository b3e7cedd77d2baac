"""Settings: defaults, the file, flags on top, and a clear ConfigError for every bad config."""

import glob
from pathlib import Path

import pytest

from edge.config import (
    CONFIG_ENV,
    ConfigError,
    Settings,
    apply_overrides,
    load_settings,
    resolve_config_path,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_no_file_gives_the_documented_defaults():
    settings = load_settings(None)
    assert settings == Settings()
    assert (settings.source.name, settings.source.width, settings.source.height) == (
        "auto",
        640,
        480,
    )
    assert (settings.reading.confidence, settings.reading.stable_frames) == (0.6, 3)
    assert settings.reading.ink == "auto"
    assert (settings.source.rotation, settings.source.hflip, settings.source.vflip) == (
        0,
        False,
        False,
    )
    assert (settings.model.path, settings.model.threads, settings.model.verify) == ("", 1, True)
    assert settings.output.log_level == "warning"
    assert settings.mqtt.url == "mqtt://localhost:1883"


def test_file_values_replace_defaults_and_leave_the_rest(tmp_path):
    path = write(
        tmp_path,
        '[source]\nname = "demo"\nfps = 15\nloop = true\n'
        "[reading]\nconfidence = 0.8\n[web]\nenabled = true\nport = 9000\n",
    )
    settings = load_settings(path)
    assert settings.source.name == "demo"
    assert settings.source.fps == 15.0 and isinstance(settings.source.fps, float)
    assert settings.source.loop is True
    assert settings.source.width == 640
    assert settings.reading.confidence == 0.8
    assert settings.reading.stable_frames == 3
    assert (settings.web.enabled, settings.web.port) == (True, 9000)


def test_camera_mounting_and_ink_from_the_file(tmp_path):
    path = write(tmp_path, '[source]\nrotation = 270\nvflip = true\n[reading]\nink = "light"\n')
    settings = load_settings(path)
    assert (settings.source.rotation, settings.source.hflip, settings.source.vflip) == (
        270,
        False,
        True,
    )
    assert settings.reading.ink == "light"


def test_command_line_overrides_the_file(tmp_path):
    settings = load_settings(write(tmp_path, "[model]\nthreads = 2\n"))
    changed = apply_overrides(settings, {"model": {"threads": 4}}, origin="command line")
    assert changed.model.threads == 4
    assert settings.model.threads == 2  # frozen: the original is untouched


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[camera]\nname = 'x'\n", ["unknown section [camera]"]),
        ("confidence = 0.5\n", ["confidence = 0.5 is outside any section", "under [reading]"]),
        ("bogus = 1\n", ["bogus = 1 is outside any section", "known sections"]),
        ("[source]\nnmae = 'demo'\n", ["[source] nmae", "unknown key"]),
        ("[model]\nthreads = 'two'\n", ["[model] threads", "an integer"]),
        ("[model]\nthreads = 1.5\n", ["[model] threads", "an integer"]),
        ("[model]\nverify = 1\n", ["[model] verify", "true or false"]),
        ("[reading]\nstable_frames = true\n", ["[reading] stable_frames", "an integer"]),
        ("[source]\nname = 3\n", ["[source] name", "a string"]),
        ("[reading]\nconfidence = 1.5\n", ["[reading] confidence", "between 0.0 and 0.99"]),
        # The reader's scores stop short of 1: every digit would read "?".
        ("[reading]\nconfidence = 1\n", ["[reading] confidence = 1", "between 0.0 and 0.99"]),
        ("[reading]\nstable_frames = 0\n", ["[reading] stable_frames", "between 1 and 1000"]),
        ("[model]\nthreads = 0\n", ["[model] threads", "between 1 and 64"]),
        ("[source]\nfps = 0\n", ["[source] fps", "> 0"]),
        ("[source]\nwidth = 8\n", ["[source] width", "between 32 and 4096"]),
        ("[web]\nport = 70000\n", ["[web] port", "between 1 and 65535"]),
        ("[output]\nlog_level = 'loud'\n", ["[output] log_level", "debug, info, warning"]),
        ("[output]\nlog_level = 'LOUD'\n", ["[output] log_level = 'LOUD'", "debug, info"]),
        ("[mqtt]\nurl = 'http://broker'\n", ["[mqtt] url", "mqtt:// or mqtts://"]),
        ("[source]\nname = ' '\n", ["[source] name", "must not be empty"]),
        ("[source]\nrotation = 45\n", ["[source] rotation = 45", "one of 0, 90, 180, 270"]),
        ("[source]\nrotation = 90.0\n", ["[source] rotation", "an integer"]),
        ("[source]\nrotation = '90'\n", ["[source] rotation", "an integer"]),
        ("[mqtt]\nkeepalive = true\n", ["[mqtt] keepalive = true: expected an integer"]),
        ("[source]\nhflip = 'yes'\n", ["[source] hflip", "true or false"]),
        ("[source]\nvflip = 1\n", ["[source] vflip", "true or false"]),
        ("[reading]\nink = 'white'\n", ["[reading] ink", "one of auto, dark, light"]),
        ("source = 'demo'\n", ["source must be a [source] table"]),
        ("[web]\nallowed_hosts = 'pi.lan'\n", ["[web] allowed_hosts", "a list of strings"]),
        ("[web]\nallowed_hosts = ['pi.lan', 3]\n", ["[web] allowed_hosts", "a list of strings"]),
        ("[web]\npassword_hash = 'hunter2'\n", ["[web] password_hash", "edge.web.password"]),
        ("[web]\nmax_connections = 5000\n", ["[web] max_connections", "between 8 and 800"]),
        ("[web]\ntrusted_network = 'yes'\n", ["[web] trusted_network", "true or false"]),
        ("[web]\nusername = 'pi'\n", ["[web] username and password_hash go together"]),
        ("[mqtt]\nurl = 'mqtt://broker:99999'\n", ["[mqtt] url", "from 1 to 65535"]),
        ("[mqtt]\nurl = 'mqtt://:1883'\n", ["[mqtt] url", "expected mqtt://host:port"]),
        ("[mqtt]\nurl = 'mqtt://::1:1883'\n", ["[mqtt] url", "in brackets, as in mqtt://[::1]"]),
        ("[mqtt]\nurl = 'mqtt://fe80::1:1883'\n", ["[mqtt] url", "in brackets"]),
        ("[mqtt]\nurl = 'mqtt://broker lan:1883'\n", ["[mqtt] url", "must not contain spaces"]),
        ("[mqtt]\npassword = 'pw'\n", ["[mqtt] password is set without username"]),
        ("[mqtt]\npublish_empty = 'no'\n", ["[mqtt] publish_empty", "true or false"]),
        ("[mqtt]\nkeepalive = 0\n", ["[mqtt] keepalive = 0", "between 1 and 65535"]),
        (
            "[mqtt]\nurl = 'mqtt://pi:pw@broker'\n",
            ["[mqtt] url = 'mqtt://***@broker'", "in [mqtt] username and password"],
        ),
        ("[mqtt]\nca_file = 'ca.pem'\n", ["[mqtt] ca_file = 'ca.pem'", "is not TLS: use mqtts"]),
        (
            "[mqtt]\nurl = 'mqtts://broker'\nca_file = 'ca.pem'\n",
            ["[mqtt] ca_file = 'ca.pem'", "No such file or directory"],
        ),
        (
            "[mqtt]\nurl = 'mqtts://broker'\nca_file = 'config.toml'\n",
            ["[mqtt] ca_file = 'config.toml'", "is not a PEM CA certificate"],
        ),
    ],
)
def test_a_bad_value_names_the_file_and_the_key(tmp_path, text, names):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    message = str(error.value)
    assert str(path) in message
    for name in names:
        assert name in message


@pytest.mark.parametrize("written", ["INFO", "Info", "info"])
def test_a_log_level_is_taken_in_any_case(tmp_path, written):
    """As logging's own names are written: `log_level = "INFO"` was refused."""
    path = write(tmp_path, f'[output]\nlog_level = "{written}"\n')
    assert load_settings(path).output.log_level == "info"


def test_toml_syntax_error_names_the_file(tmp_path):
    path = write(tmp_path, "[source\nname = demo\n")
    with pytest.raises(ConfigError, match="is not valid TOML") as error:
        load_settings(path)
    assert str(path) in str(error.value)


def test_a_config_that_is_not_utf8_names_the_file_the_byte_and_the_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes('[source]\n# camera by the caf\u00e9 door\nname = "demo"\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert str(error.value) == (
        f"Config file {path} is not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8."
    )


def test_the_service_settings_readable_by_root_only_say_how_to_run_without_them(
    tmp_path, monkeypatch
):
    # install.sh makes /etc/edge-digits/config.toml mode 0600 (it may hold passwords), and it
    # is read whenever it exists: a user's `python -m edge recognize photo.jpg` stopped at
    # "cannot be read ([Errno 13] Permission denied)" with no way out said.
    system = write(tmp_path, '[source]\nname = "picamera2"\n')
    monkeypatch.setattr("edge.config.SYSTEM_CONFIG", system)
    real_open = Path.open

    def as_a_user(path, *args, **kwargs):
        if path == system:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", as_a_user)
    assert resolve_config_path(None, {}) == system
    with pytest.raises(ConfigError) as error:
        load_settings(system)
    said = str(error.value)
    assert said.startswith(f"Config file {system} cannot be read: permission denied (install.sh")
    assert "Run with sudo" in said and "--config /dev/null: the defaults" in said
    assert load_settings(Path("/dev/null")) == Settings()  # the way out it names works


def test_missing_file_given_explicitly_is_an_error(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match="does not exist") as error:
        load_settings(path)
    assert str(path) in str(error.value)


def test_a_folder_given_as_the_config_says_to_name_the_file_in_it(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings(tmp_path)
    said = str(error.value)
    assert said.startswith(f"Config file {tmp_path} is a folder, not a file")
    assert f"(such as {tmp_path / 'config.toml'})" in said and "Errno" not in said


def test_a_bad_flag_names_the_command_line():
    with pytest.raises(ConfigError, match=r"command line: \[model\] threads = 0"):
        apply_overrides(Settings(), {"model": {"threads": 0}}, origin="command line")


def test_a_flags_wrong_value_is_named_by_the_flag_as_typed_not_by_its_key():
    with pytest.raises(ConfigError) as error:
        apply_overrides(Settings(), {"model": {"threads": 0}}, origin="--threads 0", flag=True)
    assert str(error.value) == "--threads 0: must be between 1 and 64."


def test_flag_wins_over_environment_which_wins_over_nothing(tmp_path, monkeypatch):
    env = {CONFIG_ENV: str(tmp_path / "env.toml")}
    assert resolve_config_path("given.toml", env) == Path("given.toml")
    assert resolve_config_path(None, env) == tmp_path / "env.toml"
    monkeypatch.setattr("edge.config.SYSTEM_CONFIG", tmp_path / "absent.toml")
    assert resolve_config_path(None, {}) is None
    system = write(tmp_path, "")
    monkeypatch.setattr("edge.config.SYSTEM_CONFIG", system)
    assert resolve_config_path(None, {}) == system


def test_web_access_settings_from_the_file(tmp_path):
    hashed = "scrypt:16384:8:1$0123abcd$" + "ab" * 64
    path = write(
        tmp_path,
        f'[web]\nhost = "0.0.0.0"\nallowed_hosts = ["digits.example.org"]\nusername = "pi"\n'
        f'password_hash = "{hashed}"\nmax_connections = 50\nmax_streams = 6\n',
    )
    web = load_settings(path).web
    assert web.allowed_hosts == ("digits.example.org",)  # a tuple: settings are frozen
    assert (web.username, web.password_hash, web.trusted_network) == ("pi", hashed, False)
    assert (web.max_connections, web.max_streams) == (50, 6)


def test_paths_in_the_file_are_read_from_its_folder_wherever_the_program_starts(
    tmp_path, monkeypatch
):
    """systemd starts the service in /var/lib/edge-digits; a shell user anywhere."""
    folder = tmp_path / "cfgdir"
    (folder / "m4").mkdir(parents=True)
    (folder / "m4" / "digits_float.tflite").write_bytes(b"TFL3")
    path = folder / "c.toml"
    path.write_text('[model]\npath = "m4/digits_float.tflite"\n[source]\nname = "photos/*.jpg"\n')
    monkeypatch.chdir(tmp_path)

    settings = load_settings(path.relative_to(tmp_path))

    assert settings.model.path == str(folder / "m4" / "digits_float.tflite")
    assert settings.source.name == str(folder / "photos" / "*.jpg")
    # Named by way of another folder, the paths are written without the "..".
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    settings = load_settings(Path("..") / "cfgdir" / "c.toml")
    assert settings.model.path == str(folder / "m4" / "digits_float.tflite")


def test_a_tilde_in_a_files_path_is_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "m.tflite").write_bytes(b"TFL3")
    settings = load_settings(write(tmp_path, '[model]\npath = "~/m.tflite"\n'))
    assert settings.model.path == str(tmp_path / "home" / "m.tflite")


def test_a_glob_from_the_file_is_read_in_its_folder_even_if_that_folders_name_has_brackets(
    tmp_path,
):
    folder = tmp_path / "[pics]"
    folder.mkdir()
    settings = load_settings(write(folder, '[source]\nname = "*.jpg"\n'))
    assert glob.glob(settings.source.name) == [] and settings.source.name.endswith("*.jpg")
    (folder / "a.jpg").write_bytes(b"")
    assert glob.glob(settings.source.name) == [str(folder / "a.jpg")]


def test_a_file_the_config_names_with_brackets_in_a_bracketed_folder_is_that_file(tmp_path):
    """A file "scan [1].jpg" exists: it is read by its name, not as a pattern ("scan 1.jpg")."""
    folder = tmp_path / "[pics]"
    folder.mkdir()
    (folder / "scan [1].jpg").write_bytes(b"")
    settings = load_settings(write(folder, '[source]\nname = "scan [1].jpg"\n'))
    assert settings.source.name == str(folder / "scan [1].jpg")


@pytest.mark.parametrize("name", ["auto", "picamera2", "demo", "webcam:1", "rtsp://cam/live"])
def test_a_source_that_is_no_file_is_left_as_it_is(tmp_path, name):
    assert load_settings(write(tmp_path, f'[source]\nname = "{name}"\n')).source.name == name


def test_an_absolute_path_or_a_flags_path_is_left_as_it_is(tmp_path):
    model = tmp_path / "elsewhere" / "m.tflite"
    model.parent.mkdir()
    model.write_bytes(b"TFL3")
    settings = load_settings(write(tmp_path, f'[model]\npath = "{model}"\n'))
    assert settings.model.path == str(model)
    typed = apply_overrides(
        settings, {"model": {"path": "m.tflite"}}, "--model m.tflite", flag=True
    )
    assert typed.model.path == "m.tflite"  # the current folder's, as the shell user meant


def test_the_services_copy_of_the_config_reads_paths_from_the_system_configs_folder(
    tmp_path, monkeypatch
):
    """systemd hands the service /etc/edge-digits/config.toml as a credential: a copy elsewhere."""
    etc = tmp_path / "etc" / "edge-digits"
    (etc / "models").mkdir(parents=True)
    (etc / "models" / "m.tflite").write_bytes(b"TFL3")
    monkeypatch.setattr("edge.config.SYSTEM_CONFIG", etc / "config.toml")
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    copy = write(credentials, '[model]\npath = "models/m.tflite"\n')
    settings = load_settings(copy, {"CREDENTIALS_DIRECTORY": str(credentials)})
    assert settings.model.path == str(etc / "models" / "m.tflite")


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("m4/none.tflite", "Model file {folder}/m4/none.tflite does not exist"),
        ("m4", "{folder}/m4 is a directory, not a .tflite model file"),
    ],
)
def test_a_model_the_file_names_that_is_missing_is_named_by_its_setting_and_the_file(
    tmp_path, monkeypatch, written, problem
):
    (tmp_path / "m4").mkdir()
    path = write(tmp_path, f'[model]\npath = "{written}"\n')
    monkeypatch.chdir("/")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    message = str(error.value)
    assert message.startswith(problem.format(folder=tmp_path))
    assert f"[model] path = '{written}' in {path}" in message
    assert "read from the config's folder" in message
    assert "python -m train" not in message  # the setting is wrong, no model is to be made


def test_mqtt_settings_without_enabled_warn_that_mqtt_is_off(tmp_path, capsys):
    """Said as the run's other notices are ("edge: ..."): it was the message alone."""
    path = write(tmp_path, '[mqtt]\nurl = "mqtt://broker.lan:1883"\n')
    assert load_settings(path).mqtt.enabled is False  # on only when asked, as [web] is
    [warning] = capsys.readouterr().err.splitlines()
    assert warning.startswith(
        f"edge: {path}: [mqtt] sets url but not enabled = true, so MQTT is off"
    )


@pytest.mark.parametrize("text", ["[mqtt]\nenabled = false\nurl = 'mqtt://b'\n", "[web]\nport=1\n"])
def test_mqtt_left_off_on_purpose_or_unset_is_said_nothing_of(tmp_path, capsys, text):
    load_settings(write(tmp_path, text))
    assert capsys.readouterr().err == ""


def test_a_ca_file_is_read_from_the_configs_folder_too(tmp_path, monkeypatch):
    path = write(tmp_path, '[mqtt]\nurl = "mqtts://broker"\nca_file = "~/../ca.pem"\n')
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir("/")
    with pytest.raises(ConfigError, match=f"{tmp_path}/home/../ca.pem: No such file"):
        load_settings(path)
    path = write(tmp_path, '[mqtt]\nurl = "mqtts://broker"\nca_file = "ca.pem"\n')
    with pytest.raises(ConfigError, match=f"{tmp_path}/ca.pem: No such file"):
        load_settings(path)


def test_an_mqtt_url_is_read_whatever_the_case_of_its_scheme_and_the_spaces_around_it(tmp_path):
    # A trailing space was refused as "the port must be a number from 1 to 65535", and
    # MQTT:// as no mqtt:// (URL schemes are case-insensitive).
    path = write(tmp_path, "[mqtt]\nurl = ' MQTTS://broker.lan:8884 '\nca_file = 'config.toml'\n")
    with pytest.raises(ConfigError, match=r"ca_file = 'config.toml': .* is not a PEM CA"):
        load_settings(path)  # the url is TLS: the ca_file is read
    path = write(tmp_path, "[mqtt]\nurl = 'MQTT://localhost:18830 '\n")
    assert load_settings(path).mqtt.url == "mqtt://localhost:18830"
