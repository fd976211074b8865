"""One self-contained HTML report of a comparison: ``render_report(data)``, ``write_report``.

The report is a single file that opens offline: the CSS is inline, every chart and diagram is
an ``<img>`` with a ``data:`` URI (SVG, or PNG), and there are no scripts, web fonts or links to
other sites. Every piece of text that comes from data (model labels, task parameters, file
names, sentences, tokens) goes through :func:`html.escape`, so it shows as text, never as markup.

:class:`ReportData` holds plain numbers and strings; each section appears only when its data is
there. Section ids: ``reading``, ``models``, ``curves``, ``results``, ``backtest``, ``frames``,
``length``,
``attention``, ``horizon``,
``gradients``, ``gates``, ``run``. :func:`write_report` replaces the file atomically (temporary
file + ``os.replace``), so a failure never leaves a half-written report where a good one was.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

from rnnlab.nn.families import find_family
from rnnlab.utils.atomic import HTML_MARK, atomic_write, check_output
from rnnlab.viz import charts, heatmap
from rnnlab.viz.charts import Series
from rnnlab.viz.heatmap import HeatRow

__all__ = [
    "BacktestRow",
    "GatePanel",
    "HeatRow",
    "ModelCard",
    "ReportData",
    "ResultRow",
    "Series",
    "draw_figures",
    "render_report",
    "write_report",
]

Stat = tuple[float, float | None]  # mean and sd over seeds (None with one seed)

# Section ids in page order, with their headings and the short name in the navigation bar.
TITLES = {
    "reading": "What the numbers show",
    "models": "The contenders",
    "curves": "Learning curves",
    "results": "Results",
    "backtest": "Backtest against classical forecasts",
    "frames": "Input, prediction and truth",
    "length": "Exact match against the source's length",
    "attention": "Where attention looks",
    "horizon": "Memory horizon",
    "gradients": "Gradient flow through time",
    "gates": "Inside the gates",
    "run": "How this was run",
}
NAV = {
    "reading": "Summary", "models": "Models", "curves": "Learning", "results": "Results",
    "backtest": "Backtest", "frames": "Frames", "length": "Length", "attention": "Attention",
    "horizon": "Memory", "gradients": "Gradients", "gates": "Gates", "run": "Settings",
}

# A short explanation under each section heading.
SECTION_TEXT = {
    "reading": "Generated from the measurements below.",
    "models": "Every model has about the same number of parameters and was trained on the same "
    "data in the same order from the same seeds.",
    "curves": "How the validation metrics moved while each model trained. The x axis counts "
    "training sequences, the same for every model.",
    "results": "The finished models on the held-out test set, with what they cost to train.",
    "backtest": "Each network forecasts from every rolling origin of the test split, the way "
    "forecasters are judged, beside the classical forecasts on the same origins.",
    "length": "Each point is the share of test sentences of that source length (in bins of 10 "
    "characters) that a model translates exactly, decoding greedily. Without attention the "
    "whole source must pass through one fixed-size state, so long sources suffer.",
    "attention": "For a short and a long test source: each row is one output token, each "
    "column one source character, and the colour is the weight the decoder gave that character "
    "when it emitted that token (each row sums to 1).",
    "horizon": "Each point is the test accuracy when what decides the answer sits exactly this "
    "far before it. A model that cannot carry it across the gap falls to chance: it can only "
    "guess among the possible answers.",
    "gradients": "How much of the training signal reaches a step k steps before the loss: the "
    "norm of \u2202L/\u2202h at that step, divided by its norm at the loss. A line that falls "
    "steeply means the model cannot learn from what lies that far back.",
    "gates": "One test passage, token by token: each gate's activation averaged over the "
    "layer's units (the value after reading the token), and one single unit, picked as the "
    "note under each model says. Hover over a token for the exact value.",
    "run": "",
}

CSS = """
:root { --ink: #1f2328; --muted: #5f6670; --line: #e3e6ea; --bg: #ffffff; --soft: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 16px/1.55 -apple-system, "Segoe UI", system-ui, "DejaVu Sans", Roboto,
  "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1000px; margin: 0 auto; padding: 0 28px; }
header { padding-top: 36px; padding-bottom: 8px; border-bottom: 1px solid var(--line); }
h1 { font-size: 30px; line-height: 1.2; margin: 0 0 8px; letter-spacing: -0.01em; }
.intro { color: var(--muted); margin: 0 0 14px; max-width: 780px; }
nav { display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 14px; padding-bottom: 6px; }
nav a { color: var(--muted); text-decoration: none; }
nav a:hover { color: var(--ink); text-decoration: underline; }
section { padding: 26px 0 10px; border-bottom: 1px solid var(--line); }
h2 { font-size: 21px; margin: 0 0 6px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
.lead { color: var(--muted); margin: 0 0 14px; max-width: 800px; }
ul.reading { margin: 0; padding-left: 20px; font-size: 17px; }
ul.reading li { margin: 6px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr));
  gap: 18px; }
