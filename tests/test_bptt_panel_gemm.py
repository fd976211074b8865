"""rnnlab's own AVX-512 and AVX2 products of the recurrent weights (rnnlab/bptt/panel_gemm.h).

One product on its own against float64 torch.mm, over the shapes its tiling has edges at:
rows around the kernel's tiles of 8 (AVX-512) and 6 (AVX2) (and one row, B = 1), columns
around its panels of 32 and 16 (the last panel's masked columns), both weight layouts (W^T as
in W_hh h, W as in dA W_hh), beta 0 (which must not read C: it starts as NaN) and beta 1; then
whole layers of every core with the panels against MKL's packed products
(``RNNLAB_NO_PANEL_GEMM=1``). Each runs with the CPU's own kernel and, on an AVX-512 CPU, with
the AVX2 one too (``RNNLAB_PANELS_AVX2=1``). Skipped where the CPU has neither (the panels are
not used there).
"""

from __future__ import annotations

import pytest
import torch

import rnnlab.nn as rn
from rnnlab.bptt import cpp_core

CAPABILITY = torch.backends.cpu.get_cpu_capability()
KERNELS = ["own"] + (["avx2"] if CAPABILITY == "AVX512" else [])


@pytest.fixture(params=KERNELS)
def kernel(request, monkeypatch) -> str:
    """The CPU's own panels, and on AVX-512 CPUs also the AVX2 ones."""
    if request.param == "avx2":
        monkeypatch.setenv("RNNLAB_PANELS_AVX2", "1")
    return request.param


def lstm_core():
    module = cpp_core.core("lstm")
    if module is None:
        pytest.skip("the C++ core is off or was not built")
    if module.recurrent_gemm() != "panels":
        pytest.skip("this CPU has neither AVX-512 nor AVX2: the panels are not used")
    return module


@pytest.mark.parametrize("core", ["lstm", "gru", "elman"])
def test_the_panels_run_wherever_the_cpu_has_avx512_or_avx2(monkeypatch, core: str) -> None:
    """Not a skip in disguise: on an AVX-512 or AVX2 CPU every core must pick the panels of
    its width, and the switches must change them."""
    module = cpp_core.core(core)
    if module is None:
        pytest.skip("the C++ core is off or was not built")
    width = {"AVX512": 32, "AVX2": 16}.get(CAPABILITY, 0)
    assert (module.recurrent_gemm() == "panels") == bool(width)
    assert module.panel_width() == width
    monkeypatch.setenv("RNNLAB_PANELS_AVX2", "1")
    assert module.panel_width() == (16 if width else 0)
    monkeypatch.setenv("RNNLAB_NO_PANEL_GEMM", "1")
    assert module.recurrent_gemm() == ("mkl-packed" if module.packed_gemm() else "plain")
    assert module.panel_width() == 0


@pytest.mark.parametrize("rows", [1, 3, 5, 6, 7, 8, 9, 12, 13, 16, 17, 33])
@pytest.mark.parametrize("n,k", [(5, 3), (12, 9), (32, 16), (48, 7), (100, 37), (512, 128)])
@pytest.mark.parametrize("transposed", [True, False], ids=["w_t", "w"])
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_one_product_against_float64(kernel: str, rows: int, n: int, k: int, transposed: bool,
                                     beta: float) -> None:
    module = lstm_core()
    g = torch.Generator().manual_seed(rows * 1000 + n + k)
    w = torch.randn((n, k) if transposed else (k, n), generator=g)
    a = torch.randn(rows, k, generator=g)
    c0 = torch.randn(rows, n, generator=g)
    c = c0.clone() if beta else torch.full((rows, n), float("nan"))
    module.recurrent_mm(a, w, c, transposed, beta, rows)
    op_w = w.double().t() if transposed else w.double()
    expected = a.double() @ op_w + beta * c0.double()
    torch.testing.assert_close(c.double(), expected, rtol=1e-5, atol=1e-5 * k ** 0.5)


def test_rows_other_than_the_packed_ones(kernel: str) -> None:
    """A packed batch's later steps have fewer rows than the weight was packed for."""
    module = lstm_core()
    w, a = torch.randn(64, 40), torch.randn(5, 40)
    c = torch.zeros(5, 64)
    module.recurrent_mm(a, w, c, True, 0.0, 12)
    torch.testing.assert_close(c, a @ w.t(), rtol=1e-5, atol=1e-5)


def test_a_large_product_split_across_threads(kernel: str) -> None:
    """One row outside a parallel region: the panels are shared out among the threads."""
    module = lstm_core()
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        w, a = torch.randn(2048, 512), torch.randn(1, 512)
        c = torch.full((1, 2048), float("nan"))
        module.recurrent_mm(a, w, c, True, 0.0, 1)
    finally:
        torch.set_num_threads(threads)
    torch.testing.assert_close(c.double(), a.double() @ w.double().t(), rtol=1e-5, atol=1e-4)


LAYERS = {
    "lstm": lambda: rn.LSTM(24, 40, backend="bptt"),
    "peephole projection": lambda: rn.LSTM(24, 40, peephole=True, proj_size=20),
    "layer norm": lambda: rn.LSTM(24, 40, layer_norm=True),
    "gru": lambda: rn.GRU(24, 40),
    "gru reset before": lambda: rn.GRU(24, 40, reset_after=False),
    "elman": lambda: rn.RNN(24, 40),
}


@pytest.mark.parametrize("batch", [1, 11, 32])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_agree_with_mkls_products(kernel: str, monkeypatch, name: str, batch: int
                                         ) -> None:
    lstm_core()
    torch.manual_seed(0)
    layer = LAYERS[name]()
    x = torch.randn(9, batch, 24, requires_grad=True)

    def run() -> list[torch.Tensor]:
        out, state = layer(x)
        states = state if isinstance(state, tuple) else (state,)
        loss = out.sin().sum() + sum(s.cos().sum() for s in states)
        return [out, *states, *torch.autograd.grad(loss, [x, *layer.parameters()])]

    panels = run()
    assert layer.last_kernel == "bptt-cpp"
    monkeypatch.setenv("RNNLAB_NO_PANEL_GEMM", "1")
    mkl = run()
    for i, (p, m) in enumerate(zip(panels, mkl, strict=True)):
        torch.testing.assert_close(p, m, rtol=1e-4, atol=1e-5, msg=f"output/gradient {i}")


def test_shapes_that_do_not_fit_are_refused() -> None:
    module = lstm_core()
    with pytest.raises(RuntimeError, match="do not fit"):
        module.recurrent_mm(torch.randn(3, 5), torch.randn(8, 6), torch.zeros(3, 8), True, 0.0, 3)
