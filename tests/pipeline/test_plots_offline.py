"""`dvc plots show` and `dvc plots diff` write pages that draw offline: the page template (the plots_page
stage's, configured in .dvc/config) carries Vega's scripts inline, so the page loads no script from the
network, and headless Chromium with no network draws every chart."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import dvc, git, needs, set_param
from tests.pipeline.browser import chromium_path, drawn_charts, screenshot

pytestmark = pytest.mark.pipeline

CHARTS = {"training_curve", "errors_by_length", "doubt_by_length"}  # dvc.yaml's plots drawn from data


def vega_divs(page: Path) -> list[str]:
    return re.findall(r"vegaEmbed\('#([^']+)'", page.read_text())


def check_offline(page: Path, name: str) -> dict:
    html = page.read_text()
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", html, re.I)
    needs(chromium_path() is not None, "no chromium on PATH (Debian: apt-get install chromium)")
    charts = drawn_charts(page)
    assert vega_divs(page), html[:2000]
    for div in vega_divs(page):
        assert any(width > 0 and height > 0 for _, width, height in charts.get(div, [])), (div, charts)
    shot = screenshot(page, page.with_name(f"{name}.png"))
    if os.environ.get("LSTM_PARITY_SCREENSHOTS"):  # where to keep the screenshots for a person to look at
        shutil.copy(shot, Path(os.environ["LSTM_PARITY_SCREENSHOTS"]) / shot.name)
    return charts


def test_plots_show_draws_every_chart_offline(reproduced, tmp_path):
    dvc(reproduced, "plots", "show", "-o", str(tmp_path / "show"))
    page = tmp_path / "show/index.html"
    check_offline(page, "plots-show")
    assert {div for div in vega_divs(page) if any(chart in div for chart in CHARTS)}  # DVC's ids hold the plot's


def test_plots_diff_draws_every_chart_offline(repo, tmp_path):
    set_param(repo, "train.learning_rate", 0.02)
    dvc(repo, "repro")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "another learning rate")
    dvc(repo, "plots", "diff", "HEAD~1", "HEAD", "-o", str(tmp_path / "diff"))
    check_offline(tmp_path / "diff/index.html", "plots-diff")
