"""Readings and stats as JSON-ready dicts: one shape for the web API, SSE and MQTT.

Built in the pipeline thread (they copy what they read), so other threads get a snapshot that
the pipeline can no longer change under them.
"""

import json
import re
from typing import Any

from edge.events import DigitPrediction, Reading, Stats

# A code point in the surrogate range: in a str, always a lone one (a pair is one code point),
# which is how Python keeps a file name's bytes that are not UTF-8 (b"\xff" -> "\udcff").
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPED_BYTES = range(0xDC80, 0xDD00)  # os.fsdecode's "surrogateescape" of bytes 0x80-0xff


def digit_payload(digit: DigitPrediction) -> dict[str, Any]:
    return {"digit": digit.digit, "confidence": round(digit.confidence, 4), "box": list(digit.box)}


def reading_payload(reading: Reading) -> dict[str, Any]:
    payload = {
        "text": reading.text,
        "lines": list(reading.lines),
        "confidence": round(reading.confidence, 4),
        "timestamp": reading.timestamp,
        "frame_index": reading.frame_index,
        "latency_ms": round(reading.latency_ms, 3),
        "digits": [digit_payload(d) for d in reading.digits],
    }
    if reading.empty_reason:
        payload["empty_reason"] = reading.empty_reason
    if reading.path:
        payload["path"] = reading.path
    if reading.truth is not None:
        payload["truth"] = reading.truth
    return payload


def stats_payload(stats: Stats) -> dict[str, Any]:
    return {
        "model": stats.model,
        "quantized": stats.quantized,
        "source": stats.source,
        "frames": stats.frames,
        "skipped_frames": stats.skipped_frames,
        "failed_frames": stats.failed_frames,
        "readings": stats.readings,
        "camera_fps": round(stats.camera_fps, 2),
        "processed_fps": round(stats.processed_fps, 2),
        "stage_ms": {stage: round(ms, 3) for stage, ms in dict(stats.stage_ms).items()},
        "last_reading": stats.last_reading,
    }


def json_text(payload: Any, **dumps: Any) -> str:
    """`payload` as one line of JSON that strict parsers take: each byte of a file name that is
    not UTF-8 (in a path, or in an error that quotes it) is written as `\\xff`, as `ls -b`
    shows it, not as a lone surrogate (`\\udcff`), which they refuse; two names that differ
    in such a byte stay apart. `dumps`: more of `json.dumps`' options (`separators`,
    `allow_nan`)."""
    return json.dumps(_valid_unicode(payload), **dumps)


def _valid_unicode(value: Any) -> Any:
    """`value` with every string in it, at any depth, free of lone surrogates: an escaped byte
    written `\\xNN`, any other (no file name's) as U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub(_byte_escape, value)
    if isinstance(value, dict):
        return {_valid_unicode(key): _valid_unicode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_valid_unicode(item) for item in value]
    return value


def _byte_escape(surrogate: re.Match[str]) -> str:
    code = ord(surrogate.group())
    return f"\\x{code - 0xDC00:02x}" if code in _ESCAPED_BYTES else "\ufffd"
