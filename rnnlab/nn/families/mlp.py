"""The window MLP family: a feed-forward net over the last ``window`` steps
(:class:`rnnlab.models.WindowMLP`, Bengio et al. 2003). It has no recurrent layer."""

from __future__ import annotations

from rnnlab.nn.elman import NONLINEARITIES
from rnnlab.nn.families.elman import NONLINEARITY
from rnnlab.nn.families.record import Family, Option

MLP_FAMILY = Family(
    name="mlp",
    display_name="window MLP",
    card_text="A feed-forward network passes its input one way through hidden layers and keeps "
    "nothing from one step to the next. This window MLP (Bengio et al. 2003) sees only the "
    "last few inputs, embedded and concatenated; anything further back does not exist for it.",
    # the window is always named (plain=None matches no window), first: "window 5, relu"
    options=(Option("window", plain=None, text="window {}", to_layer=False),
             Option("nonlinearity", NONLINEARITY.plain, NONLINEARITY.text, to_layer=False)),
    words={name: ("nonlinearity", name) for name in NONLINEARITIES},
    drawing="rnnlab.viz.diagrams.drawings:MLP",
)
