"""Helpers for the studio's user-fixture tests: the app on a real sandbox, a signed-in person, clicks by marker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.conftest import TEST_KEY, TEST_SECRET
from tests.support.auth_support import add_account, configure, sign_in
from tests.support.sandbox_server import RunningSandbox

FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures'
FEMALE_LOOK = {'Age': '18-25', 'Ethnicity': 'east_asian', 'BodyType': 'curvy', 'HairColor': 'black',
               'HairStyle': 'bob', 'BreastSize': 'medium', 'ButtSize': 'medium'}
MALE_LOOK = {'Age': '26-35', 'Ethnicity': 'latino', 'BodyType': 'muscular', 'HairColor': 'brown',
             'HairStyle': 'undercut'}


@dataclass
class StudioEnv:
    data_dir: Path
    sandbox: RunningSandbox


def studio_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox, **env: str) -> StudioEnv:
    """Point the app (main.py, loaded by the `user` fixture afterwards) at the test sandbox."""
    data_dir = tmp_path / 'app'
    settings = {'PLATFORM_SLOW_TIMEOUT': '20', 'PLATFORM_TIMEOUT': '10', **env}
    configure(monkeypatch, data_dir, PLATFORM_BASE_URL=sandbox.base_url, PLATFORM_API_KEY=TEST_KEY,
              PLATFORM_API_SECRET=TEST_SECRET, STUDIO_AUTH_MODES='accounts', **settings)
    add_account(data_dir, 'alice')
    add_account(data_dir, 'bob')
    add_account(data_dir, 'carol')
    return StudioEnv(data_dir, sandbox)


async def open_studio(user: User, name: str = 'alice') -> None:
    await sign_in(user, name)
    # Signing in ends on '/', which redirects to the studio.
    try:
        await user.should_see(marker='studio-title', retries=300)  # any language; scrypt is slow on a busy box
    except AssertionError:
        # NiceGUI's user simulation sends ui.navigate to whichever simulated user was touched last: with a second
        # person's page open, the redirect after a sign-in can land in the other one's browser. This person is
        # signed in all the same; they open the studio themselves, as a person would whose page did not move.
        await user.open('/studio')
        await user.should_see(marker='studio-title', retries=100)


def click(user: User, marker: str) -> None:
    user.find(marker=marker).click()


async def eventually(check: Callable[[], bool], *, seconds: float = 10.0, what: str = 'condition') -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        await asyncio.sleep(0.05)


async def see(user: User, marker: str | None = None, *, content: str | None = None, seconds: float = 15.0) -> None:
    """should_see with a generous wait: jobs and uploads finish on their own schedule."""
    await user.should_see(marker=marker, content=content, retries=int(seconds / 0.1))


async def choose_look(user: User, gender: str, look: dict[str, str]) -> None:
    click(user, f'gender-{gender}')
    await see(user, f'tile-Age-{look["Age"]}')
    for category, code in look.items():
        click(user, f'tile-{category}-{code}')
    # Refreshed sections are rebuilt on the next turn of the loop: wait until the Look step shows as done (its
    # check mark in the stepper's header; the Generate button is on the Cover step, drawn once it is shown).
    await eventually(lambda: step_done(user, 'look'), what='the Look step to be done')


def stepper(user: User) -> ui.stepper:
    (element,) = user.find(kind=ui.stepper).elements
    assert isinstance(element, ui.stepper)
    return element


def step_done(user: User, step: str) -> bool:
    """Whether the stepper's header shows the step's check mark."""
    return any(e.props.get('name') == step and e.props.get(':done') == 'true' for e in user.find(kind=ui.step).elements)


async def go_to_step(user: User, step: str) -> None:
    """Click the step's title in the stepper's header (header-nav), as a person does to go to any step. The page
    draws only the step on show (pages/studio/view.py): a step's content is there once it has been shown."""
    with user:
        stepper(user).value = step
    await eventually(lambda: stepper(user).value == step, what=f'the {step} step to be shown')


def texts(user: User, marker: str) -> list[str]:
    return [getattr(e, 'text', '') for e in user.find(marker=marker).elements]


def select_value(user: User, marker: str, value: str) -> None:
    element = next(iter(user.find(marker=marker).elements))
    assert isinstance(element, ui.select | ui.toggle)
    with user:
        element.value = value


def type_into(user: User, marker: str, text: str) -> None:
    user.find(marker=marker).clear().type(text)


async def upload(user: User, filename: str, data: bytes | None = None, content_type: str = 'image/png') -> None:
    """Hand a file to the photo step's uploader, as the browser would after the person picked it."""
    content = data if data is not None else (FIXTURES / filename).read_bytes()
    element = next(iter(user.find(marker='photo-upload').elements))
    assert isinstance(element, ui.upload)
    with user:
        await element.handle_uploads([ui.upload.SmallFileUpload(name=filename, content_type=content_type,
                                                                _data=content)])


async def create_enabled(user: User) -> None:
    """Go to the Create step (by its title in the header, from wherever the person is) and wait until its
    Create button can be pressed."""
    await go_to_step(user, 'create')
    await eventually(lambda: any(e.enabled for e in user.find(marker='create-agent').elements),
                     what='the Create button to be enabled')


def close_tab(user: User) -> None:
    """The person closes the tab: its page and timers go away at once. (Closing rather than navigating
    elsewhere matters in NiceGUI's simulation: navigation is routed to whichever simulated browser last sent
    an update, so a page still updating in one browser could catch another browser's post-sign-in redirect.)"""
    if user.client is not None:
        user.client.delete()
