"""What the agents page does with an agent or a card: start a draft from it ('Make a variant', 'Import a card'),
and produce its card files (one PNG or JSON, or a ZIP of a selection).

The draft is the person's one draft (DraftStore): starting from a card replaces what they were building, as
'Start over' does; the page asks before it does so.

Every image and card byte-crunching step (Pillow decoding and converting a cover, walking and writing PNG chunks,
parsing card JSON, deflating a ZIP) runs on a worker thread: the event loop is shared by every person signed in,
and a 20 MB card or a ZIP of hundreds of covers would stall all of their pages.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Iterable

import httpx
from PIL import Image

from services.auth.sessions import Principal
from services.core.storage import safe_filename
from services.platform.models import AgentRecord, Gender
from services.studio import catalogue, rules
from services.studio.card_import import Imported, Options, apply, from_agent, from_card, gender_of
from services.studio.cards import card_json, card_png, card_v3, read_card
from services.studio.drafts import DraftStore
from services.studio.library import Maker
from services.studio.options_cache import OptionsCache

MAX_COVER_BYTES = 20 * 1024 * 1024
MAX_ZIP_AGENTS = 1000  # the library's own bound
MAX_COVER_PIXELS = 64_000_000  # a cover is about a megapixel; a bigger one from a URL is refused, not decoded


async def options_map(cache: OptionsCache, principal: Principal, gender: str | None, language: str) -> Options:
    chosen: Gender | None = 'female' if gender == 'female' else 'male' if gender == 'male' else None
    options = await cache.get(principal.credentials, gender=chosen, language=language)
    return {code: rules.choices(options, code) for code in catalogue.ALL_CATEGORIES if code in options}


async def start_draft(principal: Principal, card: dict[str, object], *, drafts: DraftStore, cache: OptionsCache,
                      agent: AgentRecord | None = None) -> Imported:
    """Replace the person's draft with what the card (or the agent) gives; returns it, notes included.
    Raises CardRefused for a card that is not one, PlatformError when the options cannot be loaded."""
    draft = await drafts.load(principal.owner_id)  # raises DatabaseUnavailable while the database is away
    gender = agent.gender if agent is not None else gender_of(card)
    options = await options_map(cache, principal, gender, draft.options_language)
    imported = from_agent(agent, options) if agent is not None else from_card(card, options)
    apply(draft, imported)
    draft.step = 'look'
    drafts.save(principal.owner_id)
    return imported


async def fetch_cover_png(http: httpx.AsyncClient, url: str | None) -> bytes:
    """The cover as PNG bytes (converted when the CDN serves JPEG or WebP), at most MAX_COVER_BYTES read."""
    if not url:
        raise ValueError('the agent has no cover URL')
    async with http.stream('GET', url) as answer:
        answer.raise_for_status()
        body = bytearray()
        async for piece in answer.aiter_bytes():
            body += piece
            if len(body) > MAX_COVER_BYTES:
                raise ValueError('the cover is larger than 20 MB')
    return await asyncio.to_thread(as_png, bytes(body))


def as_png(body: bytes) -> bytes:
    """The image as PNG bytes (blocking: Pillow decodes it; run it on a worker thread)."""
    if body[:8] == b'\x89PNG\r\n\x1a\n':
        return body
    with Image.open(io.BytesIO(body)) as image:  # reads the header only, so the size is known first
        if image.width * image.height > MAX_COVER_PIXELS:
            raise ValueError('the cover is unreasonably large')
        out = io.BytesIO()
        image.convert('RGB').save(out, 'PNG')
        return out.getvalue()


def blank_cover() -> bytes:
    """For an agent whose cover cannot be fetched: the card still travels, on a plain square."""
    out = io.BytesIO()
    Image.new('RGB', (64, 64), (226, 232, 240)).save(out, 'PNG')
    return out.getvalue()


async def card_files(http: httpx.AsyncClient, agent: AgentRecord, maker: Maker | None) -> tuple[bytes, bytes]:
    """(PNG card, JSON card) of one agent."""
    try:
        cover = await fetch_cover_png(http, agent.coverUrl)
    except (httpx.HTTPError, ValueError, OSError, Image.DecompressionBombError):
        cover = await asyncio.to_thread(blank_cover)
    return await asyncio.to_thread(_card_pair, cover, agent, maker)


def _card_pair(cover: bytes, agent: AgentRecord, maker: Maker | None) -> tuple[bytes, bytes]:
    return card_png(cover, agent, maker), card_json(agent, maker)


async def cards_zip(http: httpx.AsyncClient, agents: Iterable[tuple[AgentRecord, Maker | None]]) -> bytes:
    """A ZIP of the PNG and JSON cards of these agents, named by agent name and id."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as archive:
        for count, (agent, maker) in enumerate(agents):
            if count >= MAX_ZIP_AGENTS:
                break
            png, js = await card_files(http, agent, maker)
            stem = safe_filename(f'{agent.name}-{agent.agentId}', max_length=100)
            # Deflating a cover is real work; one agent's pair at a time, so the loop is free in between.
            await asyncio.to_thread(_write_pair, archive, stem, png, js)
    return out.getvalue()


def _write_pair(archive: zipfile.ZipFile, stem: str, png: bytes, js: bytes) -> None:
    archive.writestr(f'{stem}.png', png)
    archive.writestr(f'{stem}.json', js)


async def read_card_file(data: bytes, filename: str = '') -> dict[str, object]:
    """read_card on a worker thread: a card may be 20 MB of PNG chunks and 2 MB of JSON."""
    return await asyncio.to_thread(read_card, data, filename)


async def json_card(agent: AgentRecord, maker: Maker | None) -> bytes:
    return await asyncio.to_thread(card_json, agent, maker)


def filename(agent: AgentRecord, suffix: str) -> str:
    return safe_filename(f'{agent.name or "agent"}', max_length=60) + suffix


__all__ = ['as_png', 'card_files', 'card_v3', 'cards_zip', 'fetch_cover_png', 'filename', 'json_card', 'read_card_file',
           'start_draft']
