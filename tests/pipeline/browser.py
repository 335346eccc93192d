"""Headless Chromium (Debian's package) for the tests: a page opened with no network, its DOM after the
scripts ran, and a screenshot."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

# No network at all: every host name resolves to nothing, so a page that wanted a script from a CDN
# fails to draw instead of quietly fetching it; and none of Chromium's own background connections.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1200,2400", "--hide-scrollbars",
         "--virtual-time-budget=10000"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(page: Path, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run([chromium_path(), *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=180)


class DrawnCharts(HTMLParser):
    """For each <div id=...> of a page's DOM, the Vega marks drawn inside it: (tag, width, height) of each
    <svg class="marks"> or <canvas class="marks">, which vega-embed makes once a chart has drawn."""

    def __init__(self):
        super().__init__()
        self.open_divs: list[str] = []
        self.marks: dict[str, list[tuple[str, float, float]]] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "div":
            self.open_divs.append(attributes.get("id") or "")
        if tag in ("svg", "canvas") and "marks" in (attributes.get("class") or "").split():
            owner = next((name for name in reversed(self.open_divs) if name), "")
            self.marks.setdefault(owner, []).append(
                (tag, float(attributes.get("width") or 0), float(attributes.get("height") or 0)))

    def handle_endtag(self, tag):
        if tag == "div" and self.open_divs:
            self.open_divs.pop()


def drawn_charts(page: Path) -> dict[str, list[tuple[str, float, float]]]:
    result = chromium(page, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    parser = DrawnCharts()
    parser.feed(result.stdout)
    return parser.marks


def screenshot(page: Path, png: Path) -> Path:
    result = chromium(page, f"--screenshot={png}")
    assert result.returncode == 0 and png.exists(), result.stderr[-2000:]
    return png
