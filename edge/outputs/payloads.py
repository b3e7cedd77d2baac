"""Readings and stats as JSON-ready dicts: one shape for the web API, SSE and MQTT.

Built in the pipeline thread (they copy what they read), so other threads get a snapshot that
the pipeline can no longer change under them.
"""

from typing import Any

from edge.events import DigitPrediction, Reading, Stats


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
