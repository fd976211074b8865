"""A plain-language reading of a comparison, written from the measured numbers.

:func:`read_outcomes` turns one :class:`Outcome` per model into a few sentences ("the window MLP
is at chance once the cue is 5 or more words back; the LSTM holds 99% at every tested gap, up
to 30"). Every claim is computed from the numbers it is given — nothing is hard-coded about
which architecture wins — so feeding other numbers gives other sentences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

HOLD = 0.99  # "holds" a gap: at least this accuracy
SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076"
                            "\u2077\u2078\u2079")


@dataclass
class Outcome:
    """What the reading needs to know about one model (means over seeds)."""

    label: str  # "LSTM"
    family: str  # mlp | rnn | lstm | gru | layers (a layer list)
    parameters: int
    score: float  # the test value of the main metric
    metric: str = "accuracy"  # its name
    higher_is_better: bool = True
    horizon: dict[int, float] = field(default_factory=dict)  # gap -> test accuracy
    horizon_margin: dict[int, float] = field(default_factory=dict)  # gap -> ~2 standard errors
    window: int | None = None  # the window MLP's k
    reached: float | None = None  # training sequences until the validation target was met
    sequences: float = 0.0  # training sequences seen in all
    tokens_per_second: float = 0.0
    gradient_distance: int | None = None  # the distance the two gradient values are taken at
    gradient_init: float | None = None  # ||dL/dh|| there relative to the loss step, untrained
    gradient_trained: float | None = None  # the same after training


def percent(x: float) -> str:
    """0.9934 -> "99.3%"; whole percentages lose the decimal (1.0 -> "100%")."""
    p = 100 * x
    return f"{p:.0f}%" if abs(p - round(p)) < 0.05 else f"{p:.1f}%"


def value(x: float, metric: str) -> str:
    """A metric value as people read it: accuracies in percent, others to 3 digits."""
    return percent(x) if "accuracy" in metric or metric == "exact_match" else f"{x:.3g}"


def small(x: float) -> str:
    """A positive ratio in words people can compare: 0.42, 0.031, 4 × 10⁻⁶."""
    if x == 0:
        return "0 (underflow)"
    if not math.isfinite(x) or x < 0:
        return "0"
    if x >= 10:
        return big(x)
    if x >= 0.01:
        return f"{x:.2g}"
    exponent = math.floor(math.log10(x))
    mantissa = x / 10**exponent
    head = "" if round(mantissa) == 1 else f"{mantissa:.0f} \u00d7 "
    return f"{head}10{str(exponent).translate(SUPERSCRIPT)}"


def big(x: float) -> str:
    """A large ratio: 37 -> "37", 52000 -> "50,000", 3e9 -> "3 × 10⁹"."""
    if x < 1e4:
        return f"{x:,.0f}"
    if x < 1e6:
        return f"{float(f'{x:.1g}'):,.0f}"
    exponent = math.floor(math.log10(x))
    mantissa = round(x / 10**exponent)
    head = "" if mantissa == 1 else f"{mantissa} \u00d7 "
    return f"{head}10{str(exponent).translate(SUPERSCRIPT)}"


def join(items: Sequence[str]) -> str:
    """["a", "b", "c"] -> "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def the(label: str) -> str:
    return f"the {label}"


def cap(text: str) -> str:
    """The first letter upper-case, the rest untouched ("the LSTM" -> "The LSTM")."""
    return text[:1].upper() + text[1:]


def _ranking(outcomes: Sequence[Outcome], chance: float | None) -> str:
    o0 = outcomes[0]
    ranked = sorted(outcomes, key=lambda o: o.score, reverse=o0.higher_is_better)
    parts = [f"{the(o.label)} {value(o.score, o.metric)}" for o in ranked]
    name = o0.metric.replace("_", " ")
    chance_text = f" (chance is {percent(chance)})" if chance is not None else ""
    low, high = min(o.parameters for o in outcomes), max(o.parameters for o in outcomes)
    size = (f"all with {low:,} to {high:,} parameters" if high > 1.05 * low
            else f"all with about {round((low + high) / 2, -2):,.0f} parameters")
    return cap(f"test {name}: {join(parts)}{chance_text}, {size}.")


def _horizon(o: Outcome, chance: float | None, unit: str = "words") -> str | None:
    """One sentence on how far back ``o`` can reach, from accuracy against the gap."""
    if not o.horizon:
        return None
    gaps = sorted(o.horizon)
    acc = [o.horizon[g] for g in gaps]
    lo_gap, hi_gap = gaps[0], gaps[-1]
    name = the(o.label)
    if min(acc) >= HOLD:
        return f"{cap(name)} holds {percent(HOLD)} or better at every tested gap, " \
               f"up to {hi_gap} {unit}."
    at_chance_from = _chance_from(o, gaps, chance) if chance is not None else None
    held = [g for i, g in enumerate(gaps) if all(a >= HOLD for a in acc[: i + 1])]
    if at_chance_from == lo_gap:
        return f"{cap(name)} is at chance at every tested gap " \
               f"({percent(min(acc))} to {percent(max(acc))})."
    if at_chance_from is not None:
        best = max((g for g in gaps if g < at_chance_from), key=lambda g: o.horizon[g])
        sentence = (f"{cap(name)} is at chance once the cue is {at_chance_from} or more "
                    f"{unit} back (closer, it gets up to {percent(o.horizon[best])}, at "
                    f"{best} {unit})")
        if o.window is not None and at_chance_from == o.window:
            sentence += f": exactly where the cue leaves its {o.window}-{unit[:-1]} window"
        return sentence + "."
    if held:
        return f"{cap(name)} holds {percent(HOLD)} up to gap {held[-1]}, then falls " \
               f"to {percent(acc[-1])} at gap {hi_gap}."
    if max(acc) - min(acc) < 0.15:
        where = "above chance, but " if chance is not None and min(acc) > chance else ""
        return (f"{cap(name)} gets {percent(min(acc))} to {percent(max(acc))} at every tested "
                f"gap, from {lo_gap} to {hi_gap} {unit}: {where}it never holds "
                f"{percent(HOLD)}.")
    return f"{cap(name)} goes from {percent(acc[0])} at gap {lo_gap} to " \
           f"{percent(acc[-1])} at gap {hi_gap}."


