"""The photo step says why a file was refused, whoever refused it (issue 12, items 1 and 7).

The browser's picker reports a refusal as Quasar's `rejected` event, an upload the server refused (413 from the
body limit) as `failed`; here both are sent the way the page's JavaScript handlers send them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui.testing import User

from components.photo_picker import failed_message, rejected_message
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import FEMALE_LOOK, StudioEnv, choose_look, click, open_studio, see, studio_env

MB = 1024 * 1024


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


@pytest.fixture
async def photo_step(env: StudioEnv, user: User) -> User:
    await open_studio(user)
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    await see(user, 'photo-upload')
    return user


@pytest.mark.parametrize(('entry', 'says'), [
    ({'reason': 'accept', 'name': 'IMG_0042.HEIC', 'size': 3 * MB, 'type': 'image/heic'},
     'HEIC is not supported: export the photo as JPEG'),
    ({'reason': 'accept', 'name': 'party.gif', 'size': 2 * MB, 'type': 'image/gif'}, 'GIF is not supported'),
    ({'reason': 'max-file-size', 'name': 'holiday.jpg', 'size': 12 * MB, 'type': 'image/jpeg'},
     'The file is 12.0 MB; the limit is 10.0 MB.'),
])
async def test_the_picker_refusal_is_named(photo_step: User, entry: dict[str, object], says: str) -> None:
    photo_step.find(marker='photo-upload').trigger('rejected', [entry])
    await see(photo_step, content=says)


async def test_a_413_from_the_server_shows_the_same_sentence(photo_step: User) -> None:
    photo_step.find(marker='photo-upload').trigger('failed', {'status': 413, 'size': 400 * MB})
    await see(photo_step, content='The file is 400.0 MB; the limit is 10.0 MB.')


def test_whatever_the_browser_sends_only_picks_a_sentence() -> None:
    assert rejected_message('<b>garbage</b>', 10 * MB).startswith('This file is not supported')
    assert rejected_message([[{'reason': 'accept', 'name': 'x.gif', 'size': 'lots'}]], 10 * MB).startswith('GIF')
    assert failed_message({'status': 'x'}, 10 * MB).startswith('The connection dropped')
    assert failed_message({'status': 401}, 10 * MB).startswith('Your session has ended')
    assert failed_message([{'status': 413}], 10 * MB).startswith('The file is larger than the limit of 10.0 MB')
