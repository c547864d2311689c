"""What the `marketplace` commands share: files written whole or not at all, progress bars."""

from __future__ import annotations

import errno
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import click

#: Told the count done so far.
Progress = Callable[[int], None]


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A file written beside ``path`` that replaces it whole when the block ends, and is
    removed if the block fails: ``path`` is the old file or the whole new one."""
    if path.is_dir():  # found now, not after the export
        raise click.ClickException(f"cannot write {path}: {os.strerror(errno.EISDIR)}")
    try:
        file = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",  # noqa: SIM115 (closed below)
                                           suffix=".tmp", delete=False)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from None
    temporary: Path | None = Path(file.name)
    try:
        with file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(file.name, 0o666 & ~umask)  # as any new file, not a temporary file's 0600
        os.replace(file.name, path)
        temporary = None
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Progress]:
    """A progress bar on stderr, advanced to the count it is given."""
    with click.progressbar(length=total, label=label, show_pos=True, file=sys.stderr) as bar:
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            bar.update(count - done)
            done = count
        yield advance
