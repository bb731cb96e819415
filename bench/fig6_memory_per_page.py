"""Figure 6: resident memory of the app with 1, 25 and 50 connected studio pages.

Page 1 is headless Chromium, signed in with a look chosen (so every studio page carries the option tiles).
The other pages are lightweight clients that do what the browser's nicegui.js does: GET /studio with the
same session cookie (the server builds the whole page), open the socket.io websocket with NiceGUI's
implicit handshake, receive every update and acknowledge them every 3 s. The server holds exactly what it
holds for a browser tab; a Chromium per page would not fit on 2 cores. RSS is read from the app's process.
"""

from __future__ import annotations

import ast
import asyncio
import re
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import socketio

from bench.browser import app_on, chromium, sign_in_byok
from bench.common import Figure, rss_mb, sandbox_upstream
from tests.support.app_process import AppProcess

KEY = 'memory_per_page'
TITLE = 'Memory per connected browser'
TARGET_MB = 3.0
TARGET_TEXT = f'<= {TARGET_MB:g} MB per extra connected studio page'
STEPS = (1, 25, 50)
SETTLE = 6.0  # seconds for page builds, first timer ticks and acks to settle before reading RSS
QUERY = re.compile(r'query:\s*(\{.*?\}),\s*\n')


class Page:
    """One connected studio page without a browser."""

    def __init__(self, base_url: str, cookies: dict[str, str]) -> None:
        self.base_url = base_url
        self.cookies = cookies
        self.sio = socketio.AsyncClient(reconnection=False)
        self.client_id = ''
        self.next_message_id = 0
        self.updates = 0
        self.sio.on('*', self._on_any)
        self._ack_task: asyncio.Task[None] | None = None

    async def _on_any(self, event: str, data: Any = None, *_: Any) -> None:
        self.updates += 1
        if isinstance(data, dict) and isinstance(data.get('_id'), int):
            self.next_message_id = max(self.next_message_id, data['_id'] + 1)

    async def open(self, http: httpx.AsyncClient) -> None:
        response = await http.get(f'{self.base_url}/studio', cookies=self.cookies)
        response.raise_for_status()
        match = QUERY.search(response.text)
        if match is None or 'Create a character' not in response.text:
            raise RuntimeError('the studio page did not come back signed in (no socket query in the HTML)')
        query = ast.literal_eval(match.group(1))  # Jinja renders NiceGUI's Python dict as its repr
        self.client_id = query['client_id']
        self.next_message_id = int(query.get('next_message_id', 0))
        params = {**{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in query.items()},
                  'document_id': str(uuid.uuid4()), 'tab_id': str(uuid.uuid4()), 'old_tab_id': ''}
        cookie = '; '.join(f'{k}={v}' for k, v in self.cookies.items())
        await self.sio.connect(f'{self.base_url}?{urlencode(params)}', headers={'Cookie': cookie},
                               transports=['websocket'], socketio_path='/_nicegui_ws/socket.io', wait_timeout=20)
        self._ack_task = asyncio.create_task(self._ack_every_3s())

    async def _ack_every_3s(self) -> None:
        acked = -1
        while self.sio.connected:
            await asyncio.sleep(3)
            if self.next_message_id > acked:
                await self.sio.emit('ack', {'client_id': self.client_id, 'next_message_id': self.next_message_id})
                acked = self.next_message_id

    async def close(self) -> None:
        if self._ack_task is not None:
            self._ack_task.cancel()
        await self.sio.disconnect()


async def _grow(app: AppProcess, cookies: dict[str, str], steps: tuple[int, ...]) -> dict[int, float]:
    """Open lightweight pages up to each step (the browser is page 1); RSS of the app at each step."""
    pid = app.process.pid if app.process else 0
    pages: list[Page] = []
    rss: dict[int, float] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        try:
            for step in steps:
                while len(pages) + 1 < step:
                    page = Page(app.base_url, cookies)
                    await page.open(http)
                    pages.append(page)
                await asyncio.sleep(SETTLE)
                if not all(p.sio.connected for p in pages):
                    raise RuntimeError('a page lost its connection')
                rss[step] = round(rss_mb(pid), 1)
        finally:
            await asyncio.gather(*(p.close() for p in pages), return_exceptions=True)
    return rss


def run(quick: bool = False) -> Figure:
    steps = (1, 5, 10) if quick else STEPS
    with sandbox_upstream('1', create_share=0.0) as upstream, app_on(upstream) as app, \
            chromium(app.base_url, 'fig6') as browser:
        sign_in_byok(browser, 'bench-memory')
        browser.wait_text('Create a character', timeout=30)
        browser.click('Surprise me')
        browser.wait_text('A random look is ready', timeout=30)
        cookies = {c['name']: c['value'] for c in browser.driver.get_cookies()}
        time.sleep(2)
        rss = asyncio.run(_grow(app, cookies, steps))
        browser.wait_connected()  # the browser's own page stayed connected throughout
    first, last = steps[0], steps[-1]
    per_page = (rss[last] - rss[first]) / (last - first)
    mid = steps[1]
    return Figure(
        key=KEY, title=TITLE, target=TARGET_TEXT, value=round(per_page, 2), unit='MB per extra page',
        met=per_page <= TARGET_MB,
        method=('Page 1: headless Chromium signed in with a look chosen. Pages 2..50: lightweight clients (GET /studio '
                'with the same session cookie, socket.io websocket with NiceGUI\'s implicit handshake, acks every '
                f'3 s), so the server holds what it holds for a tab. RSS of the app process {SETTLE:g} s after '
                f'each step; per extra page = (RSS at {last} - RSS at {first}) / {last - first}.'),
        note=(f'RSS: {", ".join(f"{n} pages {v:g} MB" for n, v in rss.items())}. '
              f'{first}->{mid}: {(rss[mid] - rss[first]) / (mid - first):.2f} MB per page; '
              f'{mid}->{last}: {(rss[last] - rss[mid]) / (last - mid):.2f} MB per page.'),
        details={'rss_mb': {str(k): v for k, v in rss.items()}, 'per_extra_page_mb': round(per_page, 2),
                 'pages_are_one_person': 'all pages share one signed-in session (tabs of one person)'},
    )
