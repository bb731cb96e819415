"""The sandbox's persistent state: SQLite for records, plain files for images, all under one directory.

A restart on the same directory keeps agents, reference images and covers, so a demo is not wiped.
Every query is scoped by API key: one key never sees another's data. Methods are synchronous and
thread-safe; the app calls them through asyncio.to_thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS ref_images (
    id TEXT PRIMARY KEY, api_key TEXT NOT NULL, file TEXT NOT NULL, faces TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS covers (
    id TEXT PRIMARY KEY, api_key TEXT NOT NULL, file TEXT NOT NULL, attrs TEXT NOT NULL,
    created_at REAL NOT NULL, expires_at REAL NOT NULL, used_by TEXT
);
CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY, api_key TEXT NOT NULL, user_id TEXT NOT NULL, name TEXT NOT NULL,
    cover_id TEXT NOT NULL, fields TEXT NOT NULL, profile TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS agents_by_key ON agents (api_key, created_at DESC);
"""


@dataclass(frozen=True)
class RefImageRow:
    id: str
    path: Path
    faces: list[tuple[int, int, int, int]]

    @property
    def face_path(self) -> Path:
        """The detected face, cropped and small, kept at upload so covers never re-decode the photo."""
        return self.path.with_name(f'{self.id}.face.png')


@dataclass(frozen=True)
class AgentRow:
    id: str
    user_id: str
    name: str
    cover_id: str
    fields: dict[str, Any]  # the attributes as sent (gender, age, ..., voiceId, language)
    profile: dict[str, Any]  # generated traits, reply style, opening line
    created_at: float


class CoverUnavailable(Exception):
    """Unknown, expired, already used, or another key's cover."""


