"""Error types: everything a user can cause derives from ``ConvnetsError``.

The CLI prints these as one line and exits with code 2; anything else is a bug
and keeps its traceback.
"""


class ConvnetsError(Exception):
    """A problem the user can fix (bad name, bad file, bad option)."""


class DataError(ConvnetsError):
    """A data file or folder is missing, corrupt or not what was expected."""


class ConfigError(ConvnetsError):
    """An option, model name or shape is not valid."""


class InputTooSmall(ConfigError):
    """An input (or a feature map inside the network) is smaller than a layer's window or stride.

    ``layer`` is the layer that could not take it, so the model can name its path."""

    def __init__(self, message: str, layer: object = None):
        super().__init__(message)
        self.layer = layer


class InputError(ConvnetsError):
    """A tensor given to a model is not what it was built for (rank, channels, size, dtype)."""
