"""People on the cluster: simulated browsers (tests/reliability/socket_user.py) that go through nginx, and the
few things about routing a test needs to know or change (which instance served them, moving them to another).
"""

from __future__ import annotations

import re
import secrets

from deploy.cluster import Cluster
from deploy.nginx import ROUTE_COOKIE
from deploy.servers import Instance
from tests.reliability.socket_user import SocketUser

LOOK_READY = re.compile(r'\d+ of \d+ chosen')  # the look step's progress, once a gender is chosen
STEP = 60.0  # seconds any one step may take on two busy cores


async def demo_person(cluster: Cluster, name: str) -> SocketUser:
    """A new browser signed in with the one-click sandbox demo, on the studio page."""
    user = SocketUser(cluster.url, name, timeout=STEP)
    await user.open('/login')
    await user.click('Enter the sandbox demo')
    await user.wait_for(lambda: user.path.startswith('/studio'), STEP, 'arriving in the studio')
    await user.should_see('Who are you creating?', STEP)
    return user


async def choose_look(user: SocketUser, gender: str = 'Female') -> None:
    await user.click_card(gender, STEP)
    await user.should_see(LOOK_READY, STEP)  # the look's option groups for that gender arrived
    await user.click('Surprise me', STEP)
    await user.wait_for(lambda: not user.sees('The look is not complete'), STEP, 'a complete look')


async def start_cover(user: SocketUser, gender: str = 'Female') -> None:
    """Look, no reference photo, Generate: returns once the page says the cover is being painted."""
    await choose_look(user, gender)
    await user.click('Next: Reference photo', STEP)
    await user.click('Continue without a photo', STEP)
    # Pressed again if the press was lost (a redraw under it on a busy machine), as a person would; a refusal
    # (a limit, a restarting instance) is reported with its words.
    for _ in range(3):
        await user.click('Generate cover', STEP)
        try:
            await user.should_see('Generating your cover', 20)
            return
        except AssertionError:
            continue
    raise AssertionError(f'{user.name}: Generate cover did not start a generation; notifications: '
                         f'{user.notifications[-3:]}')


async def served_by(cluster: Cluster, user: SocketUser) -> Instance:
    """The instance nginx sends this browser to now (a public path, so it needs no sign-in)."""
    response = await user.http.get('/favicon.ico')
    return cluster.instance_at(response.headers['x-studio-upstream'])


def route_of(user: SocketUser) -> str | None:
    return next((cookie.value for cookie in user.http.cookies.jar if cookie.name == ROUTE_COOKIE), None)


async def move_to(cluster: Cluster, user: SocketUser, target: Instance) -> None:
    """Give the browser a route cookie that nginx hashes to `target`, as when its own instance went away or a new
    instance took over its share. Everything else about the browser (its session cookie) stays."""
    for _ in range(64):  # each guess lands on `target` about half the time with two instances
        user.http.cookies.set(ROUTE_COOKIE, secrets.token_hex(16), domain=_cookie_domain(user), path='/')
        if await served_by(cluster, user) is target:
            return
    raise AssertionError(f'no route cookie led to {target.name}')


def _cookie_domain(user: SocketUser) -> str:
    for cookie in user.http.cookies.jar:
        if cookie.name == ROUTE_COOKIE:
            user.http.cookies.delete(ROUTE_COOKIE, domain=cookie.domain, path=cookie.path)
            return cookie.domain
    return '127.0.0.1'
