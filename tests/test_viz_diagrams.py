"""Diagrams: what each variant draws (by element id), legibility, file output, parameter counts."""

from __future__ import annotations

import itertools
import re
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from rnnlab.models.config import ModelConfig
from rnnlab.viz.diagrams import (
    VIEWS,
    count_parameters_by_block,
    count_recurrent_parameters,
    draw,
    figure,
    svg_text,
)
from rnnlab.viz.diagrams.feedforward import MAX_UNITS
from rnnlab.viz.diagrams.gallery import ENTRIES, command

LSTM_VARIANTS = {
    "plain": {},
    "1997": {"forget_gate": False},
    "peephole": {"peephole": True},
    "coupled": {"coupled": True},
    "coupled-peephole": {"coupled": True, "peephole": True},
    "1997-peephole": {"forget_gate": False, "peephole": True},
    "layer-norm": {"layer_norm": True},
    "projection": {"proj_size": 16},
    "everything": {"peephole": True, "layer_norm": True, "proj_size": 16},
}


def lstm(**options: object) -> ModelConfig:
    return ModelConfig(family="lstm", hidden_size=32, **options)  # type: ignore[arg-type]


def gids(fig: Figure) -> list[str]:
    """The ids of every element of a diagram (what an SVG file writes as id=)."""
    return [a.get_gid() for a in fig.axes[0].get_children() if a.get_gid()]


def ids(config: ModelConfig, **options: object) -> list[str]:
    """The element ids of the diagram of ``config``."""
    return gids(figure(config, **options))


def semantic(all_ids: list[str], prefix: str) -> set[str]:
    """Ids starting with ``prefix``, without the arrow heads."""
    return {i for i in all_ids if i.startswith(prefix) and not i.endswith("-head")}


# --------------------------------------------------------------------------- LSTM content


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, set()),
        ({"peephole": True}, {"peephole-i", "peephole-f", "peephole-o"}),
        ({"peephole": True, "coupled": True}, {"peephole-f", "peephole-o"}),
        ({"peephole": True, "forget_gate": False}, {"peephole-i", "peephole-o"}),
        ({"coupled": True}, set()),
    ],
)
def test_peephole_edges_are_exactly_the_enabled_ones(options: dict, expected: set) -> None:
    assert semantic(ids(lstm(**options)), "peephole-") == expected


def test_coupled_cell_has_one_minus_f_and_no_input_gate() -> None:
    coupled = ids(lstm(coupled=True))
    assert "gate-i" not in coupled
    assert {"gate-f", "coupled-one-minus-f", "edge-f-coupled", "edge-coupled-mul"} <= set(coupled)
    plain = ids(lstm())
    assert "gate-i" in plain
    assert "coupled-one-minus-f" not in plain


def test_1997_cell_has_no_forget_gate_on_the_belt() -> None:
    old = set(ids(lstm(forget_gate=False)))
    assert "gate-f" not in old
    assert "belt-forget-mul" not in old
    assert {"gate-i", "gate-g", "gate-o", "belt-add", "cell-state"} <= old
    assert {"gate-f", "belt-forget-mul"} <= set(ids(lstm()))


@pytest.mark.parametrize("name", list(LSTM_VARIANTS))
def test_layer_norm_and_projection_boxes_only_when_enabled(name: str) -> None:
    options = LSTM_VARIANTS[name]
    found = set(ids(lstm(**options)))
    ln = {"ln-ih", "ln-hh", "ln-c"}
    assert (ln <= found) == bool(options.get("layer_norm"))
    assert not (ln & found) or options.get("layer_norm")
    assert ("projection" in found) == bool(options.get("proj_size"))


def test_coupled_without_forget_gate_is_rejected() -> None:
    with pytest.raises(ValueError, match="forget_gate"):
        figure(lstm(coupled=True, forget_gate=False))


# --------------------------------------------------------------------------- GRU, RNN, stack


