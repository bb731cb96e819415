"""The two ways the app keeps things on disk: a whole file replaced at once, and a SQLite database.

Both used to be written out by hand in each store (drafts, accounts, covers, the storage secret; jobs and the
audit log), each copy a little different. One copy here means a fix (an fsync, a mode, a pragma) reaches all.
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from pathlib import Path

_UNSAFE = re.compile(r'[^A-Za-z0-9_.-]')


def safe_filename(name: str, *, max_length: int = 120) -> str:
    """`name` (an owner id) as one harmless file or folder name: other characters become '_', at most
    `max_length` of them, and never empty, '.', '..' or hidden (a leading '.' becomes '_'), so a crafted name
    cannot climb out of its folder nor pass for one of atomic_write's temporary files."""
    cleaned = _UNSAFE.sub('_', name)[:max_length] or '_'
    return '_' + cleaned[1:] if cleaned.startswith('.') else cleaned


def atomic_write(path: Path | str, data: bytes | str, *, mode: int | None = None, durable: bool = False,
                 exclusive: bool = False) -> None:
    """Write `data` to `path` so a reader sees the old file or the new one, never half of either.

    The bytes go to a temporary file in the same folder (a rename is only atomic within one file system) that
    is then renamed over `path`. `str` data is written as UTF-8.

    mode: the new file's permissions, set before any byte is written, so a secret is never readable by others,
        not even for a moment. None leaves mkstemp's own 0600: people's drafts and photos are private too.
    durable: fsync the file before the rename, so a power loss cannot leave an empty file under the real name.
        Costs 4-25 ms per call on this disk (bench fig2): meant for rare writes that must survive (accounts,
        secrets), not for a draft saved on every change from the event loop.
    exclusive: never replace an existing file; raise FileExistsError instead. For a value that two processes
        starting at once must agree on (the first one published wins): the other reads the winner's file, and
        it is complete, because it only appears under its name once written.
    """
    target = Path(path)
    content = data.encode('utf-8') if isinstance(data, str) else data
    # The temporary name starts with '.' and ends in '.tmp', so no store's glob (drafts: '*.json') picks it up,
    # and a leftover after a crash says which file it was meant to become.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f'.{target.name}.', suffix='.tmp')
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(content)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if exclusive:
            # link() fails if the name exists, where replace() would silently overwrite the other's value.
            os.link(tmp, target)
            os.unlink(tmp)
        else:
            os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def open_sqlite(path: Path | str) -> sqlite3.Connection:
    """A connection for one of the app's own databases (jobs, audit log), its folder created if needed.

    Shared by the threads of one store, each store guarding it with its own lock (hence check_same_thread=False),
    in autocommit mode (isolation_level=None): every statement is its own transaction, which is what the stores'
    single-statement writes want, and no write is left waiting for a commit nobody calls.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
    try:
        # WAL: readers (the pages) do not wait for a writer (a finishing job), nor it for them.
        db.execute('PRAGMA journal_mode=WAL')
        # Writes happen on the event loop; with the default FULL every commit waits for an fsync (4-25 ms on
        # this disk, measured by bench fig2), which stalls every page. NORMAL keeps WAL commits safe when the
        # process dies; only an OS crash or power loss can drop the last few.
        db.execute('PRAGMA synchronous=NORMAL')
    except BaseException:
        db.close()
        raise
    return db