def _chance_from(o: Outcome, gaps: list[int], chance: float) -> int | None:
    """The smallest gap from which ``o`` is at chance: the mean accuracy over that gap and all
    longer ones is within the pooled sampling margin of chance, and no single one of them is
    clearly above it (two margins). Judging the tail as a whole keeps one noisy gap from
    moving the answer."""
    for i, g in enumerate(gaps):
        tail = gaps[i:]
        margins = [max(o.horizon_margin.get(h, 0.0), 0.03) for h in tail]
        pooled = math.sqrt(sum(m * m for m in margins)) / len(tail)
        mean = sum(o.horizon[h] for h in tail) / len(tail)
        if mean <= chance + max(pooled, 0.03) and all(
                o.horizon[h] <= chance + 2 * m for h, m in zip(tail, margins, strict=True)):
            return g
    return None


def _learning_speed(outcomes: Sequence[Outcome], target: str) -> str | None:
    done = sorted((o for o in outcomes if o.reached is not None), key=lambda o: o.reached or 0)
    missed = [o for o in outcomes if o.reached is None]
    if not done:
        return None
    first, rest = done[0], done[1:]
    text = (f"{cap(the(first.label))} reached {target} on the validation set after "
            f"{first.reached:,.0f} training sequences")
    if rest:
        text += ", " + join([f"{the(o.label)} after {o.reached:,.0f}" for o in rest])
    if missed:
        most = max(o.sequences for o in missed)
        text += f"; {join([the(o.label) for o in missed])} did not within {most:,.0f}"
    return text + "."


def _gradients(outcomes: Sequence[Outcome]) -> str | None:
    measured = [o for o in outcomes if o.gradient_trained is not None and o.gradient_distance]
    if not measured:
        return None
    d = measured[0].gradient_distance
    parts = []
    for i, o in enumerate(sorted(measured, key=lambda o: o.gradient_trained or 0.0)):
        trained = small(o.gradient_trained or 0.0)
        if o.gradient_init is None:
            parts.append(f"{the(o.label)} {trained}")
        elif i == 0:
            parts.append(f"{the(o.label)} {small(o.gradient_init)} untrained and {trained} "
                         "trained")
        else:
            parts.append(f"{the(o.label)} {small(o.gradient_init)} and {trained}")
    text = (f"What is left of the gradient {d} steps before the loss, as a fraction of its "
            f"size at the loss: {'; '.join(parts)}.")
    if len(measured) > 1:
        worst = min(measured, key=lambda o: o.gradient_trained or 0.0)
        best = max(measured, key=lambda o: o.gradient_trained or 0.0)
        floor = worst.gradient_trained or 0.0
        ratio = (best.gradient_trained or 0.0) / floor if floor > 0 else math.inf
        if floor <= 0:
            text += f" After training, nothing measurable reaches that far back in " \
                    f"{the(worst.label)}."
        elif ratio > 10:
            text += (f" After training, {the(best.label)} passes back about {big(ratio)} times "
                     f"more than {the(worst.label)}.")
    return text


def _speed(outcomes: Sequence[Outcome]) -> str | None:
    timed = [o for o in outcomes if o.tokens_per_second > 0]
    if len(timed) < 2:
        return None
    fast = max(timed, key=lambda o: o.tokens_per_second)
    slow = min(timed, key=lambda o: o.tokens_per_second)
    return (f"Per training token, {the(fast.label)} was fastest ({fast.tokens_per_second:,.0f} "
            f"tokens/s) and {the(slow.label)} slowest ({slow.tokens_per_second:,.0f} tokens/s) "
            "on this machine.")


def read_outcomes(outcomes: Sequence[Outcome], *, chance: float | None = None,
                  target: str = "", unit: str = "words") -> list[str]:
    """A few plain sentences about ``outcomes``: the test ranking, each model's memory
    horizon (when measured; gaps counted in ``unit``), how fast each met the validation
    ``target`` (e.g. "99% accuracy"), the gradient that reaches far steps, and speed."""
    if not outcomes:
        return []
    sentences = [_ranking(outcomes, chance)]
    sentences += [s for o in outcomes if (s := _horizon(o, chance, unit))]
    for maybe in (_learning_speed(outcomes, target) if target else None,
                  _gradients(outcomes), _speed(outcomes)):
        if maybe:
            sentences.append(maybe)
    return sentences
