"""User-facing errors: one line that names the thing that is wrong and the fix."""


class ZooError(Exception):
    """Base class for errors the CLI prints as one line (no traceback)."""


class ConfigError(ZooError):
    """A bad model name, override, profile or matrix."""
