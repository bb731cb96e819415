"""The character a person is building, kept in the shared `drafts` table per owner so a reload, a second tab
(on any instance), a lost connection or a restart puts them back where they were.

One `Draft` object per owner lives in each instance's memory and every tab of that owner served there works on
the same object, because page code reads and changes it synchronously on the event loop. A page first
`await load(owner)`; each change is then saved at once, queued on the WriteBehind (a few hundred bytes, in order,
never awaited by the loop) and published, so the other instances showing that person reload it in place within a
second (`on_change`) and tell their pages (`subscribe`).

`version` goes up on every save: a tab that sees a version it did not write knows another tab changed something.
The table numbers the saves itself (version = version + 1 in the UPDATE), so of two instances saving at once the
later save wins everywhere: an instance with its own save still queued ignores other saves until its own has
landed, then every instance reloads what the table holds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from services.core.db import Database
from services.core.db import changes as outbox
from services.core.db.changes import Change
from services.core.db.schema import drafts as table
from services.core.db.writer import WriteBehind
from services.core.listeners import Listeners
from services.platform.models import Gender, Language
from services.studio import catalogue
from services.studio.catalogue import OPTIONAL_DETAILS as OPTIONAL_DETAILS  # pages import it from here still

log = logging.getLogger(__name__)
STEPS = ('look', 'photo', 'cover', 'details', 'create')
KEEP_UNTOUCHED = 30 * 24 * 3600.0  # demo visitors get a new owner id each time; their drafts should not pile up
TOPIC = 'drafts'
LEGACY_DIR = 'drafts'  # where drafts were kept (one JSON file per owner) before the database; imported once


class RefPhoto(BaseModel):
    photo_id: str  # the processed file on disk (cover store, suffix .jpg)
    filename: str = 'photo.jpg'
    width: int = 0
    height: int = 0
    ref_image_id: str | None = None  # the platform's id, once uploaded
    has_face: bool | None = None
    face_count: int = 0
    acknowledged: bool = False  # "continue anyway" after a no-face warning
    crop: str | None = None  # asked to crop around the face: 'cropped', 'no_face' or 'already_square' (face_crop.py)


class Draft(BaseModel):
    step: str = 'look'
    gender: Gender | None = None
    options_language: str = 'en'  # the language option labels are shown in
    look: dict[str, str] = {}  # category -> option code
    ref: RefPhoto | None = None
    photo_skipped: bool = False  # "no reference photo" was a decision, so the step counts as done
    selected_cover_job: str | None = None
    dismissed_covers: list[str] = []  # covers put aside in Compare: still shown (apart) and usable until they expire
    name: str = ''
    voice: str | None = None
    language: Language = 'en'
    personality: str | None = None
    occupation: str | None = None
    relationship: str | None = None
    fetish: str | None = None
    create_job: str | None = None  # the create job this draft started (running, failed or done)
    # The agentId this draft was started from ('Make a variant', or re-importing one of Agent Studio's own cards):
    # recorded with the agent it creates. In the draft, not in memory, so it survives a restart and is the same
    # on every instance; reset() empties it with the rest (a created agent, 'Start over').
    derived_from: str | None = None
    version: int = 0
    updated_at: float = 0.0

    def look_categories(self) -> tuple[str, ...]:
        return catalogue.look_categories(self.gender)

    def missing_look(self) -> list[str]:
        if self.gender is None:
            return ['Gender']
        return [c for c in self.look_categories() if not self.look.get(c)]

    def reset(self, *, keep: tuple[str, ...] = ('options_language',)) -> None:
        """Back to an empty draft, in place (open tabs keep pointing at this object)."""
        fresh = Draft()
        for name in Draft.model_fields:
            if name in keep or name in ('version', 'updated_at'):
                continue
            setattr(self, name, getattr(fresh, name))


class DraftStore:
    def __init__(self, db: Database, writer: WriteBehind, *, origin: str | None = None) -> None:
        self.db = db
        self._writer = writer
        self.origin = origin  # names this process in the changes it publishes
        self._lock = threading.Lock()
        self._drafts: dict[str, Draft] = {}
        self._pending: dict[str, int] = {}  # owner -> saves queued and not yet written
        self._listeners: Listeners[Callable[[], None]] = Listeners()

    # --- reading ---------------------------------------------------------------------------------------------

    async def load(self, owner_id: str) -> Draft:
        """The owner's draft, read from the table the first time (a page does this before it is built).
        Raises DatabaseUnavailable."""
        with self._lock:
            draft = self._drafts.get(owner_id)
        if draft is not None:
            return draft
        return self._keep(owner_id, await self.db.read(_read, owner_id))

    def get(self, owner_id: str) -> Draft:
        """The owner's draft from this instance's memory, the same object every tab works on."""
        with self._lock:
            draft = self._drafts.get(owner_id)
        if draft is not None:
            return draft
        # A caller that did not `await load()` first (a bug, not a state): answer right, at a blocking cost.
        log.warning('draft of %s read before it was loaded; loading it on the event loop', owner_id)
        return self._keep(owner_id, self.db.read_sync(_read, owner_id))

    def _keep(self, owner_id: str, row: tuple[int, dict[str, Any]] | None) -> Draft:
        draft = _draft_of(owner_id, row)
        with self._lock:
            return self._drafts.setdefault(owner_id, draft)  # one object per owner, whoever loaded first

    def subscribe(self, owner_id: str, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback()` when another instance changed this owner's draft (this process's own changes are
        made by its pages, which know). Runs on the event loop; must only schedule work."""
        return self._listeners.add(owner_id, callback)

    # --- changing --------------------------------------------------------------------------------------------

    def save(self, owner_id: str) -> int:
        """Save the owner's draft (queued); returns its new version."""
        with self._lock:
            draft = self._drafts.get(owner_id)
            if draft is None:
                return 0
            draft.version += 1
            draft.updated_at = time.time()
            data = draft.model_dump(mode='json')
            self._pending[owner_id] = self._pending.get(owner_id, 0) + 1
            version = draft.version
        future = self._writer.submit(_save, owner_id, data, self.origin)
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None  # a script or a test without a loop: settle on the writer's thread

        def written(done: Future[int]) -> None:
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._saved, owner_id, done)
            else:
                self._saved(owner_id, done)

        future.add_done_callback(written)
        return version

    def _saved(self, owner_id: str, done: Future[int]) -> None:
        with self._lock:
            self._pending[owner_id] = max(0, self._pending.get(owner_id, 0) - 1)
            draft = self._drafts.get(owner_id)
            if draft is not None and not done.cancelled() and done.exception() is None:
                draft.version = max(draft.version, done.result())  # the table's count of saves

    def update(self, owner_id: str, **changes: Any) -> int:
        draft = self.get(owner_id)
        for name, value in changes.items():
            if name not in Draft.model_fields:
                raise AttributeError(f'a draft has no field {name!r}')
            setattr(draft, name, value)
        return self.save(owner_id)

    def clear(self, owner_id: str, **keep_values: Any) -> int:
        draft = self.get(owner_id)
        draft.reset()
        for name, value in keep_values.items():
            setattr(draft, name, value)
        return self.save(owner_id)

    # --- other instances, upkeep -----------------------------------------------------------------------------

    async def on_change(self, change: Change) -> None:
        """The change notifier's listener: another instance saved this owner's draft. Reloaded in place (every
        tab here holds this object) unless a save of this instance is still queued: that one lands later and
        wins, and the other instances then reload it."""
        owner_id = change.key
        with self._lock:
            draft = self._drafts.get(owner_id)
        if draft is None:
            return
        row = await self.db.read(_read, owner_id)
        with self._lock:
            if row is None or self._pending.get(owner_id) or row[0] <= draft.version:
                return
            fresh = _draft_of(owner_id, row)
            for name in Draft.model_fields:
                setattr(draft, name, getattr(fresh, name))
        for listener in self._listeners.of(owner_id):
            try:
                listener()
            except Exception:
                log.exception('draft listener of %s failed', owner_id)

    async def purge(self) -> int:
        """Drop drafts untouched for KEEP_UNTOUCHED (any instance may; start-up and now and then)."""
        return await self.db.run(_purge, time.time() - KEEP_UNTOUCHED)

    def import_legacy(self, data_dir: Path) -> int:
        """Copy the drafts of a data directory's drafts/ folder (kept there before the database) into the table,
        once: owners already in the table keep theirs, and the folder is renamed so it is not read again."""
        folder = Path(data_dir) / LEGACY_DIR
        if not folder.is_dir():
            return 0
        found: dict[str, dict[str, Any]] = {}
        for path in folder.glob('*.json'):
            try:
                found[path.stem] = Draft.model_validate(json.loads(path.read_text())).model_dump(mode='json')
            except (OSError, ValueError, ValidationError):
                log.warning('draft file %s unreadable; not imported', path.name)
        added = self.db.run_sync(_import, found, self.origin)
        folder.replace(folder.with_name(LEGACY_DIR + '.imported'))
        log.info('imported %d drafts from %s into the database', added, folder)
        return added


