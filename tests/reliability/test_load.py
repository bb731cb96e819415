"""Fifty people run the whole flow at the same moment against one app process and its sandbox.

Each simulated person is a SocketUser: own cookies, own websocket, the same page loads and events a
browser makes. Meanwhile a probe keeps opening pages as yet another person and records how long they take.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from tests.reliability.socket_user import LOOK_READY, SocketUser
from tests.support.app_fixtures import StartApp
from tests.support.app_process import AppProcess

USERS = int(os.environ.get('STUDIO_LOAD_USERS', '50'))  # fewer when debugging the flow itself
LATENCY = '3-6'  # seconds per cover; creation takes a quarter of it
FIXTURES = Path(__file__).resolve().parent.parent / 'fixtures'
STEP = 180.0  # generous per step: on two busy cores fifty face checks and drawings queue up


async def sign_in_demo(user: SocketUser) -> None:
    await user.open('/login')
    await user.click('Enter the sandbox demo')
    await user.wait_for(lambda: user.path.startswith('/studio'), STEP, 'arriving in the studio')


async def act_until(user: SocketUser, act: Callable[[], Awaitable[None]], done: Callable[[], bool],
                    what: str, attempts: int = 3) -> None:
    """Do something and see that it took; if a dropped socket swallowed it, do it again, as a person would."""
    for _ in range(attempts):
        await act()
        try:
            await user.wait_for(done, 30, what)
            return
        except AssertionError:
            continue
    raise AssertionError(f'{user.name}: {what} did not happen after {attempts} tries')


async def whole_flow(app: AppProcess, index: int, photos: dict[str, bytes]) -> dict[str, str | float]:
    name = f'Loadtest {index:02d}'
    user = SocketUser(app.base_url, f'user{index:02d}', timeout=STEP)
    started = time.monotonic()
    try:
        await sign_in_demo(user)
        await user.should_see('Who are you creating?', STEP)
        await user.click_card('Female' if index % 2 else 'Male', STEP)
        await user.should_see(LOOK_READY, STEP)  # the look's option tiles for that gender arrived
        # A full random look, as a person in a hurry would pick; clicked again if the page was reloaded under it.
        for _ in range(3):
            await user.click('Surprise me', STEP)
            try:
                await user.wait_for(lambda: not user.sees('The look is not complete'), 30, 'a complete look')
                break
            except AssertionError:
                continue
        else:
            raise AssertionError(f'{user.name}: Surprise me never completed the look')
        await user.click('Next: Reference photo', STEP)

        face = index % 2 == 0
        response = await user.upload(photos['astronaut' if face else 'coffee'], 'me.png')
        assert response.status_code == 200, response.text
        if face:
            await user.should_see('Face found', STEP)
        else:
            await user.should_see('No face found', STEP)
            await user.click('Continue anyway', STEP)

        await user.click('Generate cover', STEP)
        await user.should_see('Generating your cover', STEP)
        # Details while the cover is painted.
        await act_until(user, lambda: user.type('Name', name, STEP), lambda: user.sees(name), 'the name to stick')
        voice = await user.wait_for(lambda: [o['label'] for o in user.find_control('Voice', 'update:modelValue')[1]
                                             .get('props', {}).get('options', [])], STEP, 'voices')
        await user.choose('Voice', voice[0], STEP)
        await user.should_see('Chosen cover', STEP)
        await user.wait_for(lambda: not user.find_control('Create agent')[1].get('props', {}).get('disable'),
                            STEP, 'Create agent to be enabled')
        await act_until(user, lambda: user.click('Create agent', STEP),
                        lambda: user.sees(f'Creating {name}') or user.sees(f'{name} is ready'), 'creation to start')
        await user.should_see(f'{name} is ready', STEP)
        agent_id = await user.wait_for(lambda: next(
            (w for _, el in user.visible_elements() for w in user.words(el)
             if re.fullmatch(r'[0-9a-f-]{32,36}', w)), None), 10, 'the agent id')
        return {'name': name, 'agent_id': agent_id, 'seconds': time.monotonic() - started,
                # The one page change (sign-in to studio) and each reload close a socket on purpose.
                'dropped': len(user.disconnects) - 1 - user.reloads, 'reconnects': user.reconnects,
                'reloads': user.reloads}
    finally:
        await user.close()


async def probe(app: AppProcess, stop: asyncio.Event) -> list[float]:
    """Another person, signed in before the rush, opening pages over and over: the seconds each took."""
    timings: list[float] = []
    user = SocketUser(app.base_url, 'probe', timeout=STEP)
    try:
        await sign_in_demo(user)
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
