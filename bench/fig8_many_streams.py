"""Figure 8: 50 conversations streaming at once through the app's own chat layer.

services.studio.chat.ChatService (with its database store and PlatformClient) runs in this process, exactly as in
the app; 50 people each have a conversation with an agent and send a message at the same moment, for several
rounds, so 50 replies stream side by side (each a piece every 50 ms: 1,000 pieces a second in all). Every
conversation has a listener doing what a page does with a piece (find the bubble, set its text). The sandbox runs
in its own process, as the real platform is another machine. The loop is sampled every 10 ms throughout.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import Figure, LoopLag, bench_principal, median, percentile, sandbox_upstream
from sandbox.routes.guard import CONTROL_HEADERS
from services.core.db import Database, database_url
from services.platform.client import PlatformClient
from services.studio.chat import ChatEvent, ChatService
from services.studio.chat_agents import AgentDirectory
from services.studio.chat_store import ChatStore
from tests.support.chat_support import make_agent

KEY = 'many_streams'
TITLE = 'Many replies streaming at once'
CONVERSATIONS = 50
ROUNDS = 4
PACE = 0.05
LAG_TARGET_MS = 50.0
TARGET_TEXT = (f'{CONVERSATIONS} conversations streaming at once, all replies complete; '
               f'loop lag p99 < {LAG_TARGET_MS:g} ms')


class FakePage:
    """What the chat page does with a piece: look up the bubble and set its text (here: a dict and a string)."""

    def __init__(self) -> None:
        self.bubbles: dict[str, str] = {}
        self.pieces = 0
        self.first_piece: dict[str, float] = {}

    def heard(self, event: ChatEvent) -> None:
        if event.kind == 'piece' and event.message_id:
            self.pieces += 1
            self.first_piece.setdefault(event.message_id, time.monotonic())
            self.bubbles[event.message_id] = event.text


async def _measure(upstream: str, data_dir: Path, conversations: int, rounds: int) -> dict:
    async with httpx.AsyncClient() as http:
        (await http.post(f'{upstream}/_sandbox/chat', json={'pace': f'{PACE:g}'},
                         headers=CONTROL_HEADERS)).raise_for_status()
    database = Database(database_url(None, data_dir))
    database.upgrade()
    client = PlatformClient(base_url=upstream)
    chat = ChatService(ChatStore(database), client, AgentDirectory(client))
    try:
        agent = await make_agent(client, bench_principal('fig8-maker').credentials)
        people = [bench_principal(f'fig8-{n}') for n in range(conversations)]
        talks = await asyncio.gather(*(chat.open(person, agent.agentId) for person in people))
        pages = [FakePage() for _ in people]
        for person, page in zip(people, pages, strict=True):
            chat.subscribe(person.owner_id, agent.agentId, page.heard)
        await _round(chat, people, talks, 'warm-up')  # imports, connections, the database's threads
        lag = LoopLag().start()
        started = time.monotonic()
        timings: list[dict] = []
        for number in range(rounds):
            timings.append(await _round(chat, people, talks, f'round {number}'))
        wall = time.monotonic() - started
        await lag.stop()
        messages = [m for talk in talks for m in await chat.store.messages(talk) if m.role == 'agent']
        done = sum(m.status == 'done' for m in messages)
        return {'lag': lag.summary_ms(), 'wall_seconds': round(wall, 1), 'replies_done': done,
                'replies': len(messages), 'pieces_heard': sum(page.pieces for page in pages),
                'pieces_per_second': round(sum(page.pieces for page in pages) / max(wall, 0.001)),
                'rounds': timings}
    finally:
        await chat.close()
        await client.aclose()
        database.close()


async def _round(chat: ChatService, people: list, talks: list, label: str) -> dict:
    sent = time.monotonic()
    await asyncio.gather(*(chat.send(person, talk, f'{label}: tell me about your day')
                           for person, talk in zip(people, talks, strict=True)))
    while chat.streaming():  # noqa: ASYNC110 - polling the service as a page's timer would, not an event of ours
        await asyncio.sleep(0.02)
    return {'round': label, 'seconds': round(time.monotonic() - sent, 2)}


def run(quick: bool = False) -> Figure:
    conversations, rounds = (20, 2) if quick else (CONVERSATIONS, ROUNDS)
    with sandbox_upstream('0') as upstream, tempfile.TemporaryDirectory(prefix='bench-fig8-') as tmp:
        result = asyncio.run(_measure(upstream, Path(tmp), conversations, rounds))
    p99 = result['lag']['p99_ms']
    expected = conversations * (rounds + 1)
    all_done = result['replies_done'] == expected
    per_round = [r['seconds'] for r in result['rounds']]
    return Figure(
        key=KEY, title=TITLE, target=TARGET_TEXT, value=p99, unit='ms lag p99', met=all_done and p99 < LAG_TARGET_MS,
        method=(f'{conversations} people, one conversation each, send a message at the same moment through '
                f'services.studio.chat.ChatService (SQLite store, PlatformClient) against the sandbox in its own '
                f'process, which streams each reply as SSE at one piece per {PACE:g} s; {rounds} rounds after a '
                'warm-up; each conversation has a listener doing a page\'s work per piece; lag sampled every 10 ms.'),
        note=(f'{result["replies_done"]} of {expected} replies complete; loop lag p99 {p99:g} ms (p50 '
              f'{result["lag"]["p50_ms"]:g} ms, max {result["lag"]["max_ms"]:g} ms) while '
              f'{result["pieces_per_second"]} pieces a second reached the listeners; a round took '
              f'{median(per_round):g} s (median; slowest {max(per_round):g} s, p90 {percentile(per_round, 90):g} s).'),
        details={'all_completed': all_done, 'conversations': conversations, **result},
    )
