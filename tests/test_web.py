"""The web output on a real server (port 0), fed with results built here; no pipeline needed."""

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import http.client
import itertools
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from checkout import edge_command
from mosquitto_broker import free_port
from starlette.responses import PlainTextResponse

from edge.config import MqttSettings, OutputSettings, Settings, WebSettings, redact_url
from edge.events import Box, DigitPrediction, FrameResult, Reading, Stats
from edge.outputs import OutputError, build_sinks
from edge.outputs.mqtt import MqttSink
from edge.web.annotate import (
    annotate_frame,
    box_label,
    label_picture,
    label_sizes,
    short_label,
)
from edge.web.connections import CAP_WARNING_INTERVAL, InvalidRequestsThrottle
from edge.web.label_layout import PlacedLabel, place_labels
from edge.web.latest import Latest
from edge.web.password import hash_password, hash_problem, verify_password
from edge.web.security import FREE_FAILURES, LONGEST_WAIT_S, BasicAuth, client_address, wait_after
from edge.web.sink import WebSink, page_url

BOX = (40, 30, 50, 80)
TIMEOUT = 10.0  # seconds: a broken server fails the test instead of hanging it


def frame_result(index: int, digit: int | None = 7) -> FrameResult:
    frame = np.full((240, 320), 200, np.uint8)
    frame[40:100, 55:75] = 20  # a dark stroke inside BOX
    return FrameResult(
        index=index,
        timestamp=1_700_000_000.0 + index,
        frame=frame,
        digits=(DigitPrediction(digit, 0.93, BOX),),
        text="7" if digit == 7 else "?",
        timings_ms={"capture": 1.0, "find": 2.0, "read": 3.0, "total": 6.5},
    )


def reading(text: str, index: int) -> Reading:
    digits = tuple(DigitPrediction(int(c), 0.9, BOX) for c in text)
    return Reading(text, 0.9, 1_700_000_000.0 + index, index, digits, latency_ms=12.5)


def stats(**changes: object) -> Stats:
    base = Stats(model="digits_int8.tflite", quantized=True, source="test", frames=3)
    base.stage_ms = {"capture": 1.0, "find": 2.0, "read": 3.0, "total": 6.5}
    for name, value in changes.items():
        setattr(base, name, value)
    return base


@pytest.fixture
def web() -> Iterator[WebSink]:
    sink = WebSink(WebSettings(port=0), max_stream_fps=50.0)
    sink.on_start(stats())
    yield sink
    sink.on_stop(stats())


def get(sink: WebSink, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", sink.port, timeout=TIMEOUT)
    connection.request("GET", path)
    return connection.getresponse()


def get_json(sink: WebSink, path: str) -> object:
    response = get(sink, path)
    assert response.status == 200, response.status
    return json.loads(response.read())


def read_jpeg_part(response: http.client.HTTPResponse) -> np.ndarray:
    """The next image of a multipart/x-mixed-replace stream, decoded."""
    assert response.readline() == b"--frame\r\n"
    headers = {}
    while (line := response.readline().strip()) != b"":
        name, value = line.decode().split(": ", 1)
        headers[name.lower()] = value
    assert headers["content-type"] == "image/jpeg"
    body = response.read(int(headers["content-length"]))
    assert response.readline() == b"\r\n"
    image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "the stream sent something that is not a JPEG"
    return image


def read_event(response: http.client.HTTPResponse) -> tuple[str, object]:
    """The next Server-Sent Event as (name, decoded data)."""
    name, data = "message", None
    while (line := response.readline().decode().rstrip("\n")) != "":
        field, _, value = line.partition(": ")
        if field == "event":
            name = value
        elif field == "data":
            data = json.loads(value)
    return name, data


def feed_frames_until(sink: WebSink, done: threading.Event, start: int = 0) -> threading.Thread:
    """Play the pipeline: a new frame every 5 ms until `done`."""

    def play() -> None:
        index = start
        while not done.wait(0.005):
            sink.on_frame(frame_result(index), stats(frames=index + 1))
            index += 1

    thread = threading.Thread(target=play, daemon=True)
    thread.start()
    return thread


def test_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OutputError, match=r"127\.0\.0\.1:\d+: the port is already in use"):
            WebSink(WebSettings(port=taken.getsockname()[1]))


def test_a_web_flags_address_is_named_as_typed_and_a_configs_by_its_key() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OutputError, match=rf"^--web {port}: cannot listen .*give another port"):
            WebSink(WebSettings(port=port), given_as=f"--web {port}")
        with pytest.raises(
            OutputError, match=r"^\[web\]: cannot listen .*set another \[web\] port"
        ):
            WebSink(WebSettings(port=port))
    with pytest.raises(OutputError, match=r"^--web 0\.0\.0\.0:0 lets other machines in") as error:
        WebSink(WebSettings(host="0.0.0.0", port=0), given_as="--web 0.0.0.0:0")
    # Where the login goes, whether a config file was given or not (it said "a config file
    # given with --config" to a user who had given one).
    assert str(error.value).endswith(
        "in the [web] section of the config file (--config, or /etc/edge-digits/config.toml; "
        "deploy/config.toml's [web] section shows both)."
    )
    # A port alone did not set the host: the config's key is named.
    with pytest.raises(OutputError, match=r"^\[web\] host = '0\.0\.0\.0' lets other machines in"):
        WebSink(WebSettings(host="0.0.0.0", port=0), given_as="--web 0")


def test_the_factory_adds_the_web_and_mqtt_outputs_when_enabled() -> None:
    port = free_port()
    settings = Settings(
        output=OutputSettings(console=False),
        web=WebSettings(enabled=True, port=port),
        mqtt=MqttSettings(enabled=True, url="mqtt://127.0.0.1:1"),  # not contacted until start
    )
    sinks = build_sinks(settings)
    web = next(sink for sink in sinks if isinstance(sink, WebSink))
    assert web.url == f"http://127.0.0.1:{port}/"
    assert any(isinstance(sink, MqttSink) for sink in sinks)
    web.on_stop(stats())
    assert not any(isinstance(s, WebSink | MqttSink) for s in build_sinks(Settings()))


