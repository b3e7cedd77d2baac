"""The web output on a real server (port 0), fed with results built here; no pipeline needed."""

import asyncio
import http.client
import json
import logging
import socket
import threading
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from mosquitto_broker import free_port

from edge.config import MqttSettings, OutputSettings, Settings, WebSettings
from edge.events import DigitPrediction, FrameResult, Reading, Stats
from edge.outputs import OutputError, build_sinks
from edge.outputs.mqtt import MqttSink
from edge.web.annotate import annotate_frame
from edge.web.latest import Latest
from edge.web.sink import WebSink

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
    sink = WebSink("127.0.0.1", 0, max_stream_fps=50.0)
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
            WebSink("127.0.0.1", taken.getsockname()[1])


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


@pytest.mark.slow  # seconds of reconnect backoff / megabytes of stream
def test_a_stalled_viewer_holds_nobody_up(caplog: pytest.LogCaptureFixture) -> None:
    web = WebSink("127.0.0.1", 0, max_stream_fps=50.0)
    web.on_start(stats())
    noise = np.random.default_rng(0).integers(0, 256, (240, 320), np.uint8)  # ~60 kB JPEGs
    stalled = socket.create_connection(("127.0.0.1", web.port), timeout=TIMEOUT)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: test\r\n\r\n")  # then never reads
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
    sink = WebSink("127.0.0.1", 0)
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
