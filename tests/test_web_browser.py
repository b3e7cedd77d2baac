"""The live page in a real browser (Debian's chromium, headless) served by `python -m edge`."""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from checkout import REPO, edge_command
from mosquitto_broker import free_port
from playwright.sync_api import Page, Route, expect, sync_playwright
from recognizer_process import Recognizer, write_replay

from edge.events import CAMERA_BLANK, NO_INK
from edge.model import INT8_FILE
from edge.pipeline import NO_DIGITS
from edge.web.password import hash_password

CHROMIUM = "/usr/bin/chromium"  # Debian's package; never a Playwright download
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"
START_TIMEOUT = 60.0  # seconds for the recognizer to load its model and listen
UPDATE_TIMEOUT_MS = 20_000

pytestmark = pytest.mark.slow


USER, PASSWORD = "pi", "correct horse battery"


def wait_for_page(url: str, recognizer: Recognizer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if recognizer.process.poll() is not None:
            raise AssertionError(f"python -m edge exited:\n{recognizer.output()}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:  # 401: up, and wanting the login
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the page never came up at {url}:\n{recognizer.output()}")


def serve_page(mnist_test, tmp_path: Path, web_config: str = "") -> Iterator[str]:
    port = free_port()
    replay = write_replay(mnist_test, tmp_path / "replay")
    config = f'[web]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\n{web_config}'
    recognizer = Recognizer(replay, config, tmp_path)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_page(url, recognizer)
        yield url
    finally:
        assert recognizer.stop() == 0, recognizer.output()


@pytest.fixture
def served_page(mnist_test, tmp_path: Path) -> Iterator[str]:
    yield from serve_page(mnist_test, tmp_path)


@pytest.fixture
def served_with_login(mnist_test, tmp_path: Path) -> Iterator[str]:
    login = f'username = "{USER}"\npassword_hash = "{hash_password(PASSWORD)}"\n'
    yield from serve_page(mnist_test, tmp_path, login)


def open_browser(**context: Any) -> Iterator[Page]:
    """A page in headless chromium; every console message is kept in `page.console`, where the
    browser reports what the Content Security Policy blocked."""
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
            **context,
        )
        try:
            page = browser.new_page()
            page.console = []  # type: ignore[attr-defined]
            page.on("console", lambda message: page.console.append(message.text))
            yield page
        finally:
            browser.close()


@pytest.fixture
def page() -> Iterator[Page]:
    yield from open_browser()


@pytest.fixture
def page_logged_in() -> Iterator[Page]:
    yield from open_browser(http_credentials={"username": USER, "password": PASSWORD})


def number(page: Page, selector: str) -> float:
    return float(page.locator(selector).inner_text())


def test_the_page_shows_the_live_view_readings_and_stats(served_page: str, page: Page) -> None:
    page.goto(served_page)
    expect(page.locator("#connection")).to_have_text("live")
    reading = page.locator("#reading")
    expect(reading).not_to_have_text("—", timeout=UPDATE_TIMEOUT_MS)  # a first reading
    first_reading = reading.inner_text()
    expect(page.locator("#confidence")).to_contain_text("confidence")
    expect(page.locator("#model")).to_have_text(f"model: {INT8_FILE} (int8)")  # the bundled one
    expect(page.locator("#processed-fps")).not_to_have_text("-")
    first_frames = number(page, "#frames")
    expect(page.locator("#stages")).to_contain_text("read")

    # The replay moves on to other scenes: the reading, history and figures follow live.
    expect(reading).not_to_have_text(first_reading, timeout=UPDATE_TIMEOUT_MS)
    assert page.locator("#history li").count() >= 2
    # Functions, not expressions: a string expression is run through eval(), which the page's
    # Content Security Policy forbids once the condition has to be polled.
    page.wait_for_function(
        f"() => Number(document.getElementById('frames').textContent) > {first_frames}"
    )
    assert 5 <= number(page, "#processed-fps") <= 15  # the replay runs at 10 fps
    assert number(page, "#viewers") == 1

    # What the page shows is what the API says.
    with urllib.request.urlopen(f"{served_page}api/readings", timeout=5) as response:
        recent = [r["text"] or "(nothing in view)" for r in json.load(response)]
    assert first_reading in recent and reading.inner_text() in recent

    # The MJPEG stream is decoded and shown by the browser itself.
    page.wait_for_function("() => document.getElementById('video').naturalWidth == 640")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "live-page.png", full_page=True)
    # Served with its Content Security Policy, and nothing on the page was blocked by it.
    assert not [text for text in page.console if "Content Security Policy" in text]


def test_a_page_opened_after_a_replay_ended_shows_its_last_frame(
    mnist_test, tmp_path: Path, page: Page
) -> None:
    """Photos read in a second, the page stays up: one opened later shows the last frame.
    Chromium shows a multipart part only once the next starts, so the stream sends the still
    view again (it stayed black when the last frame was sent once)."""
    photos = write_replay(mnist_test, tmp_path / "photos", scenes=1)
    port = free_port()
    process = subprocess.Popen(
        edge_command("--source", str(photos), "--web", f"127.0.0.1:{port}"),
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "EDGE_DIGITS_CONFIG": ""},
    )  # fmt: skip
    try:
        said = ""
        while "the source ended" not in said:
            said = process.stderr.readline()
            assert said, "python -m edge ended before the source did"
        time.sleep(1.5)  # the last frame is long sent: the page must get it again
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function(
            "() => document.getElementById('video').naturalWidth == 640", timeout=10_000
        )
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_behind_a_login_the_page_its_stream_and_its_events_all_work(
    served_with_login: str, page_logged_in: Page
) -> None:
    with pytest.raises(urllib.error.HTTPError, match="401"):
        urllib.request.urlopen(f"{served_with_login}api/stats", timeout=5)
    page = page_logged_in
    page.goto(served_with_login)
    expect(page.locator("#connection")).to_have_text("live")  # the EventSource got in
    expect(page.locator("#reading")).not_to_have_text("—", timeout=UPDATE_TIMEOUT_MS)
    page.wait_for_function("() => document.getElementById('video').naturalWidth == 640")
    assert not [text for text in page.console if "Content Security Policy" in text]