def test_the_api_serves_the_latest_reading_stats_and_history(web: WebSink) -> None:
    assert get(web, "/api/reading").status == 204  # nothing read yet

    web.on_frame(frame_result(0), stats(frames=1))
    web.on_reading(reading("41", 1), stats(readings=1, last_reading="41"))
    web.on_reading(reading("42", 2), stats(readings=2, last_reading="42", processed_fps=14.0))

    latest = get_json(web, "/api/reading")
    assert latest["text"] == "42" and latest["frame_index"] == 2
    assert latest["digits"][0] == {"digit": 4, "confidence": 0.9, "box": list(BOX)}
    assert [r["text"] for r in get_json(web, "/api/readings")] == ["41", "42"]
    figures = get_json(web, "/api/stats")
    assert figures["readings"] == 2 and figures["processed_fps"] == 14.0
    assert figures["model"] == "digits_int8.tflite" and figures["quantized"] is True
    assert figures["viewers"] == 0


def test_a_file_name_that_is_not_utf8_is_served_escaped_not_as_an_error(web: WebSink) -> None:
    """os.fsdecode gives a Latin-1 name (caf\\xe9.png on disk) lone surrogates, which UTF-8
    cannot encode: /api/readings answered 500 for as long as its reading was recent. Served as
    `--json` writes it: the byte as `\\xe9`, not a lone surrogate strict parsers refuse."""
    name = os.fsdecode(b"photos/caf\xe9 \xe6\x95\xb0.png")  # a Latin-1 e, then UTF-8 text
    web.on_reading(dataclasses.replace(reading("7", 1), path=name), stats(readings=1))
    for path in ("/api/reading", "/api/readings"):
        response = get(web, path)
        body = response.read()
        assert response.status == 200 and body.isascii(), (path, response.status)
    assert get_json(web, "/api/reading")["path"] == "photos/caf\\xe9 \u6570.png"


def test_the_figures_are_taken_at_the_pipelines_stats_event(web: WebSink) -> None:
    web.on_frame(frame_result(0), stats(frames=4))
    assert get_json(web, "/api/stats")["frames"] == 3  # still on_start's: a frame is no event
    web.on_stats(stats(frames=40, processed_fps=12.5))
    figures = get_json(web, "/api/stats")
    assert figures["frames"] == 40 and figures["processed_fps"] == 12.5
    assert "edge_digits_frames_total 40.0" in get(web, "/metrics").read().decode()


def test_only_the_recent_readings_are_kept(web: WebSink) -> None:
    for index in range(25):
        web.on_reading(reading(str(index), index), stats())
    texts = [r["text"] for r in get_json(web, "/api/readings")]
    assert texts == [str(index) for index in range(5, 25)]


def test_the_page_has_the_stream_and_the_live_updates(web: WebSink) -> None:
    page = get(web, "/").read().decode()
    assert 'src="/stream.mjpg"' in page and 'EventSource("/api/events")' in page


def test_metrics_count_frames_and_time_inference(web: WebSink) -> None:
    for index in range(3):
        web.on_frame(frame_result(index), stats(frames=index + 1))
    web.on_frame(  # no digits in view: no inference to time
        FrameResult(3, 0.0, np.zeros((8, 8), np.uint8), (), "", {"read": 0.0}), stats()
    )
    web.on_reading(reading("7", 2), stats(frames=4, readings=1, camera_fps=30.0))

    text = get(web, "/metrics").read().decode()
    assert "edge_digits_frames_total 4.0" in text
    assert "edge_digits_readings_total 1.0" in text
    assert "edge_digits_camera_fps 30.0" in text
    assert 'edge_digits_stage_milliseconds{stage="read"} 3.0' in text
    assert 'edge_digits_model_info{model="digits_int8.tflite",precision="int8"' in text
    assert "edge_digits_inference_seconds_count 3.0" in text
    assert 'edge_digits_inference_seconds_bucket{le="0.005"} 3.0' in text  # 3 ms each
    assert 'edge_digits_inference_seconds_bucket{le="0.002"} 0.0' in text


def test_one_scrape_counts_and_times_the_same_frames(web: WebSink) -> None:
    # The report: a scrape showed 251 inference timings of 242 frames; the counts are taken at
    # the pipeline's stats event, about once a second, the timings were at every frame.
    for index in range(3):
        web.on_frame(frame_result(index), stats(frames=index + 1))
    text = get(web, "/metrics").read().decode()
    assert "edge_digits_frames_total 3.0" in text  # on_start's
    assert "edge_digits_inference_seconds_count 0.0" in text
    web.on_stats(stats(frames=6))
    text = get(web, "/metrics").read().decode()
    assert "edge_digits_frames_total 6.0" in text
    assert "edge_digits_inference_seconds_count 3.0" in text


def test_nothing_is_encoded_while_nobody_watches(web: WebSink) -> None:
    for index in range(20):
        web.on_frame(frame_result(index), stats())
    threading.Event().wait(0.3)  # room for an encoder that wrongly runs anyway
    assert "edge_digits_web_encoded_frames_total 0.0" in get(web, "/metrics").read().decode()


