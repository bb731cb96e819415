"""Finding one agent's card (name, cover, opening line) for its chat page.

The platform has no "get agent" endpoint, only the paged list (docs/platform-api.md), so an agent is looked up by
paging through its key's custom agents, then the official ones. Cards are kept for a minute per key, so a page
reload or a second tab does not page through the list again; what was found is also stored with the
conversation, so the page can be drawn at once and refreshed after.
"""

from __future__ import annotations

import time

from services.platform.client import Credentials, PlatformClient
from services.platform.models import AgentListRequest, AgentRecord
from services.studio.chat_store import AgentCard

PAGE_SIZE = 100  # the largest page the list allows
MAX_PAGES = 5  # per kind: past 500 agents a key's agent is looked for no further (its id still works)
CACHE_SECONDS = 60.0
MAX_CACHED = 5000


def card_of(record: AgentRecord) -> AgentCard:
    extra = record.model_extra or {}
    opening = extra.get('openingLine')
    language = extra.get('agentLanguage') or extra.get('language')
    return AgentCard(agent_id=record.agentId, name=record.name, cover_url=record.coverUrl,
                     opening_line=opening if isinstance(opening, str) and opening.strip() else None,
                     language=language if isinstance(language, str) and language else None)


class AgentDirectory:
    def __init__(self, platform: PlatformClient, *, ttl: float = CACHE_SECONDS) -> None:
        self._platform = platform
        self._ttl = ttl
        self._cards: dict[tuple[str, str], tuple[AgentCard, float]] = {}

    async def find(self, creds: Credentials, agent_id: str, *, language: str = 'en') -> AgentCard | None:
        """The agent's card, or None when the key's lists do not have it. Raises PlatformError when the list
        cannot be read at all."""
        key = (creds.api_key, agent_id)
        cached = self._cards.get(key)
        if cached is not None and time.monotonic() - cached[1] < self._ttl:
            return cached[0]
        for kind in ('custom', 'official'):
            for number in range(1, MAX_PAGES + 1):
                page = await self._platform.list_agents(creds, AgentListRequest(
                    pageNumber=number, pageSize=PAGE_SIZE, language=language, type=kind))
                for record in page.records:
                    self.remember(creds, card_of(record))
                found = self._cards.get(key)
                if found is not None:
                    return found[0]
                if number * PAGE_SIZE >= page.total or not page.records:
                    break
        return None

    def remember(self, creds: Credentials, card: AgentCard) -> None:
        if len(self._cards) >= MAX_CACHED:
            now = time.monotonic()
            self._cards = {k: v for k, v in self._cards.items() if now - v[1] < self._ttl}
        self._cards[(creds.api_key, card.agent_id)] = (card, time.monotonic())
