"""Figure 7: the time the app adds between the upstream's first piece of a reply and its appearance in the browser.

The app (its own process) talks to the benchmark sandbox, which streams every reply as Server-Sent Events at a
steady pace and notes the moment the first piece of each reply leaves (bench/sandbox_server.py). Headless Chromium,
signed in on the chat page, sends a message; a MutationObserver in the page notes when the reply's first text is in
the DOM. Both clocks are this machine's; the difference is what the app adds: reading the stream, the page's
update, the websocket and the browser's render.
"""

from __future__ import annotations

import asyncio
import time

from bench.browser import app_on, chromium, sign_in_byok, upstream_events
from bench.common import Figure, bench_principal, median, percentile, sandbox_upstream
from bench.sandbox_server import BENCH_KEY
from sandbox.routes.guard import CONTROL_HEADERS
from tests.browser.chrome import Browser

KEY = 'chat_first_piece'
TITLE = 'First piece of a reply on screen'
TARGET_MS = 100.0
TARGET_TEXT = f'app-added time, upstream first piece -> browser, median <= {TARGET_MS:g} ms'
PACE = 0.05  # seconds between pieces (the first waits four paces)
ROUNDS = 20

# window.__round = {base, first}: `first` is the page's clock when one more reply text than `base` is non-empty.
OBSERVER = r'''
if (!window.__chatObserver) {
  const replies = () => [...document.querySelectorAll('.chat-reply')].filter(e => (e.innerText || '').trim()).length;
  window.__replies = replies;
  window.__chatObserver = new MutationObserver(() => {
    const round = window.__round;
    if (round && !round.first && replies() > round.base) round.first = Date.now();
  });
  window.__chatObserver.observe(document.body, {subtree: true, childList: true, characterData: true});
}
'''


async def _agent(upstream: str) -> str:
    import httpx

    from services.platform.client import PlatformClient
    from tests.support.chat_support import make_agent

    async with httpx.AsyncClient() as http:
        (await http.post(f'{upstream}/_sandbox/chat', json={'pace': f'{PACE:g}'},
                         headers=CONTROL_HEADERS)).raise_for_status()
    client = PlatformClient(base_url=upstream)
    try:
        return (await make_agent(client, bench_principal('fig7').credentials)).agentId
    finally:
        await client.aclose()


def _round(browser: Browser, upstream: str, index: int) -> dict[str, float]:
    browser.js(OBSERVER)
    browser.js('window.__round = {base: window.__replies(), first: null}')
    before = len(upstream_events(upstream).get('chat_streams', []))
    browser.fill('Write a message', f'Message number {index}, tell me more')
    browser.click('Send', exact=True)  # the round button's aria-label
    first = browser.wait(lambda: browser.js('return window.__round.first'), 20, 'the reply never appeared')
    # The reply is over when its "writing…" mark is gone.
    browser.wait(lambda: not browser.has_text('writing…'), 30, 'the reply never finished')
    streams = upstream_events(upstream)['chat_streams']
    assert len(streams) == before + 1, 'one message, one streamed reply upstream'
    call = streams[-1]
    return {'app_added_ms': round(first - call['first_piece'] * 1000, 1),
            'upstream_first_piece_after_request_ms': round((call['first_piece'] - call['received']) * 1000, 1)}


def measure(rounds: int) -> list[dict[str, float]]:
    with sandbox_upstream('0') as upstream:
        agent_id = asyncio.run(_agent(upstream))
        with app_on(upstream) as app, chromium(app.base_url, 'fig7') as browser:
            sign_in_byok(browser, 'fig7', then=f'/agents/{agent_id}/chat')
            browser.open(f'/agents/{agent_id}/chat')
            browser.wait(lambda: browser.find_clickable('Picture') and browser.enabled(
                browser.find_clickable('Picture')), 30, 'the conversation did not start')
            _round(browser, upstream, 0)  # warm-up: imports, the connection, the first render of a reply
            results = []
            for index in range(1, rounds + 1):
                results.append(_round(browser, upstream, index))
                time.sleep(0.2)
            return results


def run(quick: bool = False) -> Figure:
    rounds = measure(5 if quick else ROUNDS)
    added = [r['app_added_ms'] for r in rounds]
    value = round(median(added), 1)
    return Figure(
        key=KEY, title=TITLE, target=TARGET_TEXT, value=value, unit='ms median', met=value <= TARGET_MS,
        method=(f'{len(rounds)} messages sent on the chat page in headless Chromium (the real app in its own '
                f'process, BYOK sign-in with key {BENCH_KEY}) to the benchmark sandbox, which streams each reply as '
                f'SSE, one piece per {PACE:g} s, and notes when its first piece leaves; a MutationObserver notes when '
                'the reply\'s first text is in the DOM. Value: median of the differences (after one warm-up round).'),
        note=(f'App-added time from the upstream\'s first piece to the browser: median {value:g} ms, p90 '
              f'{percentile(added, 90):.1f} ms, max {max(added):.1f} ms.'),
        details={'app_added_ms_median': value, 'app_added_ms_p90': round(percentile(added, 90), 1),
                 'app_added_ms_max': max(added), 'rounds': rounds},
    )