def test_the_stream_shows_the_annotated_frames(web: WebSink) -> None:
    done = threading.Event()
    player = feed_frames_until(web, done)
    try:
        viewer = get(web, "/stream.mjpg")
        assert viewer.getheader("Content-Type") == "multipart/x-mixed-replace; boundary=frame"
        image = [read_jpeg_part(viewer) for _ in range(3)][-1]
        assert web.live.viewers == 1 and web.live.encoded_frames >= 3
    finally:
        done.set()
        player.join()
    viewer.close()
    assert image.shape == (240, 320, 3)
    x, y, _, h = BOX
    assert np.allclose(image[y + h // 2, x], (80, 200, 60), atol=40)  # the green box edge
    assert np.allclose(image[200, 300], (200, 200, 200), atol=20)  # the paper, untouched


def test_a_viewer_who_comes_after_the_last_frame_still_sees_it(web: WebSink) -> None:
    """A replay that ended (the page stays up) or a camera between frames: nothing new comes,
    and the newest frame, never encoded while nobody watched, is what the viewer is shown."""
    web.on_frame(frame_result(0), stats())
    threading.Event().wait(0.1)  # no viewer yet: nothing encoded
    first = get(web, "/stream.mjpg")
    assert read_jpeg_part(first).shape == (240, 320, 3)
    # The boundary that ends the part comes with it, not with a next frame that may never
    # come: a browser shows a part only once it is ended.
    assert first.readline() == b"--frame\r\n"
    second = get(web, "/stream.mjpg")  # and one more, with the first still watching
    assert read_jpeg_part(second).shape == (240, 320, 3)
    first.close()
    second.close()


@pytest.mark.slow  # seconds of reconnect backoff / megabytes of stream
def test_a_stalled_viewer_holds_nobody_up(caplog: pytest.LogCaptureFixture) -> None:
    web = WebSink(WebSettings(port=0), max_stream_fps=50.0)
    web.on_start(stats())
    noise = np.random.default_rng(0).integers(0, 256, (240, 320), np.uint8)  # ~60 kB JPEGs
    stalled = socket.create_connection(("127.0.0.1", web.port), timeout=TIMEOUT)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # then never reads
    done = threading.Event()

    def play() -> None:
        index = 0
        while not done.wait(0.005):
            result = frame_result(index)
            web.on_frame(FrameResult(index, 0.0, noise, result.digits, "7", {}), stats())
            index += 1

    player = threading.Thread(target=play, daemon=True)
    player.start()
    try:
        viewer = get(web, "/stream.mjpg")
        # ~6 MB: far more than the stalled connection's buffers hold, so a server that
        # waited on the slowest viewer would stop this one long before the end.
        for _ in range(100):
            read_jpeg_part(viewer)
        assert web.live.viewers == 2
    finally:
        done.set()
        player.join()
    web.on_stop(stats())  # the stalled viewer is cut off, not left to a cancelled task
    assert not web._thread.is_alive()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    stalled.close()
    viewer.close()


def test_events_send_history_then_each_new_reading_and_stats(web: WebSink) -> None:
    web.on_reading(reading("1", 1), stats(readings=1))
    events = get(web, "/api/events")
    assert events.getheader("Content-Type").startswith("text/event-stream")
    assert events.readline() == b"retry: 2000\n"
    assert read_event(events) == ("history", [get_json(web, "/api/reading")])
    name, figures = read_event(events)
    assert name == "stats" and figures["readings"] == 1

    web.on_reading(reading("22", 2), stats(readings=2))
    web.on_reading(reading("333", 3), stats(readings=3))
    received = []
    while len(received) < 2:
        name, data = read_event(events)
        if name == "reading":
            received.append(data["text"])
    assert received == ["22", "333"]  # both, in order, though they came back to back
    while (event := read_event(events))[0] != "stats":
        pass
    assert event[1]["readings"] == 3
    events.close()


def test_stopping_ends_open_streams() -> None:
    sink = WebSink(WebSettings(port=0))
    sink.on_start(stats())
    events = get(sink, "/api/events")
    viewer = get(sink, "/stream.mjpg")
    read_event(events)
    sink.on_stop(stats())
    assert not sink._thread.is_alive()
    while events.readline():  # the rest of what was sent, then the end of the stream
        pass
    assert viewer.read() == b""
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", sink.port), timeout=TIMEOUT)


def test_annotation_leaves_the_shared_frame_alone() -> None:
    result = frame_result(0, digit=None)
    before = result.frame.copy()
    picture = annotate_frame(result)
    assert np.array_equal(result.frame, before)
    x, y, w, h = BOX
    assert np.allclose(picture[y + h // 2, x + w], (40, 140, 255), atol=40)  # orange: unsure


def test_a_box_label_keeps_the_digit_apart_from_its_confidence() -> None:
    assert box_label(DigitPrediction(3, 0.9961, BOX)) == "3 (0.99)"  # not "3 0.99": 30.99
    assert box_label(DigitPrediction(None, 0.41, BOX)) == "? (0.41)"


def test_a_short_label_is_the_digit_alone() -> None:
    assert short_label(DigitPrediction(3, 0.9961, BOX)) == "3"
    assert short_label(DigitPrediction(None, 0.41, BOX)) == "?"


# -- where labels go: edge.web.label_layout, fed with the live view's own label sizes --

FRAME = (640, 480)


def row(
    widths: list[int], gap: int, top: int = 200, height: int = 60, left: int = 100
) -> list[Box]:
    """Boxes side by side, `gap` px apart, as digits written close together are boxed."""
    boxes: list[Box] = []
    for width in widths:
        boxes.append((left, top, width, height))
        left += width + gap
    return boxes


def placed_labels(boxes: list[Box], digits: str = "") -> list[PlacedLabel]:
    """The labels of `boxes` read as `digits` ("?" unsure; 7s if not given), as annotate
    places them."""
    digits = digits or "7" * len(boxes)
    predictions = [
        DigitPrediction(None if d == "?" else int(d), 0.9961, box)
        for d, box in zip(digits, boxes, strict=True)
    ]
    return place_labels(boxes, label_sizes(predictions), FRAME)


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def distance(point: tuple[float, float], box: Box) -> float:
    """From a point to the nearest point of a box (0 inside it)."""
    x, y, w, h = box
    dx = max(x - point[0], 0, point[0] - (x + w))
    dy = max(y - point[1], 0, point[1] - (y + h))
    return float(np.hypot(dx, dy))


def assert_readable(labels: list[PlacedLabel]) -> None:
    """Every label inside the frame, and no two overlapping."""
    rects = [label.rect for label in labels]
    for i, (x, y, w, h) in enumerate(rects):
        assert x >= 0 and y >= 0 and x + w <= FRAME[0] and y + h <= FRAME[1], (i, rects[i])
        others = rects[i + 1 :]
        assert not any(overlap(rects[i], other) for other in others), (i, rects)


def assert_readable_and_tied(boxes: list[Box], labels: list[PlacedLabel]) -> None:
    """Readable, each label's centre nearer its own box than any other box, and no label over
    another box as drawn (its 2 px outline reaches a pixel beyond the box)."""
    assert_readable(labels)
    for i, label in enumerate(labels):
        x, y, w, h = label.rect
        centre = (x + w / 2, y + h / 2)
        others = [box for j, box in enumerate(boxes) if j != i]
        own = distance(centre, boxes[i])
        assert all(own < distance(centre, box) for box in others), (i, label, boxes)
        drawn = [(bx - 1, by - 1, bw + 3, bh + 3) for bx, by, bw, bh in others]
        assert not any(overlap(label.rect, box) for box in drawn), (i, label, boxes)


@pytest.mark.parametrize("gap", [0, 1, 2])
@pytest.mark.parametrize("width", [6, 12, 20, 40, 70])
@pytest.mark.parametrize("count", [2, 4, 8])
def test_labels_of_digits_0_to_2_px_apart_are_readable_and_each_by_its_own_box(
    gap: int, width: int, count: int
) -> None:
    """From a row of thin 1s (6 px) to wide digits (70 px, narrower than "7 (0.99)")."""
    boxes = row([width] * count, gap)
    assert_readable_and_tied(boxes, placed_labels(boxes, ("1?47" * 2)[:count]))


def handwritten_rows(sizes: tuple[int, int], widths: tuple[float, float]) -> Iterator[list[Box]]:
    """Rows of 2 to 11 digits of about one height in `sizes` (px), each as wide as `widths` of
    its height, 0 to 2 px apart and not standing on one line, as handwriting is boxed."""
    rng = np.random.default_rng(3)
    for _ in range(300):
        size = int(rng.integers(*sizes))
        boxes: list[Box] = []
        left = int(rng.integers(20, 80))
        for _ in range(int(rng.integers(2, 12))):
            height = int(size * rng.uniform(0.9, 1.1))
            width = max(int(height * rng.uniform(*widths)), 2)
            if left + width > FRAME[0] - 20:
                break
            boxes.append((left, 200 + int(rng.integers(-3, 4)), width, height))
            left += width + int(rng.integers(0, 3))
        yield boxes


def test_labels_of_rows_of_handwriting_are_readable_and_each_by_its_own_box() -> None:
    for boxes in handwritten_rows(sizes=(40, 120), widths=(0.5, 0.9)):
        assert_readable_and_tied(boxes, placed_labels(boxes))


def test_labels_of_small_and_thin_digits_touching_are_readable_over_their_own_boxes() -> None:
    """Digits narrower than their labels, 1s squeezed between taller digits: no place may be
    nearer a digit than its neighbours, and its label is at least readable and over it."""
    for boxes in handwritten_rows(sizes=(12, 40), widths=(0.2, 0.9)):
        labels = placed_labels(boxes)
        assert_readable(labels)
        for (x, _, w, _), label in zip(boxes, labels, strict=True):
            assert x <= label.rect[0] + label.rect[2] / 2 <= x + w, (label, boxes)


def test_a_label_keeps_its_confidence_where_there_is_room() -> None:
    roomy = row([80] * 4, gap=16)  # comb boxes
    labels = placed_labels(roomy)
    assert not any(label.short for label in labels)
    # Tabs on the boxes' tops: each label ends where the box's outline begins, a pixel above.
    assert [label.rect[1] + label.rect[3] for label in labels] == [200 - 1] * 4
    assert_readable_and_tied(roomy, labels)


def test_a_crowded_row_shortens_all_its_labels_to_the_digit_in_a_row_above_it() -> None:
    """Touching digits: "4", "0", "7", "1" over their boxes, not "4 (0.99)" over two."""
    boxes = row([40, 40, 40, 24], gap=0)
    labels = placed_labels(boxes, "4071")
    assert all(label.short for label in labels)
    assert {label.rect[1] + label.rect[3] for label in labels} == {200 - 1}
    # Set apart, one pixel at least: labels of one colour that touch read as one.
    rects = sorted(label.rect for label in labels)
    assert all(a[0] + a[2] < b[0] for a, b in itertools.pairwise(rects))


def test_a_narrow_1_beside_a_wide_digit_leans_away_from_it() -> None:
    boxes = [(100, 200, 12, 60), (112, 198, 50, 64)]  # the 7 stands 2 px taller
    labels = placed_labels(boxes, "17")
    assert_readable_and_tied(boxes, labels)
    x, y, w, h = labels[0].rect
    assert y + h == 200 - 1  # still a tab on the 1's top
    assert x + w <= 112 - 1  # clear of the 7's outline


def test_a_box_at_the_frames_edges_keeps_its_label_inside_the_frame() -> None:
    at_top = row([40, 40], gap=1, top=0)
    labels = placed_labels(at_top)
    assert_readable_and_tied(at_top, labels)
    assert all(label.rect[1] > 60 for label in labels)  # below the boxes
    floor_to_ceiling = row([60, 60], gap=2, top=0, height=FRAME[1])
    labels = placed_labels(floor_to_ceiling)
    assert_readable_and_tied(floor_to_ceiling, labels)
    assert [label.rect[:2] for label in labels] == [(102, 2), (164, 2)]  # top left, inside
    corners = [(0, 430, 40, 50), (FRAME[0] - 40, 0, 40, 50)]
    assert_readable_and_tied(corners, placed_labels(corners))


def test_labels_between_two_close_lines_of_writing_cover_neither() -> None:
    for between in (0, 5, 30, 60):
        boxes = row([40] * 4, gap=1) + row([40] * 4, gap=1, top=260 + between)
        assert_readable_and_tied(boxes, placed_labels(boxes))


def test_a_1_squeezed_between_taller_digits_still_has_a_readable_label() -> None:
    """No place is nearer the 1 than its neighbours: its label at least overlaps none."""
    boxes = [(100, 198, 40, 64), (140, 200, 6, 60), (146, 198, 40, 64)]
    labels = placed_labels(boxes, "414")
    assert_readable(labels)
    x, _, w, _ = labels[1].rect
    assert 140 <= x + w / 2 <= 146  # over the 1


def test_a_frame_smaller_than_a_label_is_still_annotated() -> None:
    for shape in ((1, 1), (12, 30)):
        digits = (DigitPrediction(1, 0.9, (0, 0, 4, 4)),)
        tiny = FrameResult(0, 0.0, np.zeros(shape, np.uint8), digits, "1", {})
        assert annotate_frame(tiny).shape == (*shape, 3)


def test_a_large_photo_is_shown_shrunk_with_its_boxes_so_labels_stay_legible() -> None:
    """A 3000x4000 photo's view fits VIEW_LONG_SIDE; its box is where its digit is."""
    frame = np.full((3000, 4000), 220, np.uint8)
    frame[1000:1400, 2000:2200] = 20  # the digit's ink
    digits = (DigitPrediction(1, 0.97, (2000, 1000, 200, 400)),)
    picture = annotate_frame(FrameResult(0, 0.0, frame, digits, "1", {}))
    assert picture.shape == (960, 1280, 3)
    assert np.allclose(picture[320 + 64, 640 - 1], (80, 200, 60), atol=40)  # the box's left side
    assert picture[330:440, 650:700].mean() < 40  # the ink inside it


def test_each_label_in_the_picture_is_whole_and_nothing_is_drawn_over_it() -> None:
    """Touching digits, one unsure: each label in the annotated picture is exactly the label
    drawn alone, so no neighbour's label or box covers any of it."""
    frame = np.full((240, 320), 200, np.uint8)
    boxes = row([40, 40, 12, 40], gap=0, top=80, left=60)
    digits = (
        DigitPrediction(4, 0.9961, boxes[0]),
        DigitPrediction(None, 0.41, boxes[1]),
        DigitPrediction(1, 0.97, boxes[2]),
        DigitPrediction(7, 0.99, boxes[3]),
    )
    result = FrameResult(0, 0.0, frame, digits, "4?17", {})
    picture = annotate_frame(result)
    labels = place_labels(boxes, label_sizes(digits), (320, 240))
    for prediction, label in zip(digits, labels, strict=True):
        text = short_label(prediction) if label.short else box_label(prediction)
        colour = (80, 200, 60) if prediction.digit is not None else (40, 140, 255)
        x, y, w, h = label.rect
        assert np.array_equal(picture[y : y + h, x : x + w], label_picture(text, colour)), text


def test_latest_gives_waiters_only_the_newest_value() -> None:
    async def scenario() -> list[tuple[int, str] | None]:
        latest: Latest[str] = Latest()
        latest.bind(asyncio.get_running_loop())

        def produce(*values: str) -> None:
            for value in values:
                latest.publish(value)

        await asyncio.to_thread(produce, "a", "b", "c")
        newest = await latest.next(0)  # "a" and "b" were replaced before anyone looked
        waiter = asyncio.ensure_future(latest.next(3))
        await asyncio.sleep(0.01)
        await asyncio.to_thread(produce, "d")  # wakes the waiter from another thread
        woken = await waiter
        waiter = asyncio.ensure_future(latest.next(4))
        await asyncio.sleep(0.01)
        latest.close()
        return [newest, woken, await waiter]

    assert asyncio.run(scenario()) == [(3, "c"), (4, "d"), None]


# --- hostile clients: held connections, slow headers, too many viewers ----------------------

# A recognizer's web output in a process of its own, with few open files allowed (like the
# default 1024, only smaller): it prints its port, then serves until stdin closes.
CAPPED_SERVER = """
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
import logging
import os
logging.basicConfig(level=logging.WARNING)
from edge.config import WebSettings
from edge.events import Stats
from edge.web.sink import WebSink, page_url
sink = WebSink(WebSettings(port=0, max_connections=48, max_streams=8))
sink.on_start(Stats(model="m.tflite", quantized=True, source="test"))
print(sink.port, flush=True)
sys.stdin.read()
sink.on_stop(Stats())
"""


def raw_request(port: int, head: bytes) -> socket.socket:
    """A connection that sent `head` (maybe not a whole request) and reads nothing yet."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    connection.sendall(head)
    return connection


def closed_by_server(connection: socket.socket, within: float) -> bool:
    connection.settimeout(within)
    try:
        while connection.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_held_connections_beyond_the_open_file_limit_leave_the_page_reachable() -> None:
    """400 connections that never send a request, against a server allowed 256 open files:
    without the cap, accept() fails with EMFILE, nobody gets the page and asyncio logs a
    traceback per attempt (megabytes a second)."""
    server = subprocess.Popen(
        [sys.executable, "-c", CAPPED_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    held = []
    try:
        port = int(server.stdout.readline())
        held = [raw_request(port, b"") for _ in range(400)]
        started = time.monotonic()
        page = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        page.request("GET", "/")
        response = page.getresponse()
        body = response.read()
        took = time.monotonic() - started
        assert response.status == 200 and b"EventSource" in body
        print(f"400 held connections, cap 48: the page in {took * 1000:.1f} ms")
        still_open = sum(not closed_by_server(c, 0.01) for c in held)
        assert still_open <= 48
    finally:
        for connection in held:
            connection.close()
        _, errors = server.communicate("", timeout=TIMEOUT)
    assert "Traceback" not in errors and "out of system resource" not in errors
    assert errors.count("WARNING") == 1, errors  # "at the cap", once, not per connection


@pytest.fixture
def quick_deadline(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebSink]:
    monkeypatch.setattr("edge.web.sink.HEADER_TIMEOUT_S", 0.5)
    sink = WebSink(WebSettings(port=0))
    sink.on_start(stats())
    yield sink
    sink.on_stop(stats())


def test_a_request_head_must_arrive_in_time_but_a_stream_may_last(quick_deadline: WebSink):
    silent = raw_request(quick_deadline.port, b"")
    # One header line every 0.2 s: each byte would restart uvicorn's keep-alive timer.
    dripping = raw_request(quick_deadline.port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    for index in range(6):
        with contextlib.suppress(OSError):  # closed under us: what the test wants
            dripping.sendall(f"X-Drip-{index}: 1\r\n".encode())
        time.sleep(0.2)
    assert closed_by_server(silent, within=TIMEOUT)
    assert closed_by_server(dripping, within=TIMEOUT)

    events = get(quick_deadline, "/api/events")
    deadline = time.monotonic() + 2.0  # four deadlines: the stream is past its request head
    while time.monotonic() < deadline:
        assert read_event(events)[0] in ("history", "stats")
    events.close()
    silent.close()
    dripping.close()


def test_junk_requests_are_told_once_a_minute_not_once_each(web: WebSink, caplog, monkeypatch):
    # A port scanner, or TLS spoken to the plain port: uvicorn warns "Invalid HTTP request
    # received." for each, and 300 of them wrote 300 lines to the journal.
    uvicorn_log = logging.getLogger("uvicorn.error")
    [throttle] = [f for f in uvicorn_log.filters if isinstance(f, InvalidRequestsThrottle)]
    clock = [1000.0]  # the throttle's own clock, not the server's loop's
    monkeypatch.setattr(throttle, "_clock", lambda: clock[0])
    monkeypatch.setattr(throttle, "_last", -CAP_WARNING_INTERVAL)
    monkeypatch.setattr(throttle, "_unsaid", 0)

    def junk(count: int) -> None:
        for _ in range(count):
            connection = raw_request(web.port, b"\x16\x03\x01\x02\x00 not HTTP\r\n\r\n")
            assert closed_by_server(connection, within=TIMEOUT)  # answered 400 and closed
            connection.close()

    with caplog.at_level(logging.WARNING, logger="uvicorn.error"):
        junk(5)
        clock[0] += CAP_WARNING_INTERVAL
        junk(2)
    said = [r.getMessage() for r in caplog.records if r.name == "uvicorn.error"]
    assert said == [
        "Invalid HTTP request received.",
        "Invalid HTTP request received (and 4 more since the last said).",
    ]
    assert get(web, "/").status == 200  # and the page is served as ever


def test_streams_beyond_the_cap_are_turned_away_and_head_is_no_viewer() -> None:
    sink = WebSink(WebSettings(port=0, max_streams=2))
    sink.on_start(stats())
    try:
        head = http.client.HTTPConnection("127.0.0.1", sink.port, timeout=TIMEOUT)
        head.request("HEAD", "/stream.mjpg")
        response = head.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type").startswith("multipart/x-mixed-replace")
        assert get_json(sink, "/api/stats")["viewers"] == 0

        viewer, events = get(sink, "/stream.mjpg"), get(sink, "/api/events")
        read_event(events)
        turned_away = get(sink, "/api/events")
        assert turned_away.status == 503 and turned_away.getheader("Retry-After") == "5"
        assert get(sink, "/").status == 200  # the page and the API are not streams
        viewer.close()
        deadline = time.monotonic() + TIMEOUT
        while (again := get(sink, "/stream.mjpg")).status == 503:  # the slot comes back
            assert time.monotonic() < deadline, "a closed stream kept its slot"
            time.sleep(0.05)
        again.close()
        events.close()
    finally:
        sink.on_stop(stats())


# --- who may ask, and what browsers are told --------------------------------------------------


def request(
    sink: WebSink, path: str, host: str, method: str = "GET", **headers: str
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", sink.port, timeout=TIMEOUT)
    connection.putrequest(method, path, skip_host=True)
    connection.putheader("Host", host)
    for name, value in headers.items():
        connection.putheader(name.replace("_", "-"), value)
    connection.endheaders()
    return connection.getresponse()


def test_only_the_pages_own_host_names_are_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("socket.gethostname", lambda: "Edge-Pi")
    sink = WebSink(WebSettings(port=0, allowed_hosts=("digits.example.org",)))
    sink.on_start(stats())
    try:
        for host in (
            f"127.0.0.1:{sink.port}", "localhost", f"[::1]:{sink.port}", "192.168.1.20:8080",
            "edge-pi.local", "EDGE-PI", "digits.example.org.",
        ):  # fmt: skip
            assert request(sink, "/api/stats", host).status == 200, host
        # DNS rebinding: the attacker's name, resolving to the Pi, is still in the Host header.
        for host in ("rebind.attacker.example", "localhost.attacker.example", "", "a:b:c"):
            assert request(sink, "/api/stats", host).status == 400, host
        # No redirect built from the Host header, whatever it says.
        for host in ("localhost", "rebind.attacker.example"):
            response = request(sink, "/api/stats/", host)
            assert response.status in (400, 404) and response.getheader("Location") is None
    finally:
        sink.on_stop(stats())


def test_every_response_carries_the_security_headers(web: WebSink) -> None:
    for path, host, status in (
        ("/", "localhost", 200),
        ("/api/stats", "localhost", 200),
        ("/metrics", "localhost", 200),
        ("/nothing", "localhost", 404),
        ("/", "rebind.attacker.example", 400),
    ):
        response = request(web, path, host)
        assert response.status == status
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        assert response.getheader("Referrer-Policy") == "no-referrer"
        assert response.getheader("Cache-Control") == "no-store"
        policy = response.getheader("Content-Security-Policy")
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_the_policy_allows_exactly_the_pages_own_inline_script_and_style(web: WebSink) -> None:
    page = get(web, "/")
    html = page.read().decode()
    policy = page.getheader("Content-Security-Policy")
    for tag in ("script", "style"):
        (body,) = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_beyond_this_machine_a_login_or_a_trusted_network_is_required(password_hash: str):
    with pytest.raises(OutputError, match=r"lets other machines in, and there is no login"):
        WebSink(WebSettings(host="0.0.0.0", port=0))
    with pytest.raises(OutputError, match="username and password_hash go together"):
        WebSink(WebSettings(port=0, password_hash=password_hash))
    trusted = WebSink(WebSettings(host="0.0.0.0", port=0, trusted_network=True))
    assert trusted.access.startswith("no login: anyone on the network")
    trusted.on_stop(stats())
    local = WebSink(WebSettings(port=0))
    assert local.access == "this machine only, no login"
    local.on_stop(stats())


def test_with_a_login_every_path_wants_it(password_hash: str) -> None:
    sink = WebSink(WebSettings(host="0.0.0.0", port=0, username="pi", password_hash=password_hash))
    assert sink.access == "login required (HTTP Basic, user 'pi')"
    sink.on_start(stats())
    try:
        for path in ("/", "/api/stats", "/metrics", "/stream.mjpg", "/api/events"):
            response = request(sink, path, "localhost")
            assert response.status == 401, path
            assert response.getheader("WWW-Authenticate").startswith('Basic realm="edge-digits"')
        for wrong in (basic("pi", "guess"), basic("root", PASSWORD), "Basic !!", "Bearer x"):
            assert request(sink, "/api/stats", "localhost", Authorization=wrong).status == 401
        good = basic("pi", PASSWORD)
        for _ in range(2):  # the second from the cache of accepted logins
            assert request(sink, "/api/stats", "localhost", Authorization=good).status == 200
        events = request(sink, "/api/events", "localhost", Authorization=good)
        assert events.status == 200 and read_event(events)[0] == "history"
        events.close()
    finally:
        sink.on_stop(stats())


class Clock:
    """A clock the test moves by hand, so a wait of minutes takes no time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def behind_login(password_hash: str, clock: Clock) -> BasicAuth:
    return BasicAuth(PlainTextResponse("figures\n"), "pi", password_hash, clock=clock)


async def ask(
    auth: BasicAuth, authorization: str | None, client: str = "192.0.2.7"
) -> tuple[int, dict[str, str]]:
    """One GET through `auth` straight over ASGI, as from `client`: its status and headers."""
    headers = [(b"host", b"localhost")]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode()))
    scope = {
        "type": "http", "method": "GET", "path": "/api/stats", "raw_path": b"/api/stats",
        "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
        "headers": headers, "client": (client, 50000), "server": ("192.0.2.1", 8080),
    }  # fmt: skip
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await auth(scope, receive, send)
    start = sent[0]
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}


def login_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "edge.web.security"]