def test_gru_reset_is_applied_after_or_before_the_recurrent_product() -> None:
    after = set(ids(ModelConfig(family="gru", reset_after=True)))
    before = set(ids(ModelConfig(family="gru", reset_after=False)))
    after_path = {"edge-bus-whn", "edge-whn-reset", "edge-reset-n"}
    before_path = {"edge-bus-reset", "edge-reset-whn", "edge-whn-n"}
    assert after_path <= after and not before_path & after
    assert before_path <= before and not after_path & before
    for found in (after, before):
        assert {"gate-r", "gate-z", "gate-n", "update-one-minus-z", "matmul-hn"} <= found


def _patch_centre(fig: Figure, gid: str) -> tuple[float, float]:
    (patch,) = [p for p in fig.axes[0].patches if p.get_gid() == gid]
    box = patch.get_window_extent()
    return ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)


def test_gru_reset_geometry() -> None:
    """reset_after: W_hn sits below the reset multiply; before: between it and n."""
    after = figure(ModelConfig(family="gru", reset_after=True), view="cell")
    before = figure(ModelConfig(family="gru", reset_after=False), view="cell")
    mat, mul = _patch_centre(after, "matmul-hn"), _patch_centre(after, "reset-mul")
    assert mat[1] < mul[1] and abs(mat[0] - mul[0]) < 1
    mat, mul = _patch_centre(before, "matmul-hn"), _patch_centre(before, "reset-mul")
    n = _patch_centre(before, "gate-n")
    assert mul[0] < mat[0] < n[0] and abs(mat[1] - mul[1]) < 1


