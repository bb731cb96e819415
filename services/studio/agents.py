"""Every custom agent made with the person's key: newest first, a page at a time; and how a record reads.

Always read fresh from the platform (no cache), so an agent created a moment ago is listed at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from services.auth.sessions import Principal
from services.core.i18n import _, format_minute
from services.platform.client import PlatformClient
from services.platform.errors import PlatformError
from services.platform.models import AgentListRequest, AgentPage, AgentRecord
from services.studio import catalogue

PAGE_SIZES = (12, 24, 48)
# Shown on each card, in this order, when the record carries them.
CARD_FIELDS = ('gender', 'age', 'ethnicity', 'bodyType', 'hairColor', 'hairStyle')


class AgentList:
    """One person's agents as one page lists them. Every change is announced through `on_change` (the page
    redraws the listing), as NiceGUI's examples/todo_list model does."""

    def __init__(self, principal: Principal, *, platform: PlatformClient, language: str,
                 on_change: Callable[[], None] | None = None) -> None:
        self.principal = principal
        self.language = language  # the labels in the records: the language the studio shows options in
        self._platform = platform
        self.on_change = on_change
        self.page_number = 1
        self.page_size = PAGE_SIZES[0]
        self.page: AgentPage | None = None
        self.error: PlatformError | None = None
        self.loading = False

    @property
    def total(self) -> int:
        return self.page.total if self.page else 0

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))

    async def load(self) -> None:
        self.loading = True
        self._changed()
        try:
            page = await self._platform.list_agents(
                self.principal.credentials,
                AgentListRequest(pageNumber=self.page_number, pageSize=self.page_size, language=self.language))
            page.records.sort(key=lambda r: str(r.createdAt or ''), reverse=True)
            self.page, self.error = page, None
        except PlatformError as error:
            self.error = error
        finally:
            self.loading = False
        self._changed()

    async def show_page(self, number: int) -> None:
        if number != self.page_number:
            self.page_number = number
            await self.load()

    async def show_per_page(self, size: int) -> None:
        self.page_size = size
        self.page_number = 1
        await self.load()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


def main_attributes(record: AgentRecord) -> list[str]:
    """Gender and look as labels (in the language the list was asked in), for a card."""
    extra = record.model_extra or {}
    labels = extra.get('labels')
    if not isinstance(labels, dict):
        labels = {}
    found = []
    for field in CARD_FIELDS:
        value = record.gender if field == 'gender' else extra.get(field)
        if not value:
            continue
        category = catalogue.by_wire_field(field)
        text = labels.get(category.code) if category else None
        found.append(str(text or value).replace('_', ' ').capitalize() if field == 'gender' else str(text or value))
    return found


def all_fields(record: AgentRecord) -> list[tuple[str, str]]:
    """Every field the platform sent, as (name, text), the known ones first."""
    rows = [('agentId', record.agentId), ('name', record.name)]
    if record.coverUrl:
        rows.append(('coverUrl', record.coverUrl))
    if record.gender:
        rows.append(('gender', record.gender))
    if record.createdAt:
        rows.append(('createdAt', str(record.createdAt)))
    for key, value in (record.model_extra or {}).items():
        if value in (None, '', [], {}):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((key, text))
    return rows


def created_text(value: str | int | None) -> str:
    """'Created Dec 1, 2026, 9:39 PM' (as the reader's language writes a time) from an ISO time or a Unix time in
    seconds or milliseconds."""
    if value is None or value == '':
        return ''
    try:
        if isinstance(value, int) or str(value).isdigit():
            number = int(value)
            moment = datetime.fromtimestamp(number / 1000 if number > 10**11 else number)
        else:
            moment = datetime.fromisoformat(str(value).replace('Z', '+00:00')).astimezone()
    except (ValueError, OverflowError, OSError):
        return str(value)
    return _('Created {time}').format(time=format_minute(moment))