def test_failed_logins_are_logged_first_then_summed_up_and_never_with_the_password(
    password_hash: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock, guess = Clock(), "hunter2-guess"
    auth = behind_login(password_hash, clock)

    async def flood() -> None:
        assert (await ask(auth, None))[0] == 401  # a browser asking first: no failed login
        assert login_warnings(caplog) == []
        for _ in range(3):
            assert (await ask(auth, basic("pi", guess)))[0] == 401
        assert login_warnings(caplog) == ["Failed login to the live page from 192.0.2.7"]
        clock.now += 61
        assert (await ask(auth, basic("pi", guess)))[0] == 401

    with caplog.at_level(logging.WARNING, logger="edge.web.security"):
        asyncio.run(flood())
    assert login_warnings(caplog) == [
        "Failed login to the live page from 192.0.2.7",
        "3 failed login(s) to the live page from 192.0.2.7 in the last 61 s",
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert guess not in caplog.text and basic("pi", guess).split()[1] not in caplog.text


def test_after_a_few_wrong_logins_an_address_must_wait_and_others_log_in_meanwhile(
    password_hash: str,
) -> None:
    clock = Clock()
    auth = behind_login(password_hash, clock)
    good, wrong = basic("pi", PASSWORD), basic("pi", "guess")

    async def guesses() -> None:
        for _ in range(FREE_FAILURES):
            status, headers = await ask(auth, wrong)
            assert status == 401 and "www-authenticate" in headers  # a browser prompts again
        for attempt in (wrong, good, "Bearer x"):  # even the right one is not looked at now
            status, headers = await ask(auth, attempt)
            assert (status, headers["retry-after"]) == (429, "1"), attempt
            assert "www-authenticate" not in headers
        assert (await ask(auth, good, client="198.51.100.3"))[0] == 200  # another address
        clock.now += 1
        assert (await ask(auth, good))[0] == 200  # the wait is over: the right one works

        # Each further wrong login doubles the wait.
        for _ in range(FREE_FAILURES):
            await ask(auth, wrong, client="203.0.113.9")
        for expected in ("1", "2", "4", "8"):
            status, headers = await ask(auth, wrong, client="203.0.113.9")
            assert (status, headers["retry-after"]) == (429, expected)
            clock.now += int(expected)
            assert (await ask(auth, wrong, client="203.0.113.9"))[0] == 401

        # Typos followed by the password (checked, not remembered) are forgotten.
        typist = behind_login(password_hash, clock)
        for _ in range(2):
            for _ in range(FREE_FAILURES - 1):
                assert (await ask(typist, wrong))[0] == 401
            assert (await ask(typist, good))[0] == 200

    asyncio.run(guesses())
    assert wait_after(FREE_FAILURES - 1) == 0 and wait_after(FREE_FAILURES) > 0
    assert wait_after(10_000) == LONGEST_WAIT_S


def test_a_browser_logged_in_before_keeps_its_page_while_its_address_must_wait(
    password_hash: str,
) -> None:
    """Over an SSH tunnel or a proxy every client is 127.0.0.1: a guesser there must not lock
    the owner's open page out. A login proven good tells a guesser nothing new."""
    auth = behind_login(password_hash, Clock())
    good, wrong = basic("pi", PASSWORD), basic("pi", "guess")

    async def owner_and_guesser() -> None:
        assert (await ask(auth, good, client="127.0.0.1"))[0] == 200  # the owner's browser
        for _ in range(FREE_FAILURES + 3):
            await ask(auth, wrong, client="127.0.0.1")
        assert (await ask(auth, wrong, client="127.0.0.1"))[0] == 429
        assert (await ask(auth, good, client="127.0.0.1"))[0] == 200

    asyncio.run(owner_and_guesser())


def test_requests_without_a_login_are_no_failed_logins(
    password_hash: str, caplog: pytest.LogCaptureFixture
) -> None:
    auth = behind_login(password_hash, Clock())

    async def browser() -> None:
        for _ in range(5 * FREE_FAILURES):
            status, headers = await ask(auth, None)
            assert status == 401 and headers["www-authenticate"].startswith("Basic ")
        assert (await ask(auth, basic("pi", PASSWORD)))[0] == 200

    with caplog.at_level(logging.WARNING, logger="edge.web.security"):
        asyncio.run(browser())
    assert login_warnings(caplog) == []


def test_guesses_sent_at_once_get_no_more_checks_and_hold_up_no_one_else(
    password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []

    def counted(password: str, hashed: str) -> bool:
        checked.append(password)
        return verify_password(password, hashed)

    monkeypatch.setattr("edge.web.security.verify_password", counted)
    auth = behind_login(password_hash, Clock())

    async def flood() -> list[int]:
        guesses = [ask(auth, basic("pi", f"guess{n}")) for n in range(4 * FREE_FAILURES)]
        other = ask(auth, basic("pi", PASSWORD), client="198.51.100.3")
        return [status for status, _ in await asyncio.gather(*guesses, other)]

    *statuses, other = asyncio.run(flood())
    assert other == 200
    assert statuses.count(401) == FREE_FAILURES and statuses.count(429) == 3 * FREE_FAILURES
    assert len(checked) == FREE_FAILURES + 1  # the guesses that were allowed, and the login


def test_the_table_of_failed_logins_is_bounded_and_forgets_the_longest_quiet(
    password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("edge.web.security.FAILURE_ADDRESSES", 3)
    auth = behind_login(password_hash, Clock())

    async def many_addresses() -> None:
        for _ in range(FREE_FAILURES):
            await ask(auth, "Bearer x", client="192.0.2.1")
        assert (await ask(auth, "Bearer x", client="192.0.2.1"))[0] == 429
        for n in range(2, 5):
            await ask(auth, "Bearer x", client=f"192.0.2.{n}")
        assert (await ask(auth, basic("pi", PASSWORD), client="192.0.2.1"))[0] == 200

    asyncio.run(many_addresses())
    assert len(auth._failures._by_address) <= 3


def test_failures_are_counted_by_ipv4_address_and_ipv6_network() -> None:
    def scope(host: str) -> dict:
        return {"client": (host, 1234)}

    assert client_address(scope("192.0.2.7")) == "192.0.2.7"
    assert client_address(scope("::ffff:192.0.2.7")) == "192.0.2.7"
    assert client_address(scope("2001:db8:1:2::5")) == "2001:db8:1:2::/64"
    assert client_address(scope("2001:db8:1:2:ffff::9")) == "2001:db8:1:2::/64"
    assert client_address(scope("::1")) == "::1"
    assert client_address({"client": None}) == "unknown"


def test_the_live_server_makes_a_guessing_address_wait(
    password_hash: str, caplog: pytest.LogCaptureFixture
) -> None:
    sink = WebSink(WebSettings(host="0.0.0.0", port=0, username="pi", password_hash=password_hash))
    sink.on_start(stats())
    try:
        with caplog.at_level(logging.WARNING, logger="edge.web.security"):
            assert request(sink, "/api/stats", "localhost").status == 401
            for _ in range(FREE_FAILURES):
                wrong = basic("pi", "guess")
                assert request(sink, "/api/stats", "localhost", Authorization=wrong).status == 401
            response = request(sink, "/api/stats", "localhost", Authorization=wrong)
            assert response.status == 429 and int(response.getheader("Retry-After")) >= 1
            assert response.getheader("X-Content-Type-Options") == "nosniff"
        assert login_warnings(caplog) == ["Failed login to the live page from 127.0.0.1"]
    finally:
        sink.on_stop(stats())


def test_password_hashes_check_and_refuse() -> None:
    hashed = hash_password("hunter22")
    assert hashed.startswith("scrypt:16384:8:1$") and hash_problem(hashed) is None
    assert verify_password("hunter22", hashed) and not verify_password("hunter2", hashed)
    assert hash_password("hunter22") != hashed  # salted
    assert "at most N=131072" in hash_problem("scrypt:1048576:8:1$salt$" + "00" * 64)  # DoS
    assert "64 bytes" in hash_problem("scrypt:16384:8:1$salt$00")
    for bad in ("hunter22", "scrypt:16384:8:1$salt", "md5:1:1:1$s$00", "scrypt:16384:8:1$s$zz"):
        assert "python -m edge.web.password" in hash_problem(bad), bad


def test_the_password_tool_explains_itself_and_hashes_a_piped_password() -> None:
    tool = [sys.executable, "-m", "edge.web.password"]
    shown = subprocess.run([*tool, "--help"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "password_hash line to put under [web]" in shown.stdout
    piped = subprocess.run(tool, input="hunter22\n", capture_output=True, text=True, timeout=60)
    hashed = piped.stdout.strip().removeprefix('password_hash = "').removesuffix('"')
    assert piped.returncode == 0 and verify_password("hunter22", hashed)


# --- secrets in a stream URL ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://viewer:s3cret@cam.local:8080/video.mjpg", "http://***@cam.local:8080/video.mjpg"),
        ("rtsp://admin:p@ss@10.0.0.2:554/s?channel=1&pwd=s3cret", "rtsp://***@10.0.0.2:554/s?channel=1&pwd=***"),
        ("http://cam.local/mjpg?user=me&password=s3cret&api_key=k", "http://cam.local/mjpg?user=me&password=***&api_key=***"),
        ("http://cam.local/a@b", "http://cam.local/a@b"),
        ("photos/*.jpg", "photos/*.jpg"),
    ],
)  # fmt: skip
def test_a_stream_urls_credentials_are_redacted(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_a_stream_that_cannot_be_opened_names_no_password() -> None:
    """The description (in the start line, /api/stats, the page, /metrics and MQTT stats) and
    the error both come from the source's redacted description."""
    url = f"http://viewer:s3cret@127.0.0.1:{free_port()}/video.mjpg?token=t0ken"
    done = subprocess.run(
        [*edge_command("--source", url)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1  # nothing answers: worth starting again
    assert "http://***@127.0.0.1:" in done.stderr and "token=***" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr and "t0ken" not in done.stdout + done.stderr


def test_a_stream_the_config_names_that_cannot_be_opened_names_its_key_and_no_password(
    tmp_path: Path,
) -> None:
    url = f"http://viewer:s3cret@127.0.0.1:{free_port()}/video.mjpg?token=t0ken"
    config = tmp_path / "edge.toml"
    config.write_text(f'[source]\nname = "{url}"\n')
    done = subprocess.run(
        [*edge_command("--config", str(config))], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1  # nothing answers (named by the config all the same)
    assert done.stderr.startswith("edge: error: [source] name = 'http://***@127.0.0.1:")
    assert f"token=***' in {config}: Cannot open" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr and "t0ken" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("host", "url"),
    [("127.0.0.1", "http://127.0.0.1:8080/"), ("0.0.0.0", "http://127.0.0.1:8080/"),
     ("::", "http://[::1]:8080/"), ("::1", "http://[::1]:8080/"),
     ("fe80::1%eth0", "http://[fe80::1%25eth0]:8080/"), ("pi.local", "http://pi.local:8080/")],
)  # fmt: skip
def test_the_printed_url_of_the_page_opens_in_a_browser_ipv6_too(host, url):
    assert page_url(host, 8080) == url