def test_a_taken_port_stops_the_recognizer_with_a_clear_message(tmp_path: Path) -> None:
    config = tmp_path / "edge.toml"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config.write_text(f"[web]\nenabled = true\nport = {taken.getsockname()[1]}\n")
        result = subprocess.run(
            edge_command("--source", "demo", "--config", str(config)),
            cwd=REPO, capture_output=True, text=True, timeout=START_TIMEOUT,
        )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "cannot listen on 127.0.0.1:" in result.stderr
    assert "the port is already in use" in result.stderr and "[web] port" in result.stderr


def open_stand_in(page: Page, readings: list[dict[str, Any]]) -> None:
    """The live page opened from a stand-in server that sends `readings` as the recognizer's
    event stream's history: the page's own behaviour, no recognizer needed."""
    html = (REPO / "edge" / "web" / "page.html").read_text(encoding="utf-8")

    def answer(route: Route) -> None:
        path = urlparse(route.request.url).path
        if path == "/":
            route.fulfill(body=html, content_type="text/html")
        elif path == "/api/events":
            history = f"event: history\ndata: {json.dumps(readings)}\nretry: 600000\n\n"
            route.fulfill(body=history, content_type="text/event-stream")
        else:
            route.fulfill(status=404)

    page.route("http://edge.test/**", answer)
    page.goto("http://edge.test/")


def test_a_confidence_under_1_never_shows_as_100_percent(page: Page) -> None:
    """The page rounds a confidence down: 0.9961 (an int8 model's 255/256) is 99.6% and 99%,
    not the 100% that reads as certainty. The page is served by a stand-in that sends three
    readings as the recognizer's event stream would: no recognizer needed."""
    readings = [
        {"text": "4071", "confidence": confidence, "timestamp": 1.7e9, "digits": []}
        for confidence in (1.0, 0.29, 0.9961)  # 0.29 * 100 is 28.999999999999996
    ]
    open_stand_in(page, readings)
    expect(page.locator("#confidence")).to_have_text("confidence 99.6%")
    expect(page.locator("#history li span")).to_have_text(["4071 99%", "4071 29%", "4071 100%"])


def test_an_empty_reading_says_why_and_shows_no_confidence(page: Page) -> None:
    """Nothing read is no guess at 0%: the history shows no percentage, and the reading says
    why it is empty where a confidence would be; a photo "read nothing", a camera's view
    holds nothing, or its writing read nothing."""
    readings = [
        {"text": "", "confidence": 0.0, "timestamp": 1.7e9, "digits": [], "path": "a.jpg",
         "empty_reason": "ink found, no digits read"},
        {"text": "", "confidence": 0.0, "timestamp": 1.7e9, "digits": [],
         "empty_reason": NO_DIGITS},
        {"text": "", "confidence": 0.0, "timestamp": 1.7e9, "digits": [],
         "empty_reason": CAMERA_BLANK},
        {"text": "", "confidence": 0.0, "timestamp": 1.7e9, "digits": [],
         "empty_reason": NO_INK},
    ]  # fmt: skip
    open_stand_in(page, readings)
    expect(page.locator("#reading")).to_have_text("(nothing in view)")
    expect(page.locator("#confidence")).to_have_text(NO_INK)
    # A camera's writing that read nothing is no empty view (the newest first).
    expect(page.locator("#history li span")).to_have_text(
        ["(nothing in view)", "(nothing in view)", "(nothing read)", "(nothing read)"]
    )


def test_lines_of_writing_show_apart_and_a_narrow_page_breaks_only_between_them(
    page: Page,
) -> None:
    """ "495" above "906": the page shows "495 906", and on a phone's narrow screen it wraps
    between the numbers, never inside one ("495 90" over "6" read as other numbers)."""
    readings = [{"text": "495906", "lines": ["495", "906"], "confidence": 0.99, "timestamp": 1.7e9}]
    open_stand_in(page, readings)
    expect(page.locator("#reading")).to_have_text("495 906")
    wrapped = 0
    for width in range(240, 520, 20):  # a phone's width, and wider until it fits on one line
        page.set_viewport_size({"width": width, "height": 800})
        tops = page.evaluate(
            """() => {
                const text = document.querySelector("#reading").firstChild;
                return Array.from({length: text.length}, (_, i) => {
                    const range = document.createRange();
                    range.setStart(text, i);
                    range.setEnd(text, i + 1);
                    return Math.round(range.getBoundingClientRect().top);
                });
            }"""
        )
        assert len(set(tops[:3])) == 1 and len(set(tops[4:])) == 1, (width, tops)
        wrapped += tops[0] < tops[4]
    assert wrapped, "never narrow enough to wrap: the test tests nothing"
