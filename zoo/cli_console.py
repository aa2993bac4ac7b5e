"""The rich Console of the listing commands (`zoo models`, `zoo datasets`)."""
from __future__ import annotations

from rich.console import Console


class ListingConsole(Console):
    def on_broken_pipe(self) -> None:
        """The reader left (`zoo models | head`). rich would exit with status 1 here; the
        error goes on to zoo.cli.main instead, which ends like a shell tool killed by
        SIGPIPE, whichever write met the closed pipe."""
        self.quiet = True
        raise BrokenPipeError
