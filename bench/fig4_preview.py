"""Figure 4: preview latency, from the upstream answering with a 2 MB PNG to the image on screen.

The app (its own process) talks to the benchmark sandbox, which answers every cover with a 2 MB PNG data
URL and notes the moment its answer starts to leave. Headless Chromium, signed in to the studio, presses
Generate; a script in the page notes when the new cover's <img> has loaded, decoded and been through two
animation frames (it is painted). Both clocks are this machine's; the difference is the latency.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from pathlib import Path

from bench.browser import app_on, chromium, sign_in_byok, upstream_events
from bench.common import Figure, median, percentile, sandbox_upstream
from tests.browser.chrome import Browser
from tests.browser.studio import go_to_step

KEY = 'preview_latency'
TITLE = 'Preview latency'
TARGET_MS = 300.0
TARGET_TEXT = f'median <= {TARGET_MS:g} ms'
COVER_BYTES = 2_000_000
UPSTREAM_LATENCY = 2.0
RUNS = 7

# Records, per cover job id, when its first <img> was painted. The media URL carries an itsdangerous token
# whose first part is base64url JSON [owner digest, kind, id]; reading the id lets re-rendered URLs of the same
# cover count once, whether the page shows the original ('cover') or its display-sized copy ('cover-preview').
OBSERVER = r'''
if (!window.__covers) {
  window.__covers = {};
  performance.setResourceTimingBufferSize(100000);
  const jobOf = (src) => {
    const m = /\/media\/([^?#]+)/.exec(src || '');
    if (!m) return null;
    const payload = m[1].split('.')[0];
    if (!payload) return null;
    try {
      const b64 = payload.replace(/-/g, '+').replace(/_/g, '/');
      const parts = JSON.parse(atob(b64 + '='.repeat((4 - b64.length % 4) % 4)));
      return (parts[1] === 'cover' || parts[1] === 'cover-preview') ? parts[2] : null;
    } catch (e) { return null; }
  };
  const painted = (img) => {
    const id = jobOf(img.currentSrc || img.src);
    if (!id || window.__covers[id] || !img.naturalWidth) return;
    img.decode().catch(() => {}).then(() => requestAnimationFrame(() => requestAnimationFrame(() => {
      if (window.__covers[id]) return;
      const entry = performance.getEntriesByName(img.currentSrc || img.src)[0];
      const epoch = (t) => entry ? performance.timeOrigin + t : null;
      window.__covers[id] = {shown: Date.now(), fetchStart: epoch(entry && entry.startTime),
                             responseEnd: epoch(entry && entry.responseEnd)};
    })));
  };
  const watch = (img) => {
    if (!img.__benchWatched) { img.__benchWatched = true; img.addEventListener('load', () => painted(img)); }
    if (img.complete) painted(img);
  };
  new MutationObserver(() => document.querySelectorAll('img').forEach(watch))
    .observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  document.querySelectorAll('img').forEach(watch);
}
'''


def _newest_cover_finished_at(data_dir: Path) -> float | None:
    """When the app's job layer finished the newest cover job (epoch seconds), from its own job table (the app's
    default SQLite database in its data directory)."""
    with contextlib.closing(sqlite3.connect(f'file:{data_dir / "studio.sqlite3"}?mode=ro', uri=True)) as db:
        for (data,) in db.execute('SELECT data FROM jobs ORDER BY created_at DESC'):
            job = json.loads(data)
            if job.get('kind') == 'cover':
                return job.get('finished_at')
    return None


def _one(browser: Browser, upstream: str, data_dir: Path) -> dict[str, float]:
    """Press Generate once; seconds from the upstream's answer to the new cover on screen, and its parts."""
    answers_before = len(upstream_events(upstream)['cover_answers'])
    resources_before = browser.js("return performance.getEntriesByType('resource').length")
    covers_before = set(browser.js('return Object.keys(window.__covers)'))
    browser.click('Generate')
    answered = browser.wait(lambda: (upstream_events(upstream)['cover_answers'][answers_before:] or [None])[0],
                            UPSTREAM_LATENCY + 30, 'the upstream never answered the cover request')
    seen = browser.wait(lambda: next((t for k, t in browser.js('return window.__covers').items()
                                      if k not in covers_before), None), 30, 'the new cover was never displayed')
    parts = {'total': seen['shown'] / 1000 - answered}
    time.sleep(0.3)  # let the other images of the same redraw finish, to count them
    media = browser.js("""return performance.getEntriesByType('resource').slice(arguments[0])
        .filter(e => e.name.includes('/media/')).map(e => e.transferSize || e.encodedBodySize || 0)""",
                       resources_before)
    parts['media_requests'] = len(media)
    parts['media_mb'] = sum(media) / 1e6
    finished = _newest_cover_finished_at(data_dir)
    if finished and seen.get('fetchStart') and seen.get('responseEnd'):
        # The app receives, checks and stores the cover; the page learns of it and sends the new <img>; the
        # browser fetches, decodes and paints it.
        parts['app_receives_and_stores'] = finished - answered
        parts['page_notices_and_requests'] = seen['fetchStart'] / 1000 - finished
        parts['image_transfer'] = (seen['responseEnd'] - seen['fetchStart']) / 1000
        parts['decode_and_paint'] = (seen['shown'] - seen['responseEnd']) / 1000
    return parts