def _draft_of(owner_id: str, row: tuple[int, dict[str, Any]] | None) -> Draft:
    if row is None:
        return Draft()
    version, data = row
    try:
        draft = Draft.model_validate(data)
    except ValidationError as error:
        # A damaged draft must not lock a person out of the studio: start over (the next save replaces it).
        log.warning('draft for %s unreadable (%s); starting a new one', owner_id, type(error).__name__)
        draft = Draft()
    draft.version = version
    return draft


def _read(connection: Connection, owner_id: str) -> tuple[int, dict[str, Any]] | None:
    row = connection.execute(select(table.c.version, table.c.data).where(table.c.owner_id == owner_id)).first()
    return None if row is None else (int(row.version), dict(row.data))


def _save(connection: Connection, owner_id: str, data: dict[str, Any], origin: str | None) -> int:
    now = time.time()
    updated = connection.execute(update(table).where(table.c.owner_id == owner_id).values(
        data=data, version=table.c.version + 1, updated_at=now))
    if updated.rowcount:
        version = int(connection.execute(select(table.c.version).where(table.c.owner_id == owner_id)).scalar_one())
    else:
        version = 1
        connection.execute(insert(table).values(owner_id=owner_id, version=version, data=data, updated_at=now))
    outbox.publish(connection, TOPIC, owner_id, origin=origin)
    return version


def _purge(connection: Connection, cutoff: float) -> int:
    return int(connection.execute(delete(table).where(table.c.updated_at < cutoff)).rowcount or 0)


def _import(connection: Connection, found: dict[str, dict[str, Any]], origin: str | None) -> int:
    existing = set(connection.execute(select(table.c.owner_id)).scalars())
    added = 0
    for owner_id, data in found.items():
        if owner_id not in existing:
            connection.execute(insert(table).values(owner_id=owner_id, version=int(data.get('version') or 0),
                                                    data=data, updated_at=data.get('updated_at') or time.time()))
            outbox.publish(connection, TOPIC, owner_id, origin=origin)
            added += 1
    return added
