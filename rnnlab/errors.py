"""The one exception type for problems with what the user gave us.

The command line prints its message as one line and exits with code 2; library callers catch
it as a ``ValueError``.
"""


class UserError(ValueError):
    """Bad input: a wrong shape, an empty or binary file, an unknown name, a corrupt checkpoint."""
