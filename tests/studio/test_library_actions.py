"""The library's card and image work: off the event loop (it is shared by everyone), and the custom period."""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import UTC, datetime

import httpx
import pytest
from PIL import Image

from pages.agents import day_range
from services.studio import library_actions
from services.studio.cards import CardRefused
from services.studio.library_actions import cards_zip, fetch_cover_png, read_card_file
from tests.studio.test_cards import agent, cover, foreign_v2


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new('RGB', (16, 16), 'blue').save(out, 'JPEG')
    return out.getvalue()


def cdn(body: bytes) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=body)))


async def test_a_jpeg_cover_is_converted_on_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    loop_thread = threading.current_thread()
    seen: list[threading.Thread] = []
    convert = library_actions.as_png

    def watched(body: bytes) -> bytes:
        seen.append(threading.current_thread())
        return convert(body)

    monkeypatch.setattr(library_actions, 'as_png', watched)
    async with cdn(jpeg()) as http:
        png = await fetch_cover_png(http, 'https://cdn.example/c.jpg')
    assert png.startswith(b'\x89PNG') and Image.open(io.BytesIO(png)).size == (16, 16)
    assert seen and seen[0] is not loop_thread


async def test_the_loop_keeps_turning_while_cards_are_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ZIP of many cards: a ticker on the loop keeps ticking (the PNG and ZIP work is on threads)."""
    import time

    from services.studio import cards

    write = cards.card_png

    def slow_card_png(*args: object, **kwargs: object) -> bytes:
        time.sleep(0.05)  # stands for a large cover's chunks being walked and written
        return write(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(library_actions, 'card_png', slow_card_png)
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    async with cdn(cover()) as http:
        data = await cards_zip(http, [(agent().model_copy(update={'agentId': f'agent-{i}'}), None)
                                      for i in range(10)])
    stop.set()
    await task
    assert data.startswith(b'PK') and ticks >= 20  # 10 x 50 ms of card work; a blocked loop would tick ~10 times


async def test_read_card_file_reads_and_refuses_like_read_card() -> None:
    import json

    card = await read_card_file(json.dumps(foreign_v2()).encode(), 'aiko.json')
    assert card['spec'] == 'chara_card_v2'
    with pytest.raises(CardRefused, match='neither'):
        await read_card_file(b'{"spec": ', 'broken.json')


def test_custom_period_bounds_are_whole_days_in_utc() -> None:
    start, end = day_range('2026-01-02', '2026-01-03')
    assert start == datetime(2026, 1, 2, tzinfo=UTC)
    assert end is not None and end.date().isoformat() == '2026-01-03' and end.hour == 23
    assert day_range('', '2026-01-03')[0] is None and day_range('2026-01-02', '')[1] is None
    assert day_range(None, None) == (None, None)


@pytest.mark.parametrize('start, end, words', [
    ('2026-01-05', '2026-01-03', 'ends before it starts'),
    ('yesterday', '', 'is not a date'),
    ('', '2026-02-30', 'is not a date'),
])
def test_a_bad_custom_period_is_refused_with_words(start: str, end: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        day_range(start, end)
