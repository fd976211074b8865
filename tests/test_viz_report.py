"""The HTML report: self-contained, escaped, complete; charts, heatmap colours, atomic writes."""

from __future__ import annotations

import base64
import math
import os
import re
import struct
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rnnlab.viz import charts, heatmap
from rnnlab.viz.charts import Series
from rnnlab.viz.heatmap import HeatRow
from rnnlab.viz.report import (
    TITLES,
    AttentionPanel,
    BacktestRow,
    GatePanel,
    ModelCard,
    ReportData,
    ResultRow,
    render_report,
    write_report,
)

EVIL = "<script>alert(1)</script> & co"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
TINY_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">'
    '<rect width="40" height="20" fill="#0072b2"/></svg>'
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sample_report_data(label: str = "LSTM") -> ReportData:
    """A report with every section filled from made-up numbers (no training)."""
    labels = ["window MLP (5 steps)", label]
    colors = charts.model_colors([(labels[0], "mlp"), (label, "lstm")])
    gaps = [2, 4, 6, 10]
    tokens = ["starving", "Alice", "walks", "<b>to</b>", "the", "market", "and", "buys"]
    return ReportData(
        title=f"Comparison of {label}",
        intro="Made-up numbers for a test.",
        colors=colors,
        models=[
            ModelCard(labels[0], "mlp", 1000, "window MLP: 1 hidden layer", TINY_SVG),
            ModelCard(label, "lstm", 1010, f"{label} language model", TINY_SVG),
        ],
        reading=[f"The {label} holds 99% at every gap.", "The window MLP is at chance."],
        curves={
            "validation accuracy": {
                labels[0]: Series([32, 64, 96], [0.2, 0.3, 0.3]),
                label: Series([32, 64, 96], [0.3, 0.8, 1.0], [0.0, 0.1, 0.0]),
            },
            "validation loss": {
                labels[0]: Series([32, 64, 96], [2.0, 1.8, 1.7]),
                label: Series([32, 64, 96], [2.0, 1.0, 0.1]),
            },
        },
        chance=0.25,
        metric_names=["accuracy", "loss"],
        results=[
            ResultRow(labels[0], {"accuracy": (0.3, None), "loss": (1.7, None)}, 1000,
                      (1.0, None), (2000.0, None), (96.0, None), "step limit"),
            ResultRow(label, {"accuracy": (0.99, 0.01), "loss": (0.1, 0.02)}, 1010,
                      (2.0, 0.1), (1000.0, 10.0), (96.0, 0.0), "step limit"),
        ],
        seeds=2,
        horizon={labels[0]: Series(gaps, [1.0, 0.9, 0.25, 0.24]),
                 label: Series(gaps, [1.0, 1.0, 0.99, 0.98])},
        horizon_window=5,
        gradients={
            "at initialisation": {label: Series([0, 1, 2, 3], [1.0, 0.5, 0.2, 0.1])},
            "after training": {label: Series([0, 1, 2, 3], [1.0, 0.8, 0.6, 0.5])},
        },
        gates=[GatePanel(label, tokens, [
            HeatRow("forget gate f", [0.1 * i for i in range(8)]),
            HeatRow("candidate g", [-1.0, -0.5, 0, 0.5, 1.0, 0, 0, 0], "signed"),
        ], note="A note.")],
        run_info=[("task", "cue-word (gap=(2, 10))"), ("wall time", "12 s")],
        notes=["Made up."],
    )


def with_task_sections(data: ReportData) -> ReportData:
    """``data`` plus the sections only some tasks fill: a forecast's backtest, a video's
    filmstrip, a translation's length curve and attention maps."""
    label = data.models[-1].label
    metrics = {"mase": (0.9, 0.1), "rmse": (2.0, None), "mae": (1.5, None), "smape": (8.0, None)}
    data.backtest = [BacktestRow(label, metrics),
                     BacktestRow("seasonal naive", {k: (v[0] * 1.5, None)
                                                    for k, v in metrics.items()}, baseline=True)]
    data.backtest_caption = "Made-up backtest."
    data.filmstrip_svg, data.filmstrip_caption = TINY_SVG, "Made-up frames."
    data.length = {label: Series([0, 10, 20], [1.0, 0.9, 0.6])}
    data.attention = [AttentionPanel(label, "3 March 2021", "2021-03-03", "2021-03-03", TINY_SVG)]
    return data


class _Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(text)
    return parser.tags


@pytest.fixture(scope="module")
def full_report() -> str:
    return render_report(with_task_sections(sample_report_data()))


def test_report_is_self_contained(full_report: str) -> None:
    tags = _tags(full_report)
    assert not [t for t, _ in tags if t in ("script", "link", "iframe", "object", "embed")]
    for tag, attrs in tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, name, value[:60])
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", full_report)
    assert "@import" not in full_report and "url(http" not in full_report
    images = [a for t, a in tags if t == "img"]
    assert len(images) == 8  # two diagrams, four charts (one a length curve), frames, attention


