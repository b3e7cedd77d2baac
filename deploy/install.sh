#!/usr/bin/env bash
# Install edge-digits as a systemd service on Raspberry Pi OS (64-bit, Bookworm or Trixie).
# Run `sudo deploy/install.sh --help` for the options. Safe to run again: it only does what is
# missing or out of date, and says so when there is nothing to do.
set -euo pipefail

readonly SERVICE=edge-digits.service
# picamera2 and libcamera exist only as apt packages; OpenCV, numpy and Pillow come from apt as
# well so that every compiled extension in the process agrees on one numpy ABI. python3-venv
# provides ensurepip. No recommends: on Pi OS Lite they would pull in a desktop preview stack.
readonly APT_PACKAGES=(python3-venv python3-picamera2 python3-libcamera python3-opencv python3-numpy
    python3-pil)
# Everything else, from PyPI: exact versions with their sha256 (see the file's header).
readonly REQUIREMENTS=requirements-pi.txt
readonly SUPPORTED_RELEASES="bookworm trixie"
readonly BUNDLED_MODEL=edge/models/digits_int8.tflite
readonly MODEL_CARD=model_card.json

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR

usage() {
    cat <<EOF
Usage: sudo $0 [options]

Installs edge-digits under /opt/edge-digits, its settings in /etc/edge-digits/config.toml (written
once, never overwritten) and the systemd service $SERVICE, enabled and started.

Options:
  --package PATH   the repository or a built wheel to install (default: $(dirname "$SCRIPT_DIR"))
  --model FILE     install this .tflite (with the $MODEL_CARD beside it) instead of the
                   bundled model
  --uninstall      stop and remove the service and /opt/edge-digits; keeps the settings and the
                   service's data (/var/lib/edge-digits)
  --purge          with --uninstall: remove the settings and the data too
  --dry-run        print every action without doing any of them
  --root DIR       install under DIR instead of / (also \$DESTDIR). Only files are relocated:
                   apt-get, pip and systemctl still run, so this is for tests that put stand-ins
                   for them first on PATH.
  -h, --help       this help

Exit status: 0 done, 1 a step failed (the message says which and why), 2 a mistake in the
options.
EOF
}

