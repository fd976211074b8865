"""The layers' and cells' errors are torch.nn's: the same exception type and, for the same
condition, the same message; and each is still a UserError, which the CLI prints as one line.

Every case is run on torch.nn and on rnnlab.nn side by side, so a change in either shows.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

import rnnlab.nn as rn
from rnnlab.errors import UserError

Case = tuple[str, Callable[[object], object]]


def zeros(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.zeros(*shape, dtype=dtype)


def cases() -> Iterator[Case]:
    """(name, make(lib)) for torch.nn or rnnlab.nn as ``lib``; each call must raise."""
    yield "bias=0", lambda L: L.LSTM(3, 4, bias=0)
    yield "batch_first='False'", lambda L: L.GRU(3, 4, batch_first="False")
    yield "input_size float", lambda L: L.RNN(3.0, 4)
    yield "input_size 0", lambda L: L.RNN(0, 4)
    yield "hidden_size str", lambda L: L.LSTM(3, "4")
    yield "hidden_size 0", lambda L: L.LSTM(3, 0)
    yield "num_layers 0", lambda L: L.GRU(3, 4, num_layers=0)
    yield "dropout 2", lambda L: L.LSTM(3, 4, dropout=2)
    yield "dropout True", lambda L: L.LSTM(3, 4, dropout=True)
    yield "proj_size -1", lambda L: L.LSTM(3, 4, proj_size=-1)
    yield "proj_size = hidden", lambda L: L.LSTM(3, 4, proj_size=4)
    for fam in ("RNN", "LSTM", "GRU"):
        lstm = fam == "LSTM"

        def state(*shape: int, lstm: bool = lstm, dtype: torch.dtype = torch.float32):
            return (zeros(*shape, dtype=dtype),) * 2 if lstm else zeros(*shape, dtype=dtype)

        yield f"{fam} 4-D input", lambda L, f=fam: getattr(L, f)(3, 4)(zeros(1, 2, 3, 3))
        yield f"{fam} input width", lambda L, f=fam: getattr(L, f)(3, 4)(zeros(5, 2, 7))
        yield f"{fam} input dtype", lambda L, f=fam: getattr(L, f)(3, 4)(
            zeros(5, 2, 3, dtype=torch.float64))
        yield f"{fam} no steps", lambda L, f=fam: getattr(L, f)(3, 4)(zeros(0, 2, 3))
        yield f"{fam} state batch", lambda L, f=fam, s=state: getattr(L, f)(3, 4)(
            zeros(5, 2, 3), s(1, 3, 4))
        yield f"{fam} 2-D state", lambda L, f=fam, s=state: getattr(L, f)(3, 4)(
            zeros(5, 2, 3), s(2, 4))
        yield f"{fam} 3-D state, unbatched", lambda L, f=fam, s=state: getattr(L, f)(3, 4)(
            zeros(5, 3), s(1, 1, 4))
        yield f"{fam} state dtype", lambda L, f=fam, s=state: getattr(L, f)(3, 4)(
            zeros(5, 2, 3), s(1, 2, 4, dtype=torch.float64))
        yield f"{fam} packed 3-D", lambda L, f=fam: getattr(L, f)(3, 4)(
            PackedSequence(zeros(3, 1, 3), torch.tensor([2, 1])))
    yield "LSTM cell state size", lambda L: L.LSTM(3, 4)(
        zeros(5, 2, 3), (zeros(1, 2, 4), zeros(1, 2, 5)))
    for fam in ("RNNCell", "LSTMCell", "GRUCell"):
        lstm = fam == "LSTMCell"

        def cell_state(*shape: int, lstm: bool = lstm, dtype: torch.dtype = torch.float32):
            return (zeros(*shape, dtype=dtype),) * 2 if lstm else zeros(*shape, dtype=dtype)

        yield f"{fam} 3-D input", lambda L, f=fam: getattr(L, f)(3, 4)(zeros(1, 2, 3))
        yield f"{fam} input width", lambda L, f=fam: getattr(L, f)(3, 4)(zeros(2, 5))
        yield f"{fam} input dtype", lambda L, f=fam: getattr(L, f)(3, 4)(
            zeros(2, 3, dtype=torch.float64))
        yield f"{fam} state batch", lambda L, f=fam, s=cell_state: getattr(L, f)(3, 4)(
            zeros(2, 3), s(3, 4))
        yield f"{fam} state width", lambda L, f=fam, s=cell_state: getattr(L, f)(3, 4)(
            zeros(2, 3), s(2, 5))
        yield f"{fam} 3-D state", lambda L, f=fam, s=cell_state: getattr(L, f)(3, 4)(
            zeros(2, 3), s(1, 2, 4))
        yield f"{fam} 1-D state, batched input", lambda L, f=fam, s=cell_state: getattr(L, f)(
            3, 4)(zeros(2, 3), s(4))
        yield f"{fam} state dtype", lambda L, f=fam, s=cell_state: getattr(L, f)(3, 4)(
            zeros(2, 3), s(2, 4, dtype=torch.float64))


CASES = dict(cases())
# Where torch's message is an accident of a kernel (a matmul of two dtypes, a broadcast), or
# says less than what went wrong, rnnlab says what is wrong; the type is still torch's.
OWN_MESSAGE = {
    *(f"{fam} state dtype" for fam in ("RNN", "LSTM", "GRU")),
    *(f"{fam} packed 3-D" for fam in ("RNN", "LSTM", "GRU")),
    *(f"{fam} {what}" for fam in ("RNNCell", "LSTMCell", "GRUCell")
      for what in ("input dtype", "state dtype", "1-D state, batched input")),
}


def raised(make: Callable[[object], object], lib: object) -> Exception:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            make(lib)
        except Exception as err:  # whatever it is: the test looks at its type
            return err
    raise AssertionError(f"{lib.__name__} raised nothing")


@pytest.mark.parametrize("name", list(CASES))
def test_same_exception_type_as_torch_and_still_a_user_error(name: str) -> None:
    theirs, ours = raised(CASES[name], nn), raised(CASES[name], rn)
    assert isinstance(ours, type(theirs)), (type(theirs), type(ours), str(ours))
    assert isinstance(ours, UserError)  # the CLI's one-line message


@pytest.mark.parametrize("name", [n for n in CASES if n not in OWN_MESSAGE])
def test_same_message_as_torch(name: str) -> None:
    theirs, ours = raised(CASES[name], nn), raised(CASES[name], rn)
    assert str(ours) == str(theirs)


def test_except_runtime_error_catches_a_shape_error() -> None:
    """The issue's case: code written for torch catches RuntimeError."""
    try:
        rn.LSTM(3, 4)(torch.zeros(5, 2, 7))
    except RuntimeError as err:
        assert "input_size" in str(err)
    else:  # pragma: no cover - the layer must raise
        raise AssertionError("no error")


