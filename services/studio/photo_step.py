"""The Reference photo step: check an upload for a face (services.studio.photos), keep it, crop it, remove it,
or go on without one. A photo being checked and the last refusal belong to one page; the photo kept is the
person's draft, shared by every tab.

A part of services.studio.studio.Studio (`studio.photo`), which hands it the draft and its own save / announce,
so that every change is announced once, by the studio.
"""

from __future__ import annotations

from collections.abc import Callable

from services.auth.sessions import Principal
from services.platform.client import PlatformClient
from services.platform.errors import PlatformError
from services.studio.drafts import Draft
from services.studio.image_store import ImageStore
from services.studio.images import ImageRejected
from services.studio.messages import describe
from services.studio.photos import check_photo, forget_photo

Refusal = tuple[str, str | None]  # (what to tell the person, the platform's traceId if it said no)


class PhotoStep:
    def __init__(self, principal: Principal, draft: Draft, *, platform: PlatformClient, images: ImageStore,
                 max_upload_bytes: int, save: Callable[[], None], changed: Callable[[], None]) -> None:
        self._principal = principal
        self._draft = draft
        self._platform = platform
        self._images = images
        self._save = save
        self._changed = changed
        self.max_upload_bytes = max_upload_bytes
        self.busy = False
        self.error: Refusal | None = None
        self.crop = False  # "crop to a square around the face" before the photo is sent (this page only)

    @property
    def limit_mb(self) -> float:
        return self.max_upload_bytes / (1024 * 1024)

    async def add(self, data: bytes, filename: str) -> None:
        """Check an uploaded photo and, if it can be used, make it the draft's (replacing an earlier one)."""
        self.busy = True
        self.error = None
        self._changed()
        try:
            ref = await check_photo(self._platform, self._images, self._principal, data, filename,
                                    max_bytes=self.max_upload_bytes, crop=self.crop)
        except ImageRejected as error:
            self.error = (error.user_message, None)
        except PlatformError as error:
            self.error = (describe(error, 'check the photo'), error.trace_id)
        else:
            old = self._draft.ref
            self._draft.ref = ref
            self._save()
            if old is not None:
                forget_photo(self._images, self._principal.owner_id, old.photo_id)
        finally:
            self.busy = False
            self._changed()

    def set_crop(self, crop: bool) -> None:
        if crop != self.crop:
            self.crop = crop
            self._changed()

    def refused(self, message: str) -> None:
        """The file was refused before it reached the photo checks: by the browser's picker (too large, GIF, HEIC,
        ...) or by the server's body limit; `message` says which (components/photo_picker.py)."""
        self.error = (message, None)
        self._changed()

    def skip(self) -> None:
        self._draft.photo_skipped = True
        self._draft.step = 'cover'
        self._save()
        self._changed()

    def keep_without_face(self) -> None:
        if self._draft.ref is not None:
            self._draft.ref.acknowledged = True
            self._draft.step = 'cover'
            self._save()
            self._changed()

    def remove(self) -> None:
        ref = self._draft.ref
        self._draft.ref = None
        self.error = None
        self._save()
        if ref is not None:
            forget_photo(self._images, self._principal.owner_id, ref.photo_id)
        self._changed()
