"""Exceptions of the layers and cells that are what torch.nn raises, and still UserErrors.

torch.nn raises ``RuntimeError`` for a wrong input width or state shape and ``TypeError`` for
a constructor argument of the wrong type (``bias=0``); code written for torch catches those.
The command line turns every :class:`~rnnlab.errors.UserError` into a one-line message. The
two classes here are both at once, so ``except RuntimeError`` (torch habits),
``except UserError`` (the CLI) and ``except ValueError`` all catch them.
"""

from __future__ import annotations

from rnnlab.errors import UserError


class UserRuntimeError(UserError, RuntimeError):
    """A condition for which torch.nn raises RuntimeError: a wrong input width, state shape."""


class UserTypeError(UserError, TypeError):
    """A constructor argument of a type torch.nn refuses with TypeError (``bias=0``)."""
