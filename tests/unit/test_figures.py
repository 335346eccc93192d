"""The figures: the state figures give the same bytes for the same arrays; dvc.yaml's plots are drawn from
their templates as DVC fills them; the offline page template carries Vega."""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from lstm_parity.figures import states as state_plots
from lstm_parity.figures.vega import draw_png, filled_spec, plots_page
from lstm_parity.pipeline import declared_plots, locked_stages
from lstm_parity.states import project_2d
from tests.conftest import PROJECT


@pytest.fixture(scope="module")
def model():
    from lstm_parity.model import build_model, keras

    keras.utils.set_random_seed(4)
    return build_model(2)


def test_plots_are_byte_deterministic(model, tmp_path):
    from lstm_parity.inference import random_trajectories
    from lstm_parity.model import weights_of

    trajectories = random_trajectories(weights_of(model), 12, 30, np.random.default_rng(0))
    projection = project_2d(trajectories.states)
    digests = set()
    for name in ("a", "b"):
        state_plots.plot_state_along_sequence(trajectories, tmp_path / f"{name}_sequence.png")
        state_plots.plot_state_projection(projection, trajectories.parity, tmp_path / f"{name}_projection.png")
        digests.add(tuple(hashlib.sha256((tmp_path / f"{name}_{kind}.png").read_bytes()).hexdigest()
                          for kind in ("sequence", "projection")))
    assert len(digests) == 1
    assert not list(tmp_path.glob(".tmp-*"))


def report_pngs() -> list[tuple[str, str]]:
    """(plot id, PNG path) of each plot the report stage draws, from its command in dvc.lock."""
    argv = next(stage.argv for stage in locked_stages(PROJECT) if stage.name == "report")
    return [(argv[i + 1], argv[i + 2]) for i, arg in enumerate(argv) if arg == "--png"]


def test_the_report_draws_every_plot_dvc_yaml_defines():
    assert sorted(plot for plot, _ in report_pngs()) == sorted(declared_plots(PROJECT))


@pytest.mark.parametrize("plot, png", report_pngs())
def test_committed_pngs_are_what_their_plots_draw(plot, png, tmp_path, monkeypatch):
    """The docs' charts are dvc.yaml's plots: the committed data, filled into the committed template as DVC
    fills it, draw the committed PNG byte for byte. (A template or definition edited without
    `dvc repro -f report` fails here.)"""
    monkeypatch.chdir(PROJECT)
    draw_png(filled_spec(plot), tmp_path / "drawn.png")
    assert (tmp_path / "drawn.png").read_bytes() == (PROJECT / png).read_bytes(), f"{png}: run dvc repro -f report"


def test_the_offline_page_template_holds_vega_and_no_network_script():
    page = plots_page()
    assert "{plot_divs}" in page and "{scripts}" not in page
    assert "vegaEmbed" in page and not re.search(r"<script[^>]*\bsrc=", page)