def test_user_text_is_escaped_everywhere() -> None:
    text = render_report(sample_report_data(label=EVIL))
    assert EVIL not in text
    assert "<script" not in text.lower()
    assert text.count(EVIL_ESCAPED) >= 5  # title, cards, table, reading, gates
    assert "&lt;b&gt;to&lt;/b&gt;" in text  # a token of the heatmap
    assert not [t for t, _ in _tags(text) if t in ("script", "b")]


def test_every_section_present_with_data(full_report: str) -> None:
    ids = [a.get("id") for t, a in _tags(full_report) if t == "section"]
    assert ids == list(TITLES)
    for title in TITLES.values():
        assert title in full_report


def test_sections_without_data_are_left_out() -> None:
    data = sample_report_data()
    data.horizon = None
    data.gradients = None
    data.gates = []
    ids = [a.get("id") for t, a in _tags(render_report(data)) if t == "section"]
    assert "horizon" not in ids and "gradients" not in ids and "gates" not in ids
    assert "results" in ids and "curves" in ids


def test_embedded_images_are_valid_svg(full_report: str) -> None:
    for tag, attrs in _tags(full_report):
        if tag != "img":
            continue
        src = attrs["src"] or ""
        assert src.startswith("data:image/svg+xml;base64,")
        root = ET.fromstring(base64.b64decode(src.split(",", 1)[1]))
        assert root.tag.endswith("svg")
        assert attrs.get("alt")


def test_charts_render_to_svg_and_png() -> None:
    colors = charts.model_colors([("a", "rnn"), ("b", "lstm")])
    fig = charts.horizon_chart({"a": Series([2, 3], [1.0, 0.3]), "b": Series([2, 3], [1, 1])},
                               colors, chance=0.25, window=3)
    root = ET.fromstring(charts.to_svg(fig))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    png = charts.to_png(charts.gradient_chart(
        {"after training": {"a": Series([0, 1, 2], [1.0, 1e-3, 0.0])}}, colors), dpi=50)
    assert png.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert width > 100 and height > 50


def test_model_colors_are_stable_per_family() -> None:
    colors = charts.model_colors([("MLP", "mlp"), ("LSTM", "lstm"), ("LSTM p", "lstm")])
    assert colors["MLP"] == charts.FAMILY_COLORS["mlp"]
    assert colors["LSTM"] == charts.FAMILY_COLORS["lstm"]
    assert colors["LSTM p"] not in charts.FAMILY_COLORS.values()


def test_heatmap_colours_by_value() -> None:
    assert heatmap.color_for(0.0) == "#ffffff"
    assert heatmap.color_for(1.0) == "#2166ac"
    assert heatmap.color_for(0.5) == "#90b2d6"  # halfway between white and blue
    assert heatmap.color_for(7.0) == "#2166ac"  # clipped
    assert heatmap.color_for(-1.0, "signed") == "#b2182b"
    assert heatmap.color_for(0.0, "signed") == "#ffffff"
    assert heatmap.color_for(1.0, "signed") == "#2166ac"
    assert heatmap.color_for(math.nan) == heatmap.MISSING
    assert heatmap.text_color("#2166ac") == "#ffffff"
    assert heatmap.text_color("#ffffff") == "#1a1a1a"
    with pytest.raises(ValueError):
        heatmap.color_for(0.5, "rainbow")


def test_heatmap_spans_escape_tokens_and_carry_colours() -> None:
    text = heatmap.token_spans(["<i>", "&", "\n"], [0.0, 1.0, 0.5], name="f")
    spans = [a for t, a in _tags(text) if t == "span"]
    backgrounds = [re.search(r"background:(#[0-9a-f]{6})", a["style"] or "")[1] for a in spans]
    assert backgrounds == ["#ffffff", "#2166ac", "#90b2d6"]
    assert [a["title"] for a in spans] == ["f = 0.00", "f = 1.00", "f = 0.50"]
    assert "&lt;i&gt;" in text and "&amp;" in text and "<i>" not in text
    assert "\u21b5" in text  # a newline is visible
    with pytest.raises(ValueError):
        heatmap.token_spans(["a"], [0.1, 0.2])


def test_atomic_write_keeps_the_old_report_on_failure(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "report.html"
    write_report(path, "<p>good</p>")
    assert path.read_text() == "<p>good</p>"

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_report(path, "<p>half", overwrite=True)  # overwrite: "<p>good</p>" has no mark
    assert path.read_text() == "<p>good</p>"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left
    monkeypatch.undo()
    write_report(path, "<p>new</p>", overwrite=True)
    assert path.read_text() == "<p>new</p>"
