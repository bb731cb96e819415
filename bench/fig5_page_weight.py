"""Figure 5: page weight and first render of the studio page, cold and warm; upstream calls per view.

The app (its own process) on the benchmark sandbox, which counts every request it receives. Headless
Chromium signs in once and picks a look (so each studio view needs the material options). A cold view
has the browser's HTTP cache cleared first (cookies kept, so it stays signed in); a warm view follows
right after. Bytes are the DevTools encodedDataLength of every HTTP response plus websocket frames
received until the page settles; first render is the Paint Timing API's first-contentful-paint.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.browser import app_on, chromium, sign_in_byok, upstream_events
from bench.common import Figure, median, sandbox_upstream
from tests.browser.chrome import Browser

KEY = 'page_weight'
TITLE = 'Page weight and first render'
TARGET_TEXT = 'upstream options calls per warm page view = 0 (bytes and first render reported)'
VIEWS = 4
SETTLE = 1.5  # seconds after the page is connected, for late requests (images, fonts) to finish
OPTIONS_PATH = '/v1/config/options'


def _drain(browser: Browser) -> None:
    browser.driver.get_log('performance')


def _view(browser: Browser, *, cold: bool) -> dict[str, Any]:
    if cold:
        browser.driver.execute_cdp_cmd('Network.clearBrowserCache', {})
    _drain(browser)
    started = time.monotonic()
    browser.driver.get(browser.base_url + '/studio')
    browser.wait_connected(30)
    browser.wait_text('Create a character', timeout=30)
    ready = time.monotonic() - started
    time.sleep(SETTLE)
    http_bytes, ws_bytes, requests, cached = 0, 0, 0, 0
    kinds: dict[str, str] = {}  # request id -> resource type (Document, Script, Image, ...)
    by_kind: dict[str, float] = {}
    for entry in browser.driver.get_log('performance'):
        message = json.loads(entry['message'])['message']
        method, params = message.get('method', ''), message.get('params', {})
        if method == 'Network.loadingFinished':
            size = int(params.get('encodedDataLength', 0))
            http_bytes += size
            kind = kinds.get(params.get('requestId', ''), 'Other')
            by_kind[kind] = by_kind.get(kind, 0) + size / 1024
        elif method == 'Network.requestWillBeSent':
            requests += 1
            kinds[params.get('requestId', '')] = params.get('type', 'Other')
        elif method == 'Network.requestServedFromCache':
            cached += 1
        elif method == 'Network.webSocketFrameReceived':
            ws_bytes += len(params.get('response', {}).get('payloadData', '').encode())
    timing = browser.js('''
        const nav = performance.getEntriesByType('navigation')[0];
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        return {fcp: fcp ? fcp.startTime : null, dcl: nav ? nav.domContentLoadedEventEnd : null,
                load: nav ? nav.loadEventEnd : null};''')
    return {'http_kb': round(http_bytes / 1024, 1), 'websocket_kb': round(ws_bytes / 1024, 1),
            'requests': requests, 'from_cache': cached, 'fcp_ms': timing['fcp'],
            'dom_content_loaded_ms': timing['dcl'], 'load_ms': timing['load'],
            'ready_s': round(ready, 3), 'kb_by_type': {k: round(v, 1) for k, v in sorted(by_kind.items())}}


def _summary(views: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ('http_kb', 'websocket_kb', 'requests', 'from_cache', 'fcp_ms', 'dom_content_loaded_ms', 'load_ms',
            'ready_s')
    return {k: round(median([v[k] for v in views if v[k] is not None]), 1) for k in keys}


def run(quick: bool = False) -> Figure:
    views = 2 if quick else VIEWS
    cold: list[dict[str, Any]] = []
    warm: list[dict[str, Any]] = []
    with sandbox_upstream('1', create_share=0.0) as upstream, app_on(upstream) as app, \
            chromium(app.base_url, 'fig5') as browser:
        sign_in_byok(browser, 'bench-pages')
        browser.wait_text('Create a character', timeout=30)
        browser.click('Surprise me')  # a chosen gender makes every studio view show (and need) the options
        browser.wait_text('A random look is ready', timeout=30)
        _view(browser, cold=False)  # the first view after the look fills the app's options cache
        before = upstream_events(upstream)['counts']
        for _ in range(views):
            cold.append(_view(browser, cold=True))
            warm.append(_view(browser, cold=False))
        after = upstream_events(upstream)['counts']
    calls = {path: after.get(path, 0) - before.get(path, 0) for path in after if path.startswith('/v1/')}
    calls = {path: n for path, n in calls.items() if n}
    per_view = calls.get(OPTIONS_PATH, 0) / (2 * views)
    c, w = _summary(cold), _summary(warm)
    return Figure(
        key=KEY, title=TITLE, target=TARGET_TEXT, value=per_view, unit='options calls per view', met=per_view == 0,
        method=(f'App on the counting benchmark sandbox; headless Chromium signed in with a look chosen; {views} cold '
                '(HTTP cache cleared, still signed in) and warm views of /studio, alternating. Bytes: DevTools '
                'encodedDataLength of HTTP responses plus websocket frames received within '
                f'{SETTLE:g} s of the page connecting; first render: first-contentful-paint; medians.'),
        note=(f'Cold: {c["http_kb"]:g} KB over HTTP in {c["requests"]:g} requests '
              f'(+{c["websocket_kb"]:g} KB websocket), '
              f'first paint {c["fcp_ms"]:g} ms. Warm: {w["http_kb"]:g} KB in {w["requests"]:g} requests '
              f'(+{w["websocket_kb"]:g} KB websocket), first paint {w["fcp_ms"]:g} ms. Upstream calls during the '
              f'{2 * views} views: {calls or "none"}.'),
        details={'cold': c, 'warm': w, 'cold_kb_by_type': cold[0]['kb_by_type'],
                 'warm_kb_by_type': warm[0]['kb_by_type'], 'upstream_calls_during_views': calls, 'views_each': views,
                 'cold_runs': cold, 'warm_runs': warm},
    )
