"""The whole flow one simulated person runs, shared by the load test (tests/reliability/test_load.py) and the
capacity benchmark (bench/fig10_capacity.py): demo sign-in, a full random look, a reference photo (every other
person's with a face), Generate, the Details step's name and voice while the cover is painted, the Create step,
Create, the created agent.

A person moves through the steps with their Next buttons: the studio draws only the step on show.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from services.studio.rules import NAME_MAX
from tests.reliability.socket_user import LOOK_READY, SocketUser

AGENT_ID = re.compile(r'[0-9a-f-]{32,36}')


async def sign_in_demo(user: SocketUser, within: float) -> None:
    await user.open('/login')
    await user.click('Enter the sandbox demo', within)
    await user.wait_for(lambda: user.path.startswith('/studio'), within, 'arriving in the studio')


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


async def whole_flow(base_url: str, index: int, photos: dict[str, bytes], *, name: str, user_name: str,
                     within: float) -> dict[str, Any]:
    """One person's flow through `base_url`; `photos` holds 'astronaut' (a face) and 'coffee' (none). Returns
    the agent made, the seconds it took, the instance that served it (nginx's X-Studio-Upstream, '' without
    nginx), the seconds each page load took, and the sockets dropped, reconnected and reloaded on the way."""
    user = SocketUser(base_url, user_name, timeout=within)
    started = time.monotonic()
    try:
        await sign_in_demo(user, within)
        served = (await user.http.get('/favicon.ico')).headers.get('x-studio-upstream', '')
        await user.should_see('Who are you creating?', within)
        # Every press below is pressed again if a dropped socket swallowed it, as a person would (act_until).
        gender = 'Female' if index % 2 else 'Male'
        await act_until(user, lambda: user.click_card(gender, within), lambda: user.sees(LOOK_READY),
                        'the look for the gender')  # the look's option groups for that gender arrived
        # A full random look, as a person in a hurry would pick.
        await act_until(user, lambda: user.click('Surprise me', within),
                        lambda: not user.sees('The look is not complete'), 'a complete look')
        await act_until(user, lambda: user.click('Next: Reference photo', within), lambda: bool(user.upload_fields()),
                        'the photo step')
        face = index % 2 == 0
        response = await user.upload(photos['astronaut' if face else 'coffee'], 'me.png')
        assert response.status_code == 200, response.text
        if face:
            await user.should_see('Face found', within)
        else:
            await user.should_see('No face found', within)
        # "Continue anyway" goes on to the Cover step by itself; with a face, Next does.
        await act_until(user, lambda: user.click('Next: Cover' if face else 'Continue anyway', within),
                        lambda: user.sees('Generate cover'), 'the cover step')
        # Pressed again only when nothing came of it in 30 s: a second cover is what a person's second press makes.
        await act_until(user, lambda: user.click('Generate cover', within),
                        lambda: user.sees('Generating your cover') or user.sees('Chosen cover'), 'the cover to start')
        # Details while the cover is painted.
        await act_until(user, lambda: user.click('Next: Details', within),
                        lambda: user.sees('Language the agent speaks'), 'the details step')
        # The server's count under the field says the name arrived (the field itself shows what was typed).
        await act_until(user, lambda: user.type('Name', name, within), lambda: user.sees(f'{len(name)} / {NAME_MAX}'),
                        'the name to stick')
        voices = await user.wait_for(lambda: [o['label'] for o in user.find_control('Voice', 'update:modelValue')[1]
                                              .get('props', {}).get('options', [])], within, 'voices')
        await user.choose('Voice', voices[0], within)
        await act_until(user, lambda: user.click('Next: Create', within), lambda: user.sees('Create agent'),
                        'the create step')
        await user.wait_for(lambda: not user.find_control('Create agent')[1].get('props', {}).get('disable'),
                            within, 'Create agent to be enabled (the cover finished)')
        await act_until(user, lambda: user.click('Create agent', within),
                        lambda: user.sees(f'Creating {name}') or user.sees(f'{name} is ready'), 'creation to start')
        await user.should_see(f'{name} is ready', within)
        agent_id = await user.wait_for(lambda: next((w for _, el in user.visible_elements() for w in user.words(el)
                                                     if AGENT_ID.fullmatch(w)), None), 10, 'the agent id')
        return {'name': name, 'agent_id': agent_id, 'seconds': time.monotonic() - started,
                'instance': served.split(',')[-1].strip(),
                'opens': [v for k, v in user.timings.items() if k.startswith('open')],
                # The one page change (sign-in to studio) and each reload close a socket on purpose.
                'dropped': len(user.disconnects) - 1 - user.reloads, 'reconnects': user.reconnects,
                'reloads': user.reloads, 'disconnect_reasons': user.disconnect_reasons[1:]}
    finally:
        await user.close()
