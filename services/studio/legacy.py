"""Jobs and covers kept by an older version in the data directory (jobs.sqlite3, covers/<owner>/<id>.<suffix>),
copied once into the shared tables at start-up, so an upgrade loses no finished cover still within its validity.

Each source is renamed to `<name>.imported` afterwards and never read again; rows already in the tables win.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from services.core.db import Database
from services.core.db.schema import images
from services.core.db.schema import jobs as table
from services.studio.image_store import SUFFIXES
from services.studio.job import INTERRUPTED_MESSAGE

log = logging.getLogger(__name__)

JOBS_FILE = 'jobs.sqlite3'
COVERS_DIR = 'covers'


def import_jobs_and_covers(db: Database, data_dir: Path) -> tuple[int, int]:
    """(jobs, images) copied. Blocking: start-up only."""
    data_dir = Path(data_dir)
    jobs = _read_jobs(data_dir / JOBS_FILE)
    files = _read_covers(data_dir / COVERS_DIR)
    if jobs is None and files is None:
        return 0, 0
    counts = db.run_sync(_copy, jobs or [], files or [])
    for source in (data_dir / JOBS_FILE, data_dir / f'{JOBS_FILE}-wal', data_dir / f'{JOBS_FILE}-shm',
                   data_dir / COVERS_DIR):
        if source.exists():
            source.replace(source.with_name(source.name + '.imported'))
    log.info('imported %d jobs and %d images from %s into the database', *counts, data_dir)
    return counts


def _read_jobs(path: Path) -> list[dict[str, Any]] | None:
    if not path.is_file():
        return None
    source = sqlite3.connect(path)
    try:
        rows = source.execute('SELECT data FROM jobs').fetchall()
    except sqlite3.Error:
        log.warning('%s is not a job file this version can read; left as it is', path)
        return None
    finally:
        source.close()
    jobs = []
    for (text,) in rows:
        try:
            data = json.loads(text)
            if data.get('status') == 'running':  # whatever ran it stopped long ago
                data.update(status='interrupted', finished_at=time.time(), error_message=INTERRUPTED_MESSAGE)
            jobs.append(data)
        except (ValueError, AttributeError):
            log.warning('skipping an unreadable job record in %s', path)
    return jobs


def _read_covers(folder: Path) -> list[tuple[str, str, str, bytes, float]] | None:
    if not folder.is_dir():
        return None
    found = []
    for owner in folder.iterdir():
        for item in owner.iterdir() if owner.is_dir() else ():
            suffix = next((s for s in sorted(SUFFIXES, key=len, reverse=True) if item.name.endswith(s)), None)
            if suffix is None or not item.is_file():
                continue
            found.append((owner.name, item.name[:-len(suffix)], suffix, item.read_bytes(), item.stat().st_mtime))
    return found


def _copy(connection: Connection, jobs: list[dict[str, Any]],
          files: list[tuple[str, str, str, bytes, float]]) -> tuple[int, int]:
    known = set(connection.execute(select(table.c.id)).scalars())
    copied_jobs = 0
    for data in jobs:
        if data.get('id') in known or not {'id', 'owner_id', 'kind', 'status', 'created_at'} <= set(data):
            continue
        connection.execute(insert(table).values(id=data['id'], owner_id=data['owner_id'], kind=data['kind'],
                                                status=data['status'], created_at=data['created_at'], data=data))
        copied_jobs += 1
    stored = set(connection.execute(select(images.c.owner_id, images.c.item_id, images.c.suffix)).tuples())
    copied_images = 0
    for owner_id, item_id, suffix, content, at in files:
        if (owner_id, item_id, suffix) not in stored:
            connection.execute(insert(images).values(owner_id=owner_id, item_id=item_id, suffix=suffix,
                                                     content=content, created_at=at))
            copied_images += 1
    return copied_jobs, copied_images