def run(quick: bool = False) -> Figure:
    runs = 2 if quick else RUNS
    latencies: list[dict[str, float]] = []
    with sandbox_upstream(f'{UPSTREAM_LATENCY:g}', create_share=0.0, cover_bytes=COVER_BYTES) as upstream, \
            app_on(upstream) as app, chromium(app.base_url, 'fig4') as browser:
        sign_in_byok(browser, 'bench-preview')
        browser.wait_text('Create a character', timeout=30)
        browser.click('Surprise me')
        browser.wait_text('A random look is ready', timeout=30)
        go_to_step(browser, 'Cover')
        browser.js(OBSERVER)
        for _ in range(runs):
            latencies.append(_one(browser, upstream, app.data_dir))
            time.sleep(0.5)
        browser.shot('fig4-last-cover')
    ms = [p['total'] * 1000 for p in latencies]
    value = median(ms)
    media_requests = [int(p['media_requests']) for p in latencies]
    media_mb = [round(p['media_mb'], 1) for p in latencies]
    breakdown = {part: round(median([p[part] * 1000 for p in latencies if part in p]), 1)
                 for part in ('app_receives_and_stores', 'page_notices_and_requests', 'image_transfer',
                              'decode_and_paint')
                 if any(part in p for p in latencies)}
    parts = ', '.join(f'{name.replace("_", " ")} {ms_:g} ms' for name, ms_ in breakdown.items())
    note = f'Where the time goes (medians): {parts}. Image downloads per new cover: {media_requests}.'
    note += (' The page is told of the finished job at once (JobManager.subscribe; before, a 1 s poll: 1122 ms '
             'median) and shows a 640 px JPEG preview made while the cover is checked (before, the 2 MB original).')
    if value > TARGET_MS:
        note += (' What is left: storing the cover (base64 decode, full PNG check and the preview, in threads) and '
                 'the redraw reaching the browser; both grow with other load on this 2-core machine (see the load '
                 'average and the spread of the runs).')
    return Figure(
        key=KEY, title=TITLE, target=TARGET_TEXT, value=round(value, 1), unit='ms', met=value <= TARGET_MS,
        note=note,
        method=(f'The app (own process, BYOK sign-in) on the benchmark sandbox, which answers covers after '
                f'{UPSTREAM_LATENCY:g} s with a {COVER_BYTES / 1e6:g} MB PNG data URL and notes when its answer '
                f'leaves; headless Chromium presses Generate {runs} times on the studio\'s Cover step and notes when '
                'each new cover is painted (img load + decode + two animation frames). Median of the runs.'),
        details={'runs_ms': [round(v, 1) for v in ms], 'median_breakdown_ms': breakdown,
                 'media_requests_per_generate': media_requests, 'media_mb_per_generate': media_mb,
                 'p90_ms': round(percentile(ms, 90), 1),
                 'min_ms': round(min(ms), 1), 'max_ms': round(max(ms), 1), 'cover_bytes': COVER_BYTES},
    )