class SandboxStore:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.refs_dir = self.data_dir / 'ref-images'
        self.covers_dir = self.data_dir / 'covers'
        for folder in (self.data_dir, self.refs_dir, self.covers_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.refs_dir.chmod(0o700)  # people's photos: readable by the service only
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.data_dir / 'sandbox.sqlite3', check_same_thread=False, isolation_level=None)
        self._db.execute('PRAGMA journal_mode=WAL')
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- reference images ------------------------------------------------------------------------------

    def add_ref_image(self, api_key: str, content: bytes, extension: str, faces: list[tuple[int, int, int, int]],
                      face_png: bytes | None = None) -> str:
        ref_id = str(uuid.uuid4())
        name = f'{ref_id}.{extension}'
        _write_atomic(self.refs_dir / name, content)
        if face_png is not None:
            _write_atomic(self.refs_dir / f'{ref_id}.face.png', face_png)
        with self._lock:
            self._db.execute('INSERT INTO ref_images VALUES (?, ?, ?, ?, ?)',
                             (ref_id, api_key, name, json.dumps(faces), time.time()))
        return ref_id

    def ref_image(self, api_key: str, ref_id: str) -> RefImageRow | None:
        with self._lock:
            row = self._db.execute('SELECT file, faces FROM ref_images WHERE id = ? AND api_key = ?',
                                   (ref_id, api_key)).fetchone()
        if row is None:
            return None
        faces = [(int(x), int(y), int(w), int(h)) for x, y, w, h in json.loads(row[1])]
        return RefImageRow(ref_id, self.refs_dir / row[0], faces)

    # --- covers ----------------------------------------------------------------------------------------

    def add_cover(self, api_key: str, png: bytes, attrs: dict[str, Any], ttl: float) -> str:
        cover_id = str(uuid.uuid4())
        name = f'{cover_id}.png'
        _write_atomic(self.covers_dir / name, png)
        now = time.time()
        with self._lock:
            self._db.execute('INSERT INTO covers VALUES (?, ?, ?, ?, ?, ?, NULL)',
                             (cover_id, api_key, name, json.dumps(attrs), now, now + ttl))
        return cover_id

    def claim_cover(self, api_key: str, cover_id: str, agent_id: str) -> None:
        """Mark a cover used by this agent; a cover serves one agent only, and only before it expires."""
        with self._lock:
            updated = self._db.execute(
                'UPDATE covers SET used_by = ? WHERE id = ? AND api_key = ? AND used_by IS NULL AND expires_at > ?',
                (agent_id, cover_id, api_key, time.time())).rowcount
        if updated != 1:
            raise CoverUnavailable(cover_id)

    def release_cover(self, cover_id: str, agent_id: str) -> None:
        with self._lock:
            self._db.execute('UPDATE covers SET used_by = NULL WHERE id = ? AND used_by = ?', (cover_id, agent_id))

    def cover_usable(self, api_key: str, cover_id: str) -> bool:
        with self._lock:
            row = self._db.execute('SELECT 1 FROM covers WHERE id = ? AND api_key = ? AND used_by IS NULL '
                                   'AND expires_at > ?', (cover_id, api_key, time.time())).fetchone()
        return row is not None

    def cover_file(self, cover_id: str) -> Path | None:
        """The image behind a public cover URL (CDN-like: the unguessable id is the only key)."""
        with self._lock:
            row = self._db.execute('SELECT file, used_by, expires_at FROM covers WHERE id = ?',
                                   (cover_id,)).fetchone()
        if row is None or (row[1] is None and row[2] <= time.time()):
            return None
        path = self.covers_dir / row[0]
        return path if path.is_file() else None

    def purge_expired_covers(self) -> int:
        """Drop covers nobody used before they expired (an agent's cover is kept forever)."""
        with self._lock:
            rows = self._db.execute('SELECT id, file FROM covers WHERE used_by IS NULL AND expires_at <= ?',
                                    (time.time(),)).fetchall()
            self._db.executemany('DELETE FROM covers WHERE id = ?', [(r[0],) for r in rows])
        for _, name in rows:
            (self.covers_dir / name).unlink(missing_ok=True)
        return len(rows)

    # --- agents ----------------------------------------------------------------------------------------

    def add_agent(self, api_key: str, user_id: str, agent_id: str, name: str, cover_id: str,
                  fields: dict[str, Any], profile: dict[str, Any]) -> AgentRow:
        created = time.time()
        with self._lock:
            self._db.execute('INSERT INTO agents VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                             (agent_id, api_key, user_id, name, cover_id, json.dumps(fields, ensure_ascii=False),
                              json.dumps(profile, ensure_ascii=False), created))
        return AgentRow(agent_id, user_id, name, cover_id, fields, profile, created)

    def agent(self, api_key: str, agent_id: str) -> AgentRow | None:
        """One agent of this key (another key's agent is not found, exactly like an unknown one)."""
        with self._lock:
            r = self._db.execute('SELECT id, user_id, name, cover_id, fields, profile, created_at FROM agents '
                                 'WHERE id = ? AND api_key = ?', (agent_id, api_key)).fetchone()
        return AgentRow(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]), r[6]) if r else None

    def list_agents(self, api_key: str, offset: int, limit: int) -> tuple[list[AgentRow], int]:
        with self._lock:
            total = self._db.execute('SELECT COUNT(*) FROM agents WHERE api_key = ?', (api_key,)).fetchone()[0]
            rows = self._db.execute(
                'SELECT id, user_id, name, cover_id, fields, profile, created_at FROM agents WHERE api_key = ? '
                'ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?', (api_key, limit, offset)).fetchall()
        return [AgentRow(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]), r[6]) for r in rows], total


    # --- one key's everything ----------------------------------------------------------------------------

    def delete_key_data(self, api_key: str) -> dict[str, int]:
        """Delete every agent, cover and reference image (with its face crop) made with `api_key`."""
        with self._lock:
            refs = self._db.execute('SELECT id, file FROM ref_images WHERE api_key = ?', (api_key,)).fetchall()
            covers = self._db.execute('SELECT file FROM covers WHERE api_key = ?', (api_key,)).fetchall()
            agents = self._db.execute('DELETE FROM agents WHERE api_key = ?', (api_key,)).rowcount
            self._db.execute('DELETE FROM covers WHERE api_key = ?', (api_key,))
            self._db.execute('DELETE FROM ref_images WHERE api_key = ?', (api_key,))
        for ref_id, name in refs:
            (self.refs_dir / name).unlink(missing_ok=True)
            (self.refs_dir / f'{ref_id}.face.png').unlink(missing_ok=True)
        for (name,) in covers:
            (self.covers_dir / name).unlink(missing_ok=True)
        return {'agents': agents, 'covers': len(covers), 'refImages': len(refs)}

    def keys_with_data(self, prefix: str = '') -> set[str]:
        """Every API key (starting with `prefix`) that has anything stored."""
        with self._lock:
            rows = self._db.execute(
                'SELECT api_key FROM agents WHERE api_key LIKE ?1 UNION SELECT api_key FROM covers WHERE api_key LIKE '
                '?1 UNION SELECT api_key FROM ref_images WHERE api_key LIKE ?1', (prefix.replace('%', '') + '%',)
            ).fetchall()
        return {row[0] for row in rows}


def new_id() -> str:
    return str(uuid.uuid4())


def _write_atomic(path: Path, content: bytes) -> None:
    # Written under a temporary name and renamed, so a crash never leaves a half image behind a record.
    tmp = path.with_name(f'.{path.name}.tmp')
    tmp.write_bytes(content)
    os.replace(tmp, path)
