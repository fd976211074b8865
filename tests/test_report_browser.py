"""The report in a real browser: headless Chromium, driven over the DevTools protocol.

It fails on any console error or uncaught exception, and on any image that did not load; it
saves a full-page screenshot to ``test-artifacts/report.png``. Skipped when no Chromium is
installed, unless ``RNNLAB_REQUIRE_BROWSER`` is set: ``.ci/run`` installs Debian's
``chromium`` and sets it, so in CI a missing browser fails instead of skipping.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_viz_report import sample_report_data

from rnnlab.compare import CompareConfig, compare
from rnnlab.viz.report import render_report, write_report

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
WIDTH = 1280

if CHROMIUM is None and os.environ.get("RNNLAB_REQUIRE_BROWSER"):
    raise RuntimeError("RNNLAB_REQUIRE_BROWSER is set but no Chromium is installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (apt-get install chromium)"),
]


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, url: str) -> None:
        websocket = pytest.importorskip("websocket")  # websocket-client, in the dev extra
        # No Origin header: Chromium refuses websocket clients from other origins.
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.events: list[dict[str, Any]] = []
        self._id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and return its result; events that arrive meanwhile are kept."""
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30.0) -> None:
        """Read messages until ``event`` arrives."""
        end = time.monotonic() + timeout
        if any(e.get("method") == event for e in self.events):
            return
        while time.monotonic() < end:
            message = json.loads(self.ws.recv())
            self.events.append(message)
            if message.get("method") == event:
                return
        raise TimeoutError(f"no {event} within {timeout} s")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        found = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append("console: " + " ".join(str(a.get("value")) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                found.append("exception: " + params["exceptionDetails"].get("text", ""))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append("log: " + params["entry"].get("text", ""))
        return found

    def open(self, path: Path) -> None:
        """Load a file and wait until it (and its images) finished loading."""
        self.events.clear()
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        self.call("Runtime.evaluate", expression="1")  # let late console messages arrive

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        self.ws.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    assert CHROMIUM is not None
    process = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--remote-debugging-port=0", f"--user-data-dir={profile}",
         f"--window-size={WIDTH},1000", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        end = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > end or process.poll() is not None:
                pytest.fail("Chromium did not start its DevTools server")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        client = DevTools(pages[0]["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            client.call(f"{domain}.enable")
        yield client
        client.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


BROKEN_IMAGES = (
    "JSON.stringify(Array.from(document.images)"
    ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt))"
)


def test_report_renders_without_errors(browser: DevTools, tmp_path: Path) -> None:
    path = write_report(tmp_path / "report.html", render_report(sample_report_data()))
    browser.open(path)
    assert browser.errors() == []
    assert browser.evaluate("document.images.length") == 5
    assert json.loads(browser.evaluate(BROKEN_IMAGES)) == []
    sections = browser.evaluate("Array.from(document.querySelectorAll('section')).length")
    assert sections == 8

    height = browser.call("Page.getLayoutMetrics")["cssContentSize"]["height"]
    shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                        clip={"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1})
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.png").write_bytes(png)


EVIL = "<script>alert(1)</script>"


def test_a_real_comparison_on_hostile_text_renders_as_text(browser: DevTools,
                                                            tmp_path: Path) -> None:
    # A corpus a user might pass: markup and ampersands must show as words, never run.
    words = [EVIL, "&", "the", "cat", "sat", "on", "a", "mat", "&amp;", "dog"]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(words[(i * 7 + j) % len(words)] for j in range(9))
                                for i in range(300)))
    out = tmp_path / "report.html"
    compare(CompareConfig(
        task="text", task_params={"path": str(corpus), "level": "word", "seq_len": 20},
        models=("mlp", "lstm"), budget=3000, steps=20, minutes=0, eval_every=10, eval_size=32,
        batch_size=8, output=str(out),
    ))
    browser.open(out)
    assert browser.errors() == []
    assert browser.evaluate("document.scripts.length") == 0
    assert json.loads(browser.evaluate(BROKEN_IMAGES)) == []
    # Word tokens split punctuation: "<", "script", ">" are tokens of their own.
    tokens = set(json.loads(browser.evaluate(
        "JSON.stringify(Array.from(document.querySelectorAll('.tok')).map(t => t.textContent))")))
    assert {"<", "script", ">", "&", "alert"} <= tokens


def test_a_translation_comparison_shows_length_and_attention(browser: DevTools,
                                                             tmp_path: Path) -> None:
    pytest.importorskip("faker")
    out = tmp_path / "dates.html"
    compare(CompareConfig(
        task="dates", task_params={"eval_size": 60}, models=("gru", "gru:attention=luong"),
        budget=6000, steps=10, minutes=0, eval_every=5, eval_size=60, batch_size=32,
        output=str(out),
    ))
    browser.open(out)
    assert browser.errors() == []
    assert json.loads(browser.evaluate(BROKEN_IMAGES)) == []
    ids = json.loads(browser.evaluate(
        "JSON.stringify(Array.from(document.querySelectorAll('section')).map(s => s.id))"))
    assert {"models", "results", "length", "attention"} <= set(ids)
    maps = browser.evaluate("document.querySelectorAll('#attention img').length")
    assert 1 <= maps <= 2


def test_the_check_catches_broken_images_and_console_errors(browser: DevTools,
                                                             tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><img alt="bad" src="data:image/png;base64,AAAA">'
                    '<script>console.error("boom")</script>')
    browser.open(page)
    assert json.loads(browser.evaluate(BROKEN_IMAGES)) == ["bad"]
    assert any("boom" in e for e in browser.errors())
