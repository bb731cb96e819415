"""The sandbox's conversations: which key, user and agent each belongs to, and what was said in it.

Its own SQLite file beside sandbox.sqlite3 (same directory, same rules): a restart keeps conversations, every
query is scoped by API key and user, so one caller never reaches another's conversation. Synchronous and
thread-safe; the routes call it through asyncio.to_thread.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, api_key TEXT NOT NULL, user_id TEXT NOT NULL, agent_id TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_turns (
    conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL,
    created_at REAL NOT NULL, PRIMARY KEY (conversation_id, seq)
);
"""
KEEP_TURNS = 40  # what a reply may look back on; older turns stay stored but are not read


@dataclass(frozen=True)
class ConversationRow:
    id: str
    api_key: str
    user_id: str
    agent_id: str


@dataclass(frozen=True)
class Turn:
    role: str  # 'user', 'agent' or 'picture'
    text: str


class ChatStore:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(data_dir / 'chat.sqlite3', check_same_thread=False, isolation_level=None)
        self._db.execute('PRAGMA journal_mode=WAL')
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def start(self, api_key: str, user_id: str, agent_id: str) -> str:
        conversation_id = str(uuid.uuid4())  # the documented form: a UUID with hyphens
        with self._lock:
            self._db.execute('INSERT INTO conversations VALUES (?, ?, ?, ?, ?)',
                             (conversation_id, api_key, user_id, agent_id, time.time()))
        return conversation_id

    def find(self, api_key: str, user_id: str, conversation_id: str) -> ConversationRow | None:
        """The conversation, only for the key and user that started it."""
        with self._lock:
            row = self._db.execute('SELECT id, api_key, user_id, agent_id FROM conversations WHERE id = ? AND '
                                   'api_key = ? AND user_id = ?', (conversation_id, api_key, user_id)).fetchone()
        return ConversationRow(*row) if row else None

    def turns(self, conversation_id: str) -> list[Turn]:
        with self._lock:
            rows = self._db.execute('SELECT role, text FROM chat_turns WHERE conversation_id = ? ORDER BY seq DESC '
                                    'LIMIT ?', (conversation_id, KEEP_TURNS)).fetchall()
        return [Turn(role, text) for role, text in reversed(rows)]

    def delete_key(self, api_key: str) -> int:
        """Delete every conversation (and what was said in it) held with `api_key`; returns how many."""
        with self._lock:
            self._db.execute('DELETE FROM chat_turns WHERE conversation_id IN (SELECT id FROM conversations WHERE '
                             'api_key = ?)', (api_key,))
            return int(self._db.execute('DELETE FROM conversations WHERE api_key = ?', (api_key,)).rowcount)

    def keys_with_data(self, prefix: str = '') -> set[str]:
        """Every API key (starting with `prefix`) that has a conversation stored."""
        with self._lock:
            rows = self._db.execute('SELECT DISTINCT api_key FROM conversations WHERE api_key LIKE ?',
                                    (prefix.replace('%', '') + '%',)).fetchall()
        return {row[0] for row in rows}

    def add_turn(self, conversation_id: str, role: str, text: str) -> None:
        with self._lock:
            self._db.execute('INSERT INTO chat_turns SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ? FROM chat_turns '
                             'WHERE conversation_id = ?', (conversation_id, role, text, time.time(), conversation_id))


class ChatState:
    """What one sandbox holds for conversations: their store, the pace of replies, and counts of streams, so a
    test can see that a client closing its stream really closed it here."""

    def __init__(self, data_dir: Path, *, pace: tuple[float, float], image_latency: tuple[float, float],
                 stream_format: str = 'sse') -> None:
        self.store = ChatStore(data_dir)
        self.pace = pace  # seconds between two pieces of a reply, drawn uniformly; mutable at runtime
        self.image_latency = image_latency
        self.stream_format = stream_format  # 'sse', 'ndjson' or 'json' (one envelope): mutable at runtime
        self.open_streams = 0
        self.streams_started = 0
        self.streams_finished = 0
        self.streams_abandoned = 0  # the client went away before the end

    def next_pace(self) -> float:
        return random.uniform(*self.pace)

    def next_image_latency(self) -> float:
        return random.uniform(*self.image_latency)

    def close(self) -> None:
        self.store.close()