def test_dropout_warning_is_torchs() -> None:
    with pytest.warns(UserWarning) as theirs:
        nn.LSTM(3, 4, dropout=0.5)
    with pytest.warns(UserWarning) as ours:
        rn.LSTM(3, 4, dropout=0.5)
    assert str(ours[0].message) == str(theirs[0].message)


@pytest.mark.parametrize("make", [
    lambda: rn.LSTM(3, 4, bidirectional="False"),
    lambda: rn.RNNCell(3, 4, bias=0),
    lambda: rn.LSTMCell(3, 0),
], ids=["bidirectional str", "cell bias int", "cell hidden 0"])
def test_stricter_than_torch_where_torch_accepts_a_wrong_value(make) -> None:
    """torch takes these silently (a truthy string, an int bias, a 0-wide cell); rnnlab refuses
    with torch's kind of error for the same kind of mistake."""
    with pytest.raises((TypeError, ValueError)):
        make()


def test_the_cli_still_prints_a_layer_error_as_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A torch-typed layer error (a RuntimeError) reaching the CLI is still one line, exit 2."""
    from rnnlab import cli

    def bad_layer_call(args: object) -> int:
        rn.LSTM(3, 4)(torch.zeros(5, 2, 7))
        return 0

    monkeypatch.setattr(cli, "cmd_tasks", bad_layer_call)
    code = cli.main(["tasks"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        "rnnlab tasks: error: input.size(-1) must be equal to input_size. Expected 3, got 7"
    ]
