"""Each regulariser lives in a handful of source files (issue 9's target: at most 6).

A file counts for a regulariser when its code — docstrings and comments left out — names it
(``zoneout``) or reaches one of its mask fields (``masks.zoneout_h``, ``Masks(zoneout_h=...)``,
the field itself in ``rnnlab/bptt/masks.py``). The loops of the families reach the in-loop masks
only through the hooks of :class:`rnnlab.bptt.masks.Masks` (``feed``, ``mix``, ``unmix_``), so
none of them should count.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
import torch

from rnnlab.bptt.masks import NO_MASKS, Masks
from rnnlab.nn.regularisers import REGULARISERS

ROOT = Path(__file__).resolve().parents[1] / "rnnlab"
MASKS_FILE = ROOT / "bptt" / "masks.py"
# the Masks fields each regulariser's mask is held in
FIELDS = {"recurrent_dropout": ("h",), "weight_drop": ("weight_hh",), "zoneout": ("zoneout_h",),
          "zoneout_cell": ("zoneout_c",), "learn_init": ()}
LIMIT = 6


def code_of(path: Path) -> str:
    """The file's text with its comments and docstrings blanked (positions kept)."""
    lines = path.read_text().splitlines(keepends=True)
    blank: list[tuple[tuple[int, int], tuple[int, int]]] = []
    previous = tokenize.NEWLINE
    for tok in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
        docstring = tok.type == tokenize.STRING and previous in (
            tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING)
        if tok.type == tokenize.COMMENT or docstring:
            blank.append((tok.start, tok.end))
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            previous = tok.type
    for (r0, c0), (r1, c1) in reversed(blank):
        if r0 == r1:
            line = lines[r0 - 1]
            lines[r0 - 1] = line[:c0] + " " * (c1 - c0) + line[c1:]
        else:
            lines[r0 - 1] = lines[r0 - 1][:c0] + "\n"
            for r in range(r0, r1 - 1):
                lines[r] = "\n"
            lines[r1 - 1] = " " * c1 + lines[r1 - 1][c1:]
    return "".join(lines)


def touches(path: Path, code: str, name: str) -> bool:
    """Whether ``code`` (of ``path``) names the regulariser ``name`` or reaches its fields."""
    if re.search(rf"\b{name}\b", code):
        return True
    for field in FIELDS[name]:
        if re.search(rf"\bmasks\.{field}\b|\bMasks\([^)]*\b{field}=", code, re.S):
            return True
        if path == MASKS_FILE and re.search(rf"\bself\.{field}\b|^\s+{field}:", code, re.M):
            return True
    return False


def files_of(name: str) -> list[str]:
    return sorted(str(p.relative_to(ROOT.parent)) for p in ROOT.rglob("*.py")
                  if touches(p, code_of(p), name))


def test_the_table_and_the_fields_agree() -> None:
    assert {row.name for row in REGULARISERS} == set(FIELDS)


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_a_regulariser_lives_in_at_most_six_files(name: str) -> None:
    files = files_of(name)
    assert "rnnlab/nn/regularisers.py" in files  # the counter sees the table's own row
    assert len(files) <= LIMIT, files


@pytest.mark.parametrize("name", ["recurrent_dropout", "zoneout", "zoneout_cell"])
def test_the_family_loops_reach_in_loop_masks_through_the_hooks(name: str) -> None:
    loops = {f"rnnlab/bptt/{f}.py" for f in ("elman", "gru", "lstm", "reference", "_common")}
    assert not loops & set(files_of(name)), "name no regulariser in a loop: use Masks' hooks"


def test_the_counter_sees_a_mask_field_reached_in_code(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('def f(masks):\n    """masks.zoneout_h in a docstring."""\n'
                      "    # masks.h in a comment\n    return masks.zoneout_h\n")
    code = code_of(sample)
    assert touches(sample, code, "zoneout") and not touches(sample, code, "recurrent_dropout")


def test_the_hooks_do_nothing_without_masks_and_mix_with_them() -> None:
    new, prev = torch.randn(2, 3), torch.randn(2, 3)
    out = torch.empty(2, 3)
    assert NO_MASKS.mix("h", 0, new, prev) is new
    assert torch.equal(NO_MASKS.mix("h", 0, new, prev, out=out), new)
    assert NO_MASKS.feed(prev) is prev and NO_MASKS.unmix_("c", 0, new) is None
    d = torch.tensor([[[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]])  # (T=1, B=2, 3)
    masks = Masks(zoneout_h=d, h=torch.full((2, 3), 2.0))
    assert torch.equal(masks.mix("h", 0, new, prev), torch.where(d[0] > 0, prev, new))
    ds = torch.ones(2, 3)
    keep = masks.unmix_("h", 0, ds)
    assert torch.equal(keep, d[0]) and torch.equal(ds, 1 - d[0])
    assert torch.equal(masks.feed(prev), 2 * prev) and masks.in_loop and not NO_MASKS.in_loop
