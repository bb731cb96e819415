"""A file name no browser would send (`../` and HTML), sent the way a hostile client can: straight to the upload."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures import bad
from tests.reliability.socket_user import LOOK_READY, SocketUser
from tests.support.app_fixtures import StartApp

ASTRONAUT = Path(__file__).resolve().parent.parent / 'fixtures' / 'astronaut.png'


async def test_path_and_markup_in_an_upload_name_go_nowhere(start_app: StartApp) -> None:
    app = start_app()
    user = SocketUser(app.base_url, 'mallory')
    try:
        await user.open('/login')
        await user.click('Enter the sandbox demo')
        await user.wait_for(lambda: user.path.startswith('/studio'), 20, 'the studio')
        await user.click_card('Female')
        await user.should_see(LOOK_READY)
        await user.click('Next: Reference photo')  # the studio draws a step once it is shown
        response = await user.upload(ASTRONAUT, bad.HOSTILE_UPLOAD_NAME)
        assert response.status_code == 200, response.text
        await user.should_see('Face found', 30)
        shown = [word for _, el in user.visible_elements() for word in user.words(el) if '512×512' in word]
        assert shown, 'the photo line with its name is missing'
        assert all('/' not in word and '<' not in word and '..' not in word.split('·')[0] for word in shown), shown
    finally:
        await user.close()
    # Nothing was written outside the data directory, and nothing under it carries the hostile name.
    assert not any('<' in p.name or p.name.startswith('..') for p in app.data_dir.rglob('*'))
    assert not (app.data_dir.parent.parent / 'etc').exists()
    assert not app.unexpected_errors()
