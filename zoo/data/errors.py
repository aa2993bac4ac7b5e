"""The one error type the data layer raises for anything a user can fix."""
from __future__ import annotations

from zoo.errors import ZooError


class DatasetError(ZooError):
    """A dataset cannot be obtained or read. The message is one line: what is wrong, where
    (file and line where there is one) and what to do about it."""
