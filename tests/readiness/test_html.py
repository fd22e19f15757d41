"""The readiness page in a real browser: Debian's headless Chromium driven by Playwright.

Needs `bash tests/readiness/install.sh`, the host built (`cargo build -p rechost`) and the
plugins (`cargo build --release --target wasm32-wasip2 -p ecommerce`). Screenshots go to
$READINESS_SCREENSHOTS when set (to look at them), else to the test's temporary folder.
"""

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
RECHOST = TARGET / "debug" / "rechost"
ECOMMERCE = TARGET / "wasm32-wasip2" / "release" / "ecommerce.wasm"
FIXTURE = ROOT.parent / "shared" / "fixtures" / "snowplow_ecommerce_product_interactions.csv"
CHARTS = ["days", "users", "popularity", "mix", "dropped"]
VIEWPORT = {"width": 1280, "height": 800}


def require(condition, what):
    """Missing tools fail under CI and skip elsewhere."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing (run tests/readiness/install.sh and build first)")
        pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def chromium():
    require(shutil.which("chromium"), "chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright Python package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"))
        yield browser
        browser.close()


def rechost(*args):
    require(RECHOST.exists(), str(RECHOST))
    run = subprocess.run([str(RECHOST), *map(str, args)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="session")
def sample_page(tmp_path_factory):
    require(ECOMMERCE.exists(), str(ECOMMERCE))
    work = tmp_path_factory.mktemp("sample")
    data = work / "ecommerce.parquet"
    rechost("sample", "ecommerce", "--rows", "60000", "--out", data, "--end-date", "2024-03-10", "--days", "10")
    rechost("run", ECOMMERCE, "--input", data, "--out", work / "out", "--start-date", "2024-03-01",
            "--end-date", "2024-03-10", "--quiet")
    return work / "out" / "readiness-ecommerce.html"


@pytest.fixture(scope="session")
def fixture_page(tmp_path_factory):
    require(ECOMMERCE.exists(), str(ECOMMERCE))
    require(FIXTURE.exists(), str(FIXTURE))
    out = tmp_path_factory.mktemp("fixture") / "out"
    rechost("run", ECOMMERCE, "--input", FIXTURE, "--out", out, "--start-date", "2022-01-01",
            "--end-date", "2022-12-31", "--quiet")
    return out / "readiness-ecommerce.html"


class Opened:
    """A page with everything the browser reported while loading it."""

    def __init__(self, browser, url, color_scheme="light"):
        self.context = browser.new_context(viewport=VIEWPORT, color_scheme=color_scheme)
        self.page = self.context.new_page()
        self.errors, self.requests = [], []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def screenshot(self, name, tmp_path):
        folder = Path(os.environ.get("READINESS_SCREENSHOTS", tmp_path))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self):
        self.context.close()


def distinct_colours(png: Path) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png.read_bytes())).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 20) or [])


def test_console_errors_are_captured(chromium, tmp_path):
    # The capture itself must be able to fail: a page that logs an error and throws.
    page = tmp_path / "broken.html"
    page.write_text("<script>console.error('boom'); undefinedCall();</script>")
    opened = Opened(chromium, page.as_uri())
    assert any("boom" in e for e in opened.errors), opened.errors
    assert any("undefinedCall" in e for e in opened.errors), opened.errors
    opened.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_sample_page_renders_every_chart(chromium, sample_page, tmp_path, scheme):
    opened = Opened(chromium, sample_page.as_uri(), color_scheme=scheme)
    page = opened.page
    assert opened.errors == []
    assert opened.requests == [sample_page.as_uri()], "the page fetches nothing"
    for chart in CHARTS:
        svg = page.locator(f"#chart-{chart} svg")
        assert svg.count() == 1, chart
        box = svg.bounding_box()
        assert box["width"] > 300 and box["height"] > 50, (chart, box)
        shapes = page.locator(f"#chart-{chart} svg rect, #chart-{chart} svg polyline, "
                              f"#chart-{chart} svg circle, #chart-{chart} svg text")
        assert shapes.count() >= 2, chart
    # Sample data passes the minimum: the top says so.
    assert "Ready" in page.locator("#verdict .headline").inner_text()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    dark = background == "rgb(21, 25, 29)"
    assert dark == (scheme == "dark"), background
    png = opened.screenshot(f"sample-{scheme}", tmp_path)
    assert distinct_colours(png) > 20, "the screenshot is blank"
    opened.close()


def test_sample_page_prints_on_white(chromium, sample_page):
    opened = Opened(chromium, sample_page.as_uri(), color_scheme="dark")
    opened.page.emulate_media(media="print")
    assert opened.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert len(opened.page.pdf()) > 10_000
    opened.close()


def test_fixture_page_says_not_ready_and_why_above_the_fold(chromium, fixture_page, tmp_path):
    opened = Opened(chromium, fixture_page.as_uri())
    page = opened.page
    assert opened.errors == []
    verdict = page.locator("#verdict")
    text = verdict.inner_text()
    assert "Not ready" in text, text
    assert "395 interactions, Personalize needs at least 1000" in text, text
    assert "18 users with at least 2 interactions" in text, text
    box = verdict.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], box
    assert page.evaluate("window.scrollY") == 0
    opened.screenshot("fixture-light", tmp_path)
    opened.close()
