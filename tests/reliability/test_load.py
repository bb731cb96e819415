"""Fifty people run the whole flow at the same moment against one app process and its sandbox.

Each simulated person is a SocketUser: own cookies, own websocket, the same page loads and events a
browser makes. Meanwhile a probe keeps opening pages as yet another person and records how long they take.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability import flows
from tests.reliability.socket_user import SocketUser
from tests.support.app_fixtures import StartApp
from tests.support.app_process import AppProcess

USERS = int(os.environ.get('STUDIO_LOAD_USERS', '50'))  # fewer when debugging the flow itself
LATENCY = '3-6'  # seconds per cover; creation takes a quarter of it
FIXTURES = Path(__file__).resolve().parent.parent / 'fixtures'
STEP = 180.0  # generous per step: on two busy cores fifty face checks and drawings queue up


async def whole_flow(app: AppProcess, index: int, photos: dict[str, bytes]) -> dict[str, Any]:
    return await flows.whole_flow(app.base_url, index, photos, name=f'Loadtest {index:02d}',
                                  user_name=f'user{index:02d}', within=STEP)


async def probe(app: AppProcess, stop: asyncio.Event) -> list[float]:
    """Another person, signed in before the rush, opening pages over and over: the seconds each took."""
    timings: list[float] = []
    user = SocketUser(app.base_url, 'probe', timeout=STEP)
    try:
        await flows.sign_in_demo(user, STEP)
        while not stop.is_set():
            for path, text in (('/agents', 'Search by name'), ('/studio', 'Create a character')):
                started = time.monotonic()
                await user.open(path)
                await user.should_see(text, STEP)
                timings.append(time.monotonic() - started)
            await asyncio.sleep(0.5)
    finally:
        await user.close()
    return timings


@pytest.mark.slow
async def test_fifty_people_at_once(start_app: StartApp, artifacts: Path) -> None:
    # The embedded sandbox stands in for the platform, which in production runs on other machines. Here it
    # shares the app's process and two cores with fifty simulated browsers, so its face checks (~130 ms of
    # CPU each) queue past the 30 s client timeout meant for a real, separately-scaled upstream. What this
    # test judges is the app: everyone finishes, nothing is logged as an error, other pages stay responsive.
    app = start_app(SANDBOX_LATENCY=LATENCY, PLATFORM_TIMEOUT='150')
    photos = {name: (FIXTURES / f'{name}.png').read_bytes() for name in ('astronaut', 'coffee')}
    # The app is warm (first page, options fetched) before the clock starts, as it would be in production.
    async with httpx.AsyncClient() as client:
        (await client.get(app.url('/login'))).raise_for_status()

    stop = asyncio.Event()
    probing = asyncio.create_task(probe(app, stop))
    await asyncio.sleep(2)
    started = time.monotonic()
    results = await asyncio.gather(*(whole_flow(app, i, photos) for i in range(USERS)), return_exceptions=True)
    elapsed = time.monotonic() - started
    stop.set()
    probe_timings = await probing

    failures = [f'{i}: {r!r}' for i, r in enumerate(results) if isinstance(r, BaseException)]
    done = [r for r in results if isinstance(r, dict)]
    durations = sorted(float(r['seconds']) for r in done)
    summary = (f'{len(done)}/{USERS} finished in {elapsed:.1f}s; per person median '
               f'{statistics.median(durations) if durations else 0:.1f}s, max {max(durations, default=0):.1f}s; '
               f'probe page loads: {len(probe_timings)}, median {statistics.median(probe_timings or [0]):.2f}s, '
               f'max {max(probe_timings, default=0):.2f}s; sockets dropped by the server and recovered as a '
               f'browser would: {sum(int(r["dropped"]) for r in done)} '
               f'({sum(int(r["reconnects"]) for r in done)} reconnects, {sum(int(r["reloads"]) for r in done)} '
               f'reloads)')
    (artifacts / 'load-summary.txt').write_text(summary + '\n' + '\n'.join(failures))
    print(summary)

    assert not failures, '\n'.join(failures[:5])
    assert len({r['agent_id'] for r in done}) == USERS, 'some people did not get their own agent'
    assert len({r['name'] for r in done}) == USERS
    errors = app.unexpected_errors()
    assert not errors, '\n\n'.join(errors[:5])
    # Other people's pages stayed usable throughout: no page took longer than a person would wait.
    assert probe_timings, 'the probe never got a page'
    # Typical page loads stay quick; on two cores fully busy with fifty flows and their fifty simulated
    # browsers, a single load has peaked at 10.5 s (CI, 2026-11-21), so the worst case gets more room than
    # the typical one. Whether that is acceptable is a capacity question for bench/, not for this test.
    assert statistics.median(probe_timings) < 2, summary
    assert max(probe_timings) < 15, summary