.card { border: 1px solid var(--line); border-top: 4px solid #444; border-radius: 6px;
  padding: 4px 16px 14px; background: #fff; }
.card h3 { margin-top: 10px; }
.card .explain { font-size: 14.5px; margin: 4px 0 6px; }
.card .meta { font-size: 13px; color: var(--muted); margin: 0 0 8px; }
img.diagram { width: 100%; height: auto; max-height: 420px; object-fit: contain; }
figure { margin: 0; }
img.chart { width: 100%; height: auto; display: block; }
img.attention { max-width: 100%; height: auto; display: block; }
figcaption, .caption { font-size: 13px; color: var(--muted); margin-top: 6px; }
table { border-collapse: collapse; font-size: 14px; }
.scroll { overflow-x: auto; }
table.results { width: 100%; }
table.results th, table.results td { padding: 7px 8px; border-bottom: 1px solid var(--line);
  text-align: left; white-space: nowrap; }
table.results thead th { font-weight: 600; color: var(--muted); font-size: 12.5px;
  text-transform: uppercase; letter-spacing: 0.03em; border-bottom: 2px solid var(--line); }
table.results tbody tr:nth-child(even) { background: var(--soft); }
th.num, td.num { text-align: right !important; font-variant-numeric: tabular-nums; }
.sd { color: var(--muted); font-size: 12.5px; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  margin-right: 8px; vertical-align: 0; }
table.run th { text-align: left; font-weight: 500; color: var(--muted); padding: 4px 20px 4px 0;
  vertical-align: top; white-space: nowrap; }
table.run td { padding: 4px 0; font-variant-numeric: tabular-nums; }
ul.notes { color: var(--muted); font-size: 14px; }
.keys { margin: 0 0 6px; }
footer { color: var(--muted); font-size: 13px; padding-top: 18px; padding-bottom: 40px; }
"""


@dataclass
class ModelCard:
    """A model as the report introduces it."""

    label: str  # e.g. "LSTM (peephole)"
    family: str  # mlp | rnn | lstm | gru | layers (a layer list)
    parameters: int
    summary: str  # the model's describe()
    diagram_svg: str | None = None  # rnnlab.viz.diagrams.svg_text(config)


@dataclass
class ResultRow:
    """One model's line of the results table; every value a mean (and sd) over seeds."""

    label: str
    metrics: dict[str, Stat]  # test metrics by name
    parameters: int
    train_seconds: Stat
    tokens_per_second: Stat
    sequences: Stat  # training sequences seen
    stopped: str = ""  # why training stopped: steps, time, ...


@dataclass
class BacktestRow:
    """A network's (mean and sd over seeds) or a baseline's backtest metrics."""

    label: str
    metrics: dict[str, Stat]  # mase, rmse, mae, smape
    baseline: bool = False


@dataclass
class AttentionPanel:
    """One attention map of a test source, as the report shows it."""

    label: str  # the model
    source: str
    output: str  # the model's greedy translation
    truth: str
    svg: str  # rnnlab.viz.attention.attention_figure as SVG text


@dataclass
class GatePanel:
    """Heatmap rows over one passage for one model."""

    title: str  # e.g. "LSTM"
    tokens: list[str]
    rows: list[HeatRow]
    words: bool = True  # word tokens (spaced) or characters
    note: str = ""  # a sentence under the heatmap


@dataclass
class ReportData:
    """Everything a report shows; sections without data are left out."""

    title: str
    intro: str  # one or two sentences under the title
    colors: dict[str, str]  # model label -> colour, the same in every chart
    models: list[ModelCard] = field(default_factory=list)
    reading: list[str] = field(default_factory=list)  # plain-language sentences
    curves: dict[str, dict[str, Series]] = field(default_factory=dict)  # panel -> label -> line
    curves_xlabel: str = "training sequences"
    chance: float | None = None
    metric_names: list[str] = field(default_factory=list)  # results-table columns, in order
    results: list[ResultRow] = field(default_factory=list)
    backtest: list[BacktestRow] = field(default_factory=list)  # forecast tasks: nets, baselines
    backtest_caption: str = ""
    filmstrip_svg: str = ""  # video: rnnlab.viz.filmstrip of a test clip, as SVG text
    filmstrip_caption: str = ""
    length: dict[str, Series] | None = None  # seq2seq: label -> exact match vs source length
    attention: list[AttentionPanel] = field(default_factory=list)
    seeds: int = 1
    horizon: dict[str, Series] | None = None  # label -> accuracy vs gap
    horizon_window: int | None = None  # the window MLP's k, marked on the chart
    horizon_xlabel: str = "gap: words between the cue and the answer"
    gradients: dict[str, dict[str, Series]] | None = None  # moment -> label -> norm vs distance
    gates: list[GatePanel] = field(default_factory=list)
    run_info: list[tuple[str, str]] = field(default_factory=list)  # (setting, value)
    notes: list[str] = field(default_factory=list)  # caveats, shown in the run section


# -- small HTML helpers --------------------------------------------------------------------------


def esc(text: object) -> str:
    """Escaped text (quotes too, so it is safe in attributes)."""
    return html.escape(str(text), quote=True)


def data_uri(content: str | bytes, mime: str) -> str:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def image(content: str | bytes, alt: str, mime: str = "image/svg+xml", css: str = "") -> str:
    """An ``<img>`` holding ``content`` (SVG text or PNG bytes) as a data URI."""
    cls = f' class="{esc(css)}"' if css else ""
    return f'<img{cls} src="{data_uri(content, mime)}" alt="{esc(alt)}">'


def _format(value: float | None, name: str) -> str:
    if value is None or value != value:  # NaN
        return "\u2013"
    if "accuracy" in name or name in ("solved", "exact_match"):
        return f"{100 * value:.1f}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.1f}"


def _stat(stat: Stat, name: str = "") -> str:
    mean, sd = stat
    text = _format(mean, name)
    if sd is not None:
        text += f' <span class="sd">\u00b1 {_format(sd, name).rstrip("%")}</span>'
    return text


def _swatch(color: str) -> str:
    return f'<span class="swatch" style="background:{esc(color)}"></span>'


def _section(sid: str, title: str, body: str, lead: str | None = None) -> str:
    lead = SECTION_TEXT.get(sid, "") if lead is None else lead
    lead_html = f'<p class="lead">{esc(lead)}</p>' if lead else ""
    return f'<section id="{sid}"><h2>{esc(title)}</h2>{lead_html}{body}</section>'


# -- sections ------------------------------------------------------------------------------------


def _reading(data: ReportData) -> str:
    items = "".join(f"<li>{esc(s)}</li>" for s in data.reading)
    return _section("reading", TITLES["reading"], f"<ul class=reading>{items}</ul>")


def _card_text(name: str) -> str:
    """What the family ``name`` is, in plain words (its record's card text; never a claim about
    the results); nothing for a name no family has."""
    found = find_family(name)
    return found.card_text if found is not None else ""


def _models(data: ReportData) -> str:
    cards = []
    for card in data.models:
        color = data.colors.get(card.label, "#444")
        diagram = (
            image(card.diagram_svg, f"diagram of the {card.label}", css="diagram")
            if card.diagram_svg else ""
        )
        cards.append(
            f'<article class="card" style="border-top-color:{esc(color)}">'
            f"<h3>{_swatch(color)}{esc(card.label)}</h3>"
            f'<p class="explain">{esc(_card_text(card.family))}</p>'
            f'<p class="meta">{esc(card.summary)}</p>{diagram}</article>'
        )
    return _section("models", TITLES["models"], f'<div class="cards">{"".join(cards)}</div>')


def _results(data: ReportData) -> str:
    stops = {r.stopped for r in data.results}
    stop_column = len(stops) > 1
    heads = "".join(f'<th class="num">{esc(n.replace("_", " "))}</th>'
                    for n in data.metric_names)
    head = (f"<tr><th>model</th>{heads}<th class=num>parameters</th>"
            "<th class=num>training time</th><th class=num>tokens/s</th>"
            "<th class=num>sequences seen</th>" + ("<th>stopped by</th>" if stop_column else "")
            + "</tr>")
    rows = []
    for r in data.results:
        cells = "".join(f'<td class="num">{_stat(r.metrics.get(n, (None, None)), n)}</td>'
                        for n in data.metric_names)
        stopped = f"<td>{esc(r.stopped)}</td>" if stop_column else ""
        rows.append(
            f"<tr><td>{_swatch(data.colors.get(r.label, '#444'))}{esc(r.label)}</td>{cells}"
            f'<td class="num">{r.parameters:,}</td>'
            f'<td class="num">{_stat(r.train_seconds)} s</td>'
            f'<td class="num">{_stat(r.tokens_per_second)}</td>'
            f'<td class="num">{_stat(r.sequences)}</td>{stopped}</tr>'
        )
    table = (f'<div class="scroll"><table class="results"><thead>{head}</thead>'
             f'<tbody>{"".join(rows)}</tbody></table></div>')
    caption = "Test-set metrics"
    if data.seeds > 1:
        caption += f", mean \u00b1 sd over {data.seeds} seeds"
    caption += "; training time includes the validation runs."
    if not stop_column and stops and "" not in stops:
        caption += f" Every model stopped at its {next(iter(stops))}."
    return _section("results", TITLES["results"], table + f'<p class="caption">{esc(caption)}</p>')


def _backtest(data: ReportData) -> str:
    names = list(data.backtest[0].metrics)
    shown = {"mase": "MASE", "rmse": "RMSE", "mae": "MAE", "smape": "sMAPE"}
    heads = "".join(f'<th class="num">{esc(shown.get(n, n))}</th>' for n in names)
    rows = []
    for r in data.backtest:
        mark = "" if r.baseline else _swatch(data.colors.get(r.label, "#444"))
        kind = "baseline" if r.baseline else "network"
        cells = "".join(f'<td class="num">{_stat(r.metrics[n])}</td>' for n in names)
        rows.append(f"<tr><td>{mark}{esc(r.label)}</td><td>{kind}</td>{cells}</tr>")
    table = (f'<div class="scroll"><table class="results"><thead><tr><th>forecast</th>'
             f"<th>kind</th>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
    caption = f'<p class="caption">{esc(data.backtest_caption)}</p>'
    return _section("backtest", TITLES["backtest"], table + caption)


def _attention(data: ReportData) -> str:
    parts = []
    for p in data.attention:
        verdict = "right" if p.output == p.truth else f"the answer is \u201c{p.truth}\u201d"
        caption = (f"{p.label} on \u201c{p.source}\u201d: it writes \u201c{p.output}\u201d "
                   f"({verdict}).")
        parts.append(_figure(image(p.svg, f"attention map of the {p.label}", css="attention"),
                             caption))
    return _section("attention", TITLES["attention"], "".join(parts))


def _figure(fig_html: str, caption: str) -> str:
    return f'<figure>{fig_html}<figcaption>{esc(caption)}</figcaption></figure>'


def _gates(data: ReportData) -> str:
    keys = heatmap.scale_key("gate", "gates:") + heatmap.scale_key("signed", "values:")
    parts = [f'<p class="keys">{keys}</p>']
    for panel in data.gates:
        rows = heatmap.heatmap_rows(panel.tokens, panel.rows, words=panel.words,
                                    wrap=not panel.words)
        note = f'<p class="caption">{esc(panel.note)}</p>' if panel.note else ""
        color = data.colors.get(panel.title, "#444")
        parts.append(f'<h3>{_swatch(color)}{esc(panel.title)}</h3>{rows}{note}')
    return _section("gates", TITLES["gates"], "".join(parts))


def _run(data: ReportData) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in data.run_info)
    notes = "".join(f"<li>{esc(n)}</li>" for n in data.notes)
    notes_html = f'<ul class="notes">{notes}</ul>' if notes else ""
    return _section("run", TITLES["run"], f'<table class="run">{rows}</table>{notes_html}')


# -- the whole report ------------------------------------------------------------------------------


def draw_figures(data: ReportData) -> dict[str, str]:
    """The charts of ``data`` as ``<img>`` tags by section id (the slow part of rendering)."""
    out: dict[str, str] = {}
    figures: dict[str, tuple[Figure, str]] = {}
    if data.curves:
        figures["curves"] = (charts.curves_chart(data.curves, data.colors,
                                                 xlabel=data.curves_xlabel, chance=data.chance),
                             "learning curves")
    if data.horizon:
        figures["horizon"] = (charts.horizon_chart(data.horizon, data.colors, chance=data.chance,
                                                   window=data.horizon_window,
                                                   xlabel=data.horizon_xlabel),
                              "accuracy against the gap")
    if data.length:
        figures["length"] = (charts.horizon_chart(data.length, data.colors,
                                                  xlabel="source length (characters)",
                                                  ylabel="test exact-match accuracy"),
                             "exact match against the source length")
    if data.gradients:
        figures["gradients"] = (charts.gradient_chart(data.gradients, data.colors),
                                "gradient norm against the distance from the loss")
    for key, (fig, alt) in figures.items():
        out[key] = image(charts.to_svg(fig), alt, css="chart")
    return out


def render_report(data: ReportData, figures: dict[str, str] | None = None) -> str:
    """The report as one HTML document (``figures`` from :func:`draw_figures`, or drawn now)."""
    figures = draw_figures(data) if figures is None else figures
    captions = {
        "curves": "Validation metrics during training.",
        "horizon": "Test accuracy at each fixed gap.",
        "length": "Greedy decoding on the test split; bins with fewer than 5 sentences left out.",
        "gradients": "Mean over one batch of test sequences, log scale.",
    }
    sections: dict[str, str] = {}
    if data.reading:
        sections["reading"] = _reading(data)
    if data.models:
        sections["models"] = _models(data)
    if data.results:
        sections["results"] = _results(data)
    if data.backtest:
        sections["backtest"] = _backtest(data)
    for sid in ("curves", "length", "horizon", "gradients"):
        if sid in figures:
            sections[sid] = _section(sid, TITLES[sid], _figure(figures[sid], captions[sid]))
    if data.attention:
        sections["attention"] = _attention(data)
    if data.filmstrip_svg:
        strip = _figure(image(data.filmstrip_svg, "filmstrip of a test clip", css="chart"),
                        data.filmstrip_caption)
        sections["frames"] = _section("frames", TITLES["frames"], strip, lead="")
    if data.gates:
        sections["gates"] = _gates(data)
    if data.run_info or data.notes:
        sections["run"] = _run(data)
    order = [sid for sid in TITLES if sid in sections]
    nav = "".join(f'<a href="#{sid}">{esc(NAV[sid])}</a>' for sid in order)
    main = "".join(sections[sid] for sid in order)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"{HTML_MARK}"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(data.title)}</title><style>{CSS}{heatmap.CSS}</style></head><body>"
        f'<header><h1>{esc(data.title)}</h1><p class="intro">{esc(data.intro)}</p>'
        f"<nav>{nav}</nav></header><main>{main}</main>"
        "<footer>Made by rnnlab. This file is self-contained: it needs no network.</footer>"
        "</body></html>\n"
    )


def write_report(path: str | Path, text: str, *, overwrite: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically (:func:`rnnlab.utils.atomic.atomic_write`): on any
    failure whatever was at ``path`` before is left untouched. An existing file is replaced
    only if rnnlab wrote it, or with ``overwrite``; never a folder, FIFO or device."""
    return atomic_write(check_output(path, overwrite=overwrite), text)
