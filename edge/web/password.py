"""Hashed passwords for the live page's HTTP Basic login: scrypt from the standard library.

A hash reads `scrypt:N:r:p$salt$hex`, so the config holds no password.
`python -m edge.web.password` asks for one and prints the line to put under [web].
"""

import argparse
import getpass
import hashlib
import hmac
import secrets
import sys

# 16 MiB and some 50-100 ms on a Pi 4 per check: slow for a guesser, bearable at login (a
# browser's repeated requests are answered from a cache of accepted logins, see security.py).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_N, MAX_R, MAX_P = 2**17, 16, 4  # a hash asking more would let one login take the Pi down
_KEY_BYTES = 64


def hash_password(password: str) -> str:
    salt = secrets.token_hex(16)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}${salt}${key.hex()}"


def verify_password(password: str, hashed: str) -> bool:
    """Whether `password` matches `hashed` (a hash that `hash_problem` accepts)."""
    method, salt, expected = hashed.split("$")
    n, r, p = (int(part) for part in method.split(":")[1:])
    return hmac.compare_digest(_scrypt(password, salt, n, r, p).hex(), expected.lower())


def hash_problem(hashed: str) -> str | None:
    """What is wrong with `hashed` as a password hash, or None."""
    usage = "must be a hash from `python -m edge.web.password` (scrypt:N:r:p$salt$hex)"
    parts = hashed.split("$")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        return usage
    method = parts[0].split(":")
    if (
        len(method) != 4
        or method[0] != "scrypt"
        or not all(x.isascii() and x.isdigit() for x in method[1:])
    ):
        return usage
    n, r, p = (int(x) for x in method[1:])
    if n < 2 or n & (n - 1) or n > MAX_N or not 1 <= r <= MAX_R or not 1 <= p <= MAX_P:
        return f"asks for scrypt N={n}, r={r}, p={p}; at most N={MAX_N}, r={MAX_R}, p={MAX_P}"
    try:
        key = bytes.fromhex(parts[2])
    except ValueError:
        return usage
    return None if len(key) == _KEY_BYTES else f"{usage}: the hex must be {_KEY_BYTES} bytes"


def _scrypt(password: str, salt: str, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p,
        dklen=_KEY_BYTES,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Ask for a password twice (or read one line from a pipe) and print its [web] line."""
    argparse.ArgumentParser(
        prog="python -m edge.web.password",
        description="Ask for the live page's password (twice; or read one line from a pipe) "
        "and print the password_hash line to put under [web] in the config (scrypt: the "
        "config holds no password).",
    ).parse_args(argv)
    if sys.stdin.isatty():
        password = getpass.getpass("Password for the live page: ")
        if getpass.getpass("Again: ") != password:
            print("The two passwords differ; nothing printed.", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        print("Use at least 8 characters; nothing printed.", file=sys.stderr)
        return 1
    print(f'password_hash = "{hash_password(password)}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