@pytest.mark.parametrize("family", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("steps", [1, 3, 6])
def test_unrolled_view_has_exactly_steps_copies(family: str, steps: int) -> None:
    found = ids(ModelConfig(family=family), view="unrolled", steps=steps)
    copies = [i for i in found if re.fullmatch(r"cell-copy-\d+", i)]
    assert sorted(copies) == sorted(f"cell-copy-{k}" for k in range(steps))
    assert "rolled-cell" in found and "rolled-loop" in found
    c_lanes = [i for i in found if re.fullmatch(r"state-c-\d+", i)]
    assert len(c_lanes) == (steps if family == "lstm" else 0)


@pytest.mark.parametrize(
    ("family", "layers", "bidirectional"),
    [("lstm", 1, True), ("lstm", 3, False), ("gru", 2, True), ("rnn", 4, True), ("lstm", 2, False)],
)
def test_stack_has_layers_times_directions_cell_boxes(
    family: str, layers: int, bidirectional: bool
) -> None:
    config = ModelConfig(family=family, num_layers=layers, bidirectional=bidirectional,
                         dense_before=(8,), dense_after=(4, 3))  # fmt: skip
    found = ids(config, view="stack", input_size=5, output_size=2)
    cells = {i for i in found if re.fullmatch(r"layer-\d+-(forward|backward)", i)}
    lanes = ["forward", "backward"] if bidirectional else ["forward"]
    assert cells == {f"layer-{n}-{lane}" for n in range(1, layers + 1) for lane in lanes}
    concats = [i for i in found if re.fullmatch(r"concat-\d+", i)]
    assert len(concats) == (layers if bidirectional else 0)
    dense = [i for i in found if re.fullmatch(r"block-dense-(before|after)-\d+", i)]
    assert len(dense) == 3
    assert "block-output" in found


def test_stack_labels_show_exact_parameter_counts() -> None:
    config = lstm(num_layers=2, bidirectional=True)
    fig = figure(config, view="stack", input_size=10, output_size=3)
    notes = {t.get_gid(): t.get_text() for t in fig.axes[0].texts}
    torch_lstm = torch.nn.LSTM(10, 32, num_layers=2, bidirectional=True)
    first = sum(p.numel() for n, p in torch_lstm.named_parameters() if "_l0" in n)
    assert f"{first:,} params" in notes["note-layer-1"]
    assert "in 10 · H 32" in notes["note-layer-1"]


# --------------------------------------------------------------------------- feed-forward


@pytest.mark.parametrize(("hidden", "layers"), [(5, 1), (8, 2), (300, 3), (64, 0)])
def test_feedforward_layers_cap_units_and_label_real_sizes(hidden: int, layers: int) -> None:
    config = ModelConfig(family="mlp", hidden_size=hidden, num_layers=layers, window=3)
    fig = figure(config, input_size=4, output_size=2)
    gids = [p.get_gid() for p in fig.axes[0].patches] + [
        t.get_gid() for t in fig.axes[0].texts
    ]  # fmt: skip
    for n in range(1, layers + 1):
        units = [g for g in gids if g.startswith(f"hidden{n}-unit-")]
        assert len(units) == min(hidden, MAX_UNITS - 1 if hidden > MAX_UNITS else hidden)
        assert any(g.startswith(f"hidden{n}-ellipsis") for g in gids) == (hidden > MAX_UNITS)
        caption = next(t for t in fig.axes[0].texts if t.get_gid() == f"caption-hidden{n}")
        assert f"{hidden} tanh" in caption.get_text()
    assert not any(g.startswith(f"hidden{layers + 1}-") for g in gids)
    assert len([g for g in gids if g.startswith("output-unit-")]) == 2


def test_window_language_model_shows_tokens_embeddings_and_softmax() -> None:
    config = ModelConfig(family="mlp", embedding_dim=16, window=4, hidden_size=20)
    fig = figure(config, input_size=100, output_size=100)
    texts = {t.get_gid(): t.get_text() for t in fig.axes[0].texts}
    tokens = [g for g in (p.get_gid() for p in fig.axes[0].patches) if re.fullmatch(r"token-\d", g)]
    assert len(tokens) == 4
    assert "softmax" in texts["caption-output"]
    assert "4 × 16 = 64" in texts["caption-input-window"]
    assert "1,600 params" in texts["caption-tokens"]  # the embedding table V x e


def test_long_window_is_elided() -> None:
    config = ModelConfig(family="mlp", embedding_dim=8, window=12, hidden_size=8)
    found = ids(config)
    assert "window-ellipsis-1" in found
    assert len([i for i in found if re.fullmatch(r"token-\d+", i)]) == 5


# --------------------------------------------------------------------------- views, files


def test_auto_view_per_family() -> None:
    single = set(ids(lstm()))
    assert "gate-f" in single and not any(i.startswith("layer-1-") for i in single)
    stacked = set(ids(lstm(num_layers=2)))
    assert {"gate-f", "layer-1-forward", "layer-2-forward"} <= stacked
    rnn = set(ids(ModelConfig(family="rnn")))
    assert {"rolled-cell", "cell-copy-3"} <= rnn
    mlp = set(ids(ModelConfig(family="mlp", num_layers=1)))
    assert "hidden1-unit-0" in mlp and "rolled-cell" not in mlp


def test_unknown_view_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown diagram view") as info:
        figure(lstm(), view="sideways")
    for view in VIEWS:
        assert view in str(info.value)


@pytest.mark.parametrize(
    ("family", "view"), [("mlp", "cell"), ("mlp", "stack"), ("gru", "feedforward")]
)
def test_view_that_does_not_fit_the_family_is_an_error(family: str, view: str) -> None:
    with pytest.raises(ValueError, match="view"):
        figure(ModelConfig(family=family), view=view)


def test_png_output_is_a_valid_png_of_reasonable_size(tmp_path: Path) -> None:
    path = draw(lstm(peephole=True), tmp_path / "cell.png", equations=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert 800 <= width <= 4000 and 400 <= height <= 3000
    assert 20_000 < len(data) < 2_000_000


def test_svg_output_and_dict_config(tmp_path: Path) -> None:
    path = draw(lstm().to_dict(), tmp_path / "sub" / "cell.svg")
    text = path.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert 'id="gate-f"' in text and 'id="cell-state"' in text


def test_unknown_file_type_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.svg"):
        draw(lstm(), tmp_path / "cell.jpg")


def test_svg_keeps_every_id_once_and_is_reproducible() -> None:
    config = lstm(num_layers=2, bidirectional=True, peephole=True)
    first = svg_text(config, equations=True)
    found = re.findall(r'<g id="([^"]+)"', first)
    assert len(found) == len(set(found))
    ours = {i for i in found if not re.fullmatch(r"(figure|axes|patch)_\d+", i)}
    assert ours == set(ids(config, equations=True))
    assert {"peephole-i", "gate-f", "layer-2-backward", "equation-0"} <= set(found)
    assert svg_text(config, equations=True) == first


def test_figure_has_white_background() -> None:
    fig = figure(ModelConfig(family="gru"))
    assert isinstance(fig, Figure)
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)


# --------------------------------------------------------------------------- equations


def equation_texts(config: ModelConfig) -> str:
    fig = figure(config, equations=True)
    return "\n".join(
        t.get_text() for t in fig.axes[0].texts if (t.get_gid() or "").startswith("equation-")
    )


def test_equations_match_the_enabled_variant() -> None:
    plain = equation_texts(lstm())
    assert "p_" not in plain and "LN" not in plain and "W_{hr}" not in plain
    peep = equation_texts(lstm(peephole=True))
    assert all(f"p_{g} \\odot" in peep for g in "ifo")
    assert "i_t = 1 - f_t" in equation_texts(lstm(coupled=True))
    old = equation_texts(lstm(forget_gate=False))
    assert "f_t" not in old and "c_t = c_{t-1} + i_t" in old
    assert "\\mathrm{LN}" in equation_texts(lstm(layer_norm=True))
    assert "W_{hr}" in equation_texts(lstm(proj_size=8))
    after = equation_texts(ModelConfig(family="gru"))
    before = equation_texts(ModelConfig(family="gru", reset_after=False))
    assert "r_t \\odot (W_{hn}h_{t-1}" in after
    assert "W_{hn}(r_t \\odot h_{t-1})" in before
    assert "relu" in equation_texts(ModelConfig(family="rnn", nonlinearity="relu"))
    assert "v = E\\,w_t$" in equation_texts(ModelConfig(family="mlp", window=1, embedding_dim=3))


# --------------------------------------------------------------------------- legibility

LEGIBILITY_CASES = [
    *[(f"lstm-{name}", lstm(**opts), {"equations": True}) for name, opts in LSTM_VARIANTS.items()],
    ("gru-after", ModelConfig(family="gru"), {"equations": True}),
    ("gru-before", ModelConfig(family="gru", reset_after=False), {"equations": True}),
    ("rnn-auto", ModelConfig(family="rnn"), {"steps": 5}),
    ("rnn-cell", ModelConfig(family="rnn"), {"view": "cell", "equations": True}),
    ("lstm-unrolled", lstm(), {"view": "unrolled", "steps": 3}),
    ("mlp", ModelConfig(family="mlp", num_layers=2, hidden_size=50), {"input_size": 2}),
    ("mlp-lm", ModelConfig(family="mlp", embedding_dim=32, window=8),
     {"input_size": 5000, "output_size": 5000, "equations": True}),
    ("stack", lstm(num_layers=2, bidirectional=True, proj_size=8, dense_before=(16,),
                   dense_after=(8,)), {"input_size": 3, "output_size": 2}),
    ("stack-unknown-sizes", ModelConfig(family="gru", num_layers=3), {}),
]  # fmt: skip


def _labels(fig: Figure) -> list[tuple[str, Bbox]]:
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.canvas.draw()
    return [
        (t.get_gid() or t.get_text(), t.get_window_extent(renderer))
        for t in fig.axes[0].texts
        if t.get_text().strip()
    ]


def _overlap(a: Bbox, b: Bbox, tol: float = 1.0) -> bool:
    return a.x0 + tol < b.x1 and b.x0 + tol < a.x1 and a.y0 + tol < b.y1 and b.y0 + tol < a.y1


def _segment_hits_box(p: tuple[float, float], q: tuple[float, float], box: Bbox) -> bool:
    """Whether the segment pq passes through the interior of box (shrunk by 1.5 px)."""
    x0, y0, x1, y1 = box.x0 + 1.5, box.y0 + 1.5, box.x1 - 1.5, box.y1 - 1.5
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for d, lo, hi, start in ((dx, x0, x1, p[0]), (dy, y0, y1, p[1])):
        if d == 0:
            if not lo < start < hi:
                return False
            continue
        a, b = (lo - start) / d, (hi - start) / d
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
    return t0 < t1


def _lines(fig: Figure) -> list[tuple[str, list[tuple[float, float]]]]:
    out = []
    for artist in fig.axes[0].get_children():
        if isinstance(artist, Line2D):
            points = artist.get_transform().transform(artist.get_xydata())
            out.append((artist.get_gid(), [tuple(p) for p in points]))
        elif isinstance(artist, LineCollection):
            to_pixels = artist.get_transform().transform
            for seg in artist.get_segments():
                out.append((artist.get_gid(), [tuple(p) for p in to_pixels(seg)]))
    return out


INNER = ("-label", "-sublabel")  # texts written inside the shape whose id they extend


def _owner(gid: str) -> str | None:
    for suffix in INNER:
        if gid.endswith(suffix):
            return gid.removesuffix(suffix)
    return None


@pytest.mark.parametrize("case", LEGIBILITY_CASES, ids=[c[0] for c in LEGIBILITY_CASES])
def test_labels_are_legible(case: tuple[str, ModelConfig, dict]) -> None:
    """No two labels intersect; inner labels fit their shapes; no line or shape covers a
    free label (text boxes measured by the renderer, in pixels)."""
    name, config, options = case
    fig = figure(config, **options)
    labels = _labels(fig)
    assert len(labels) >= 5
    clashes = [(a, b) for (a, ba), (b, bb) in itertools.combinations(labels, 2) if _overlap(ba, bb)]
    assert not clashes, f"{name}: overlapping labels {clashes}"

    patches = {p.get_gid(): p.get_window_extent() for p in fig.axes[0].patches}
    free = {}
    for gid, box in labels:
        owner = _owner(gid)
        if owner is None:
            free[gid] = box
        elif owner in patches:
            shape = patches[owner]
            assert shape.x0 <= box.x0 and box.x1 <= shape.x1, f"{name}: {gid} wider than its box"
            assert shape.y0 <= box.y0 and box.y1 <= shape.y1, f"{name}: {gid} taller than its box"
    for gid, points in _lines(fig):
        for p, q in itertools.pairwise(points):
            crossed = [g for g, b in free.items() if _segment_hits_box(p, q, b)]
            assert not crossed, f"{name}: line {gid} crosses label(s) {crossed}"
    for gid, shape in patches.items():
        if gid == "cell-frame" or gid.startswith("input-group-"):
            continue  # background panels
        hits = [g for g, b in free.items() if _overlap(b, shape, 1.5)]
        assert not hits, f"{name}: {hits} overlap {gid}"


# --------------------------------------------------------------------------- parameter counts


@pytest.mark.parametrize(
    ("kind", "I", "H", "layers", "bidirectional", "proj"),
    [
        ("LSTM", 7, 11, 1, False, 0),
        ("LSTM", 3, 20, 3, True, 0),
        ("LSTM", 5, 16, 2, True, 6),
        ("LSTM", 4, 9, 1, False, 4),
        ("GRU", 7, 11, 1, False, 0),
        ("GRU", 3, 20, 3, True, 0),
        ("RNN", 7, 11, 1, False, 0),
        ("RNN", 2, 13, 2, True, 0),
    ],
)
def test_recurrent_parameter_count_matches_torch(
    kind: str, I: int, H: int, layers: int, bidirectional: bool, proj: int
) -> None:
    extra = {"proj_size": proj} if proj else {}
    module = getattr(torch.nn, kind)(I, H, num_layers=layers, bidirectional=bidirectional, **extra)
    expected = sum(p.numel() for p in module.parameters())
    config = ModelConfig(family=kind.lower(), hidden_size=H, num_layers=layers,
                         bidirectional=bidirectional, proj_size=proj)  # fmt: skip
    assert count_recurrent_parameters(config, I) == expected


@pytest.mark.parametrize(
    ("options", "extra"),
    [
        # G = 3 gate blocks: one (H, I + H) block and its two bias vectors fewer
        ({"forget_gate": False}, lambda I, H: -H * (I + H) - 2 * H),
        ({"coupled": True}, lambda I, H: -H * (I + H) - 2 * H),
        ({"peephole": True}, lambda I, H: 3 * H),  # one vector per sigmoid gate (i, f, o)
        ({"peephole": True, "coupled": True}, lambda I, H: -H * (I + H) - 2 * H + 2 * H),
        ({"layer_norm": True}, lambda I, H: 2 * 4 * H + 2 * H),  # gains; LN(c) gain and shift
    ],
)
def test_lstm_variant_parameter_counts(options: dict, extra: Callable[[int, int], int]) -> None:
    """Against the parameter shapes of docs/cells.md (torch has no such variants)."""
    I, H = 6, 10
    plain = 4 * H * (I + H) + 2 * 4 * H
    config = ModelConfig(family="lstm", hidden_size=H, **options)
    assert count_recurrent_parameters(config, I) == plain + extra(I, H)


def test_parameter_counts_need_input_size_only_when_nothing_else_fixes_it() -> None:
    with pytest.raises(ValueError, match="input_size"):
        count_recurrent_parameters(lstm())
    embedded = lstm(embedding_dim=12)
    assert count_recurrent_parameters(embedded) == count_recurrent_parameters(lstm(), 12)
    dense = lstm(dense_before=(9,))
    assert count_recurrent_parameters(dense, 1000) == count_recurrent_parameters(lstm(), 9)


def test_model_blocks_sum_to_a_torch_model() -> None:
    config = ModelConfig(family="gru", hidden_size=12, num_layers=2, bidirectional=True,
                         embedding_dim=5, dense_after=(7,))  # fmt: skip
    reference = [
        torch.nn.Embedding(50, 5),
        torch.nn.GRU(5, 12, num_layers=2, bidirectional=True),
        torch.nn.Linear(24, 7),
        torch.nn.Linear(7, 3),
    ]
    expected = sum(p.numel() for m in reference for p in m.parameters())
    blocks = count_parameters_by_block(config, 50, 3)
    assert sum(b.params or 0 for b in blocks) == expected
    mlp = ModelConfig(family="mlp", hidden_size=9, num_layers=2, window=3, embedding_dim=4)
    layers = [torch.nn.Embedding(20, 4), torch.nn.Linear(12, 9), torch.nn.Linear(9, 9),
              torch.nn.Linear(9, 20)]  # fmt: skip
    expected = sum(p.numel() for m in layers for p in m.parameters())
    assert sum(b.params or 0 for b in count_parameters_by_block(mlp, 20, 20)) == expected


def test_counts_that_need_a_missing_size_are_formulas() -> None:
    blocks = {b.name: b for b in count_parameters_by_block(lstm(dense_before=(8,)))}
    assert blocks["dense before 1"].count_text == "8·I + 8"
    assert blocks["output"].count_text == "33·O"
    assert blocks["layer 1"].params == count_recurrent_parameters(lstm(), 8)
    mlp = {b.name: b for b in count_parameters_by_block(ModelConfig(family="mlp", window=3,
                                                                    hidden_size=10))}
    assert mlp["hidden 1"].count_text == "30·I + 10"  # W_1 is (10, 3·I)
    lm = {b.name: b for b in count_parameters_by_block(ModelConfig(family="mlp", window=3,
                                                                   embedding_dim=4))}
    assert lm["embedding"].count_text == "4·V"
    assert lm["output"].count_text.endswith("·V")


# --------------------------------------------------------------------------- gallery


def test_gallery_covers_every_variant_and_prints_its_commands() -> None:
    names = {e.name for e in ENTRIES}
    assert {"lstm", "lstm_1997", "lstm_peephole", "lstm_coupled", "lstm_layer_norm",
            "lstm_projection", "gru", "gru_reset_before", "rnn_unrolled", "mlp",
            "mlp_window_lm", "stack_bidirectional"} <= names  # fmt: skip
    entry = next(e for e in ENTRIES if e.name == "lstm_peephole")
    assert command(entry, "x.svg").startswith("draw(ModelConfig(family='lstm'")
    assert "peephole=True" in command(entry, "x.svg")


def test_text_artists_have_ids() -> None:
    fig = figure(lstm(num_layers=2), equations=True)
    texts = [t for t in fig.axes[0].texts if isinstance(t, Text)]
    assert texts and all(t.get_gid() for t in texts)


def test_rnnlab_viz_draw_is_the_diagram_entry_point(tmp_path) -> None:
    import rnnlab.viz

    path = rnnlab.viz.draw(ModelConfig(family="gru"), tmp_path / "gru.svg")
    assert path.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
    assert [p.name for p in tmp_path.iterdir()] == ["gru.svg"]  # no temporary file left