say() { printf '%s\n' "$*"; }
# An option's value ($2 after the option in $1), or a stop that says which option lacks one.
option_value() {
    [[ $# -ge 2 && -n $2 ]] || usage_error "$1 needs a value: $1 PATH"
    printf '%s' "$2"
}
die() {
    printf 'install.sh: error: %s\n' "$*" >&2
    exit 1
}
# A mistake in how the script was called: exit 2, as edge and argparse give for one.
usage_error() {
    printf 'install.sh: error: %s (see --help)\n' "$*" >&2
    exit 2
}

DRY_RUN=false
CHANGES=0
UNSUPPORTED=""

# A system this installer is not for stops it; a dry run says why and goes on to show every step
# it would take on a Pi (what someone reading the steps first wants to see).
unsupported() {
    $DRY_RUN || die "$@"
    UNSUPPORTED+="${UNSUPPORTED:+ }$*"
    say "note: $*"
}
# The command line as one would type it: arguments with spaces or quotes in single quotes.
quoted() {
    local arg words=()
    for arg in "$@"; do
        if [[ $arg =~ ^[][A-Za-z0-9_./=:@%+,-]+$ ]]; then
            words+=("$arg")
        else
            words+=("'${arg//\'/\'\\\'\'}'")
        fi
    done
    printf '%s' "${words[*]}"
}

# Run (or, with --dry-run, only show) one step of the installation, and count it as a change.
act() {
    CHANGES=$((CHANGES + 1))
    if $DRY_RUN; then
        say "would run: $(quoted "$@")"
    else
        say "+ $(quoted "$@")"
        "$@"
    fi
}

# Value of KEY in an os-release file, without executing the file.
os_release_value() {
    local key=$1 file=$2 line
    line=$(grep -E "^${key}=" "$file" | tail -n 1) || true
    line=${line#*=}
    line=${line#\"}
    line=${line%\"}
    printf '%s' "$line"
}

check_supported_os() {
    local os_release="$ROOT/etc/os-release" id id_like codename pretty arch kernel_arch
    if [[ ! -f $os_release ]]; then
        unsupported "$os_release not found: this installer supports Raspberry Pi OS only."
        return 0
    fi
    id=$(os_release_value ID "$os_release")
    id_like=$(os_release_value ID_LIKE "$os_release")
    codename=$(os_release_value VERSION_CODENAME "$os_release")
    pretty=$(os_release_value PRETTY_NAME "$os_release")
    if [[ " $id $id_like " != *" debian "* ]] || [[ " $SUPPORTED_RELEASES " != *" $codename "* ]]; then
        unsupported "unsupported OS '${pretty:-$id}': edge-digits needs Raspberry Pi OS Bookworm" \
            "or Trixie (Debian 12 or 13), where picamera2 and libcamera come from apt."
        return 0 # a dry run's architecture there may not even be told by dpkg
    fi
    arch=$(dpkg --print-architecture)
    kernel_arch=$(uname -m)
    case $arch in
        arm64) ;;
        armhf | armel)
            unsupported "this is a 32-bit userland ($arch, kernel $kernel_arch): LiteRT" \
                "publishes no 32-bit ARM wheels. Install Raspberry Pi OS (64-bit) and run this" \
                "again." ;;
        *)
            # edge-digits is not on PyPI: the desktop installs what this script would.
            unsupported "unsupported architecture '$arch': this installer is for Raspberry Pi OS" \
                "(64-bit, arm64). On a desktop, install from this copy: pip install" \
                "'${PACKAGE}[edge]'" ;;
    esac
}

check_package() {
    [[ -f $SCRIPT_DIR/$REQUIREMENTS ]] ||
        die "$SCRIPT_DIR/$REQUIREMENTS is missing: keep install.sh in its deploy/ folder."
    if [[ -d $PACKAGE ]]; then
        [[ -f $PACKAGE/pyproject.toml ]] || die "--package $PACKAGE: no pyproject.toml there."
        [[ -n $MODEL || -f $PACKAGE/$BUNDLED_MODEL ]] ||
            die "$PACKAGE/$BUNDLED_MODEL is missing: run \`python -m quantize\` first, or pass --model FILE."
    elif [[ ! -e $PACKAGE ]]; then
        die "--package $PACKAGE: no such file or folder."
    elif [[ ! -f $PACKAGE || $PACKAGE != *.whl ]]; then
        die "--package $PACKAGE: expected the repository directory or a .whl file."
    fi
    if [[ -n $MODEL ]]; then
        [[ -e $MODEL ]] || die "--model $MODEL: no such file."
        [[ -f $MODEL && $MODEL == *.tflite ]] || die "--model $MODEL: not a .tflite file."
        # The name goes into config.toml as is.
        [[ ${MODEL##*/} =~ ^[A-Za-z0-9._-]+$ ]] ||
            die "--model $MODEL: rename it to letters, digits, '.', '_' and '-' only."
        [[ -f $(dirname "$MODEL")/$MODEL_CARD ]] ||
            die "--model $MODEL: no $MODEL_CARD beside it. The service checks the model's sha256" \
                "against its card: copy the card written by \`python -m quantize\` next to it."
    fi
}

# What identifies what we would install: the wheel's bytes, or the files the Pi runs, and the
# pinned requirements.
package_fingerprint() {
    {
        if [[ -f $PACKAGE ]]; then
            sha256sum <"$PACKAGE"
        else
            (cd "$PACKAGE" && find pyproject.toml edge -type f ! -name '*.pyc' -print0 |
                LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum
        fi
        sha256sum <"$SCRIPT_DIR/$REQUIREMENTS"
    } | sha256sum | cut -d ' ' -f 1
}

install_apt_packages() {
    local missing=() package
    for package in "${APT_PACKAGES[@]}"; do
        # shellcheck disable=SC2016 # ${db:Status-Status} is dpkg-query's format, not ours
        [[ $(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null) == installed ]] ||
            missing+=("$package")
    done
    ((${#missing[@]})) || return 0
    export DEBIAN_FRONTEND=noninteractive
    act apt-get update ||
        die "apt-get update failed (see its error above: no network?); run install.sh again" \
            "once it works."
    act apt-get install -y --no-install-recommends "${missing[@]}" ||
        die "apt-get could not install ${missing[*]} (see its error above). Without network it" \
            "cannot; picamera2 and libcamera come from the Raspberry Pi archive" \
            "(archive.raspberrypi.com): is this Raspberry Pi OS?"
}

install_venv_and_package() {
    local fingerprint installed=""
    # Site packages from apt (picamera2, libcamera, cv2, numpy, PIL) stay visible inside the venv.
    [[ -x $VENV/bin/python ]] || act python3 -m venv --system-site-packages "$VENV"
    fingerprint=$(package_fingerprint)
    [[ -f $STAMP ]] && installed=$(<"$STAMP")
    [[ $fingerprint == "$installed" ]] && return 0
    # No pip.conf: Raspberry Pi OS's adds an extra index whose rebuilt wheels are not the files
    # the hashes are of.
    export PIP_CONFIG_FILE=/dev/null
    # Only the pinned wheels, each checked against its sha256, and none of their dependencies
    # beyond the file: numpy and Pillow stay apt's (a wheel in the venv would shadow them and
    # break picamera2 and cv2, built against apt's numpy). First, while the installed package
    # is still whole: this is the step that needs the network, and an upgrade over bad Wi-Fi
    # that fails here leaves the running service as it was.
    act "$VENV/bin/python" -m pip install --require-hashes --no-deps --only-binary :all: \
        --requirement "$SCRIPT_DIR/$REQUIREMENTS" ||
        die "pip could not install the pinned requirements (see its error above; no network?)." \
            "${installed:+The installed edge-digits and its service are left as they were. }Run" \
            "install.sh again once that is mended."
    # Same version number, different code: pip would keep the old one, so remove it first.
    [[ -z $installed ]] || act "$VENV/bin/python" -m pip uninstall --yes edge-digits
    # The package itself: nothing from the network (setuptools came with the file above).
    act "$VENV/bin/python" -m pip install --no-deps --no-index --no-build-isolation "$PACKAGE" ||
        die "pip could not install $PACKAGE (see its error above); the service has no package" \
            "until install.sh runs again and does."
    act "$VENV/bin/python" -c 'import cv2, numpy, picamera2, ai_edge_litert.interpreter, edge.model' ||
        die "the installed package cannot import its dependencies (see the error above)."
    $DRY_RUN || printf '%s\n' "$fingerprint" >"$STAMP"
    SERVICE_STALE=true
}

# Copy SRC to DEST (creating directories) when DEST is missing or different; after a copy, run
# the command given after DEST, if any (through act).
install_file() {
    local mode=$1 src=$2 dest=$3
    shift 3
    cmp -s "$src" "$dest" && return 0
    act install -D -m "$mode" "$src" "$dest"
    (($# == 0)) || act "$@"
    SERVICE_STALE=true
}

install_model() {
    [[ -n $MODEL ]] || return 0
    install_file 0644 "$MODEL" "$OPT/models/$(basename "$MODEL")"
    install_file 0644 "$(dirname "$MODEL")/$MODEL_CARD" "$OPT/models/$MODEL_CARD"
}

install_config() {
    local model_path="/opt/edge-digits/models/${MODEL##*/}"
    if [[ -e $CONFIG ]]; then
        # Earlier installs made it readable by the video group, which the login user is in.
        [[ $(stat -c %a "$CONFIG") == 600 ]] || act chmod 0600 "$CONFIG"
        if [[ -n $MODEL ]] && ! grep -qF "path = \"$model_path\"" "$CONFIG"; then
            say "note: $CONFIG is kept as it is; to use the new model set path = \"$model_path\"" \
                "in its [model] section."
        fi
        return 0
    fi
    # Root alone may read it (it can hold the MQTT password and the page's password hash); the
    # service gets a copy through systemd's LoadCredential=.
    act install -D -m 0600 "$SCRIPT_DIR/config.toml" "$CONFIG"
    if [[ -n $MODEL ]]; then
        act sed -i "s|^path = \"\"|path = \"$model_path\"|" "$CONFIG"
    fi
}

install_service() {
    install_file 0644 "$SCRIPT_DIR/$SERVICE" "$UNIT" systemctl daemon-reload
    # (A dry run has not installed the unit, of which systemctl would say it has none.)
    if ! systemctl is-enabled --quiet "$SERVICE" 2>/dev/null; then
        act systemctl enable --now "$SERVICE"
    elif $SERVICE_STALE; then
        act systemctl restart "$SERVICE"
    elif ! systemctl is-active --quiet "$SERVICE" 2>/dev/null; then
        act systemctl start "$SERVICE"
    fi
}

run_install() {
    check_supported_os
    [[ -z $UNSUPPORTED ]] ||
        say "note: without --dry-run the installer stops there; the steps it takes on a Pi:"
    check_package
    SERVICE_STALE=false
    install_apt_packages
    install_venv_and_package
    install_model
    install_config
    install_service
    if ((CHANGES == 0)); then
        say "edge-digits is already installed and up to date: nothing to do."
    elif $DRY_RUN; then
        say "dry run: nothing was changed."
    fi
    [[ -z $UNSUPPORTED ]] || say "note: on this system a real run stops at once: $UNSUPPORTED"
    say ""
    say "Status (fps, last reading):  systemctl status edge-digits"
    say "Logs:                        journalctl -u edge-digits -f"
    say "Settings:                    /etc/edge-digits/config.toml, then: sudo systemctl restart edge-digits"
}

run_uninstall() {
    if [[ -e $UNIT ]]; then
        if systemctl is-enabled --quiet "$SERVICE" || systemctl is-active --quiet "$SERVICE"; then
            act systemctl disable --now "$SERVICE"
        fi
        act rm -f "$UNIT"
        act systemctl daemon-reload
    fi
    [[ ! -e $OPT ]] || act rm -rf "$OPT"
    local kept=() path
    # DynamicUser= keeps the data in /var/lib/private/edge-digits, linked from /var/lib/edge-digits.
    for path in "$CONFIG_DIR" "$ROOT/var/lib/edge-digits" "$ROOT/var/lib/private/edge-digits"; do
        [[ -e $path || -L $path ]] || continue
        if $PURGE; then
            act rm -rf "$path"
        else
            kept+=("$path")
        fi
    done
    if ((CHANGES == 0)); then
        say "edge-digits is not installed: nothing to do."
    fi
    if ((${#kept[@]})); then
        say "Kept ${kept[*]} (remove them too with --uninstall --purge)."
    fi
    say "The apt packages (${APT_PACKAGES[*]}) are left installed."
}

main() {
    local mode=run_install
    PURGE=false
    MODEL=""
    PACKAGE=$(dirname "$SCRIPT_DIR")
    ROOT=${DESTDIR:-/}
    while (($#)); do
        case $1 in
            --package) PACKAGE=$(option_value "$@"); shift ;;
            --model) MODEL=$(option_value "$@"); shift ;;
            --root) ROOT=$(option_value "$@"); shift ;;
            --uninstall) mode=run_uninstall ;;
            --purge) PURGE=true ;;
            --dry-run) DRY_RUN=true ;;
            -h | --help) usage; exit 0 ;;
            *) usage_error "unknown option '$1'" ;;
        esac
        shift
    done
    if $PURGE && [[ $mode != run_uninstall ]]; then
        usage_error "--purge only goes with --uninstall"
    fi
    [[ -d $ROOT ]] || die "--root $ROOT: not a directory."
    ROOT=$(cd "$ROOT" && pwd)
    ROOT=${ROOT%/}
    if [[ -z $ROOT ]] && ! $DRY_RUN && [[ $(id -u) -ne 0 ]]; then
        die "run as root: sudo $0"
    fi
    [[ -z $MODEL ]] || MODEL=$(realpath "$MODEL")
    [[ ! -e $PACKAGE ]] || PACKAGE=$(realpath "$PACKAGE")
    OPT=$ROOT/opt/edge-digits
    VENV=$OPT/venv
    STAMP=$OPT/installed-package.sha256
    CONFIG_DIR=$ROOT/etc/edge-digits
    CONFIG=$CONFIG_DIR/config.toml
    UNIT=$ROOT/etc/systemd/system/$SERVICE
    "$mode"
}

main "$@"
