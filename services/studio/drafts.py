"""The character a person is building, kept on the server per owner so a reload, a second tab or a lost
connection puts them back where they were.

One `Draft` object per owner lives in memory and every tab of that owner works on the same object; each
change is written to `data_dir/drafts/<owner>.json` at once (a few hundred bytes), so a restart loses
nothing. `version` goes up on every save: a tab that sees a version it did not write knows another tab
changed something.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from services.core.storage import atomic_write, safe_filename
from services.platform.models import Gender, Language
from services.studio import catalogue
from services.studio.catalogue import OPTIONAL_DETAILS as OPTIONAL_DETAILS  # pages import it from here still

log = logging.getLogger(__name__)
STEPS = ('look', 'photo', 'cover', 'details', 'create')
KEEP_UNTOUCHED = 30 * 24 * 3600.0  # demo visitors get a new owner id each time; their drafts should not pile up


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
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._drafts: dict[str, Draft] = {}
        self._purge(time.time() - KEEP_UNTOUCHED)

    def _purge(self, cutoff: float) -> None:
        for path in self.root.glob('*.json'):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue

    def get(self, owner_id: str) -> Draft:
        with self._lock:
            draft = self._drafts.get(owner_id)
            if draft is None:
                draft = self._load(owner_id)
                self._drafts[owner_id] = draft
            return draft

    def save(self, owner_id: str) -> int:
        """Persist the owner's draft; returns its new version."""
        with self._lock:
            draft = self._drafts.get(owner_id)
            if draft is None:
                return 0
            draft.version += 1
            draft.updated_at = time.time()
            self._write(owner_id, draft.model_dump(mode='json'))
            return draft.version

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

    def _path(self, owner_id: str) -> Path:
        return self.root / f'{safe_filename(owner_id)}.json'

    def _load(self, owner_id: str) -> Draft:
        path = self._path(owner_id)
        try:
            return Draft.model_validate(json.loads(path.read_text()))
        except FileNotFoundError:
            return Draft()
        except (OSError, ValueError, ValidationError) as error:
            # A damaged draft must not lock a person out of the studio; start over and keep the file aside.
            log.warning('draft for %s unreadable (%s); starting a new one', owner_id, type(error).__name__)
            path.replace(path.with_suffix('.damaged'))
            return Draft()

    def _write(self, owner_id: str, data: dict[str, Any]) -> None:
        # Not durable (no fsync): saved on every change, from the event loop; a power loss costs the last edit.
        atomic_write(self._path(owner_id), json.dumps(data, ensure_ascii=False))
