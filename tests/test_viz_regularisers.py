"""The diagrams name the regularisers that are on: the title (in the variant text's words) and
the equations panel (their equations, after the cell's); nothing when they are off or when
the family does not read them; the figure stays legible."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure
from test_viz_diagrams import test_labels_are_legible as check_legible

from rnnlab.cli import main
from rnnlab.models.config import ModelConfig
from rnnlab.viz.diagrams import figure, svg_text

# option -> (value, title text, a piece of its equations)
OPTIONS = {
    "recurrent_dropout": (0.25, "recurrent dropout 0.25", r"m_h \odot h_{t-1}"),
    "weight_drop": (0.5, "weight drop 0.5", r"\tilde W_{hh} = M \odot W_{hh}"),
    "zoneout": (0.1, "zoneout 0.1", r"h_t = d_t \odot h_{t-1} + (1 - d_t) \odot \tilde h_t"),
    "zoneout_cell": (0.2, "cell zoneout 0.2", r"c_t = d^c_t \odot c_{t-1}"),
    "learn_init": (True, "learned h0", r"h_0 = \theta_h"),
}
CASES = [(family, name) for family in ("rnn", "lstm", "gru") for name in OPTIONS
         if name != "zoneout_cell" or family == "lstm"]


def texts(fig: Figure, prefix: str) -> str:
    return "\n".join(t.get_text() for t in fig.axes[0].texts
                     if (t.get_gid() or "").startswith(prefix))


@pytest.mark.parametrize(("family", "name"), CASES, ids=lambda v: str(v))
def test_title_and_equations_name_the_option(family: str, name: str) -> None:
    value, title, equation = OPTIONS[name]
    fig = figure(ModelConfig(family=family, hidden_size=8, **{name: value}), equations=True)
    assert title in texts(fig, "title")
    assert equation in texts(fig, "equation-")
    plain = figure(ModelConfig(family=family, hidden_size=8), equations=True)
    assert title not in texts(plain, "title") and equation not in texts(plain, "equation-")


def test_a_family_that_does_not_read_an_option_does_not_show_it() -> None:
    fig = figure(ModelConfig(family="gru", zoneout_cell=0.3), equations=True)
    assert "zoneout" not in texts(fig, "title") + texts(fig, "equation-")
    fig = figure(ModelConfig(family="mlp", zoneout=0.3, learn_init=True), equations=True)
    assert "zoneout" not in texts(fig, "title") + texts(fig, "equation-")


def test_the_papers_and_the_lstm_learned_cell_are_named() -> None:
    config = ModelConfig(family="lstm", recurrent_dropout=0.1, weight_drop=0.2, zoneout=0.1,
                         learn_init=True)
    eq = texts(figure(config, equations=True), "equation-")
    for paper in ("Gal & Ghahramani 2016", "Merity et al. 2017", "Krueger et al. 2017"):
        assert paper in eq
    assert r"c_0 = \theta_c" in eq
    assert "learned h0, c0" in texts(figure(config), "title")


@pytest.mark.parametrize("family", ["rnn", "lstm", "gru"])
def test_every_regulariser_on_stays_legible(family: str) -> None:
    every = {name: value for name, (value, _, _) in OPTIONS.items()
             if name != "zoneout_cell" or family == "lstm"}
    config = ModelConfig(family=family, hidden_size=16, **every)
    check_legible((family, config, {"equations": True}))


@pytest.mark.parametrize("name", list(OPTIONS))
def test_rnnlab_draw_with_the_flag(name: str, tmp_path: Path) -> None:
    value, title, _ = OPTIONS[name]
    flag = f"--{name.replace('_', '-')}"
    args = [flag] if value is True else [flag, str(value)]
    out = tmp_path / "d.svg"
    assert main(["draw", "--family", "lstm", *args, "--equations", "-o", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    words = title.split()
    assert all(w in svg for w in words)
    assert svg_text(ModelConfig(family="lstm", **{name: value}))  # the API draws it too
