"""Two people signed in at once, each generating a cover: neither sees, nor can fetch, the other's work."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from runtime import runtime
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    FEMALE_LOOK,
    MALE_LOOK,
    StudioEnv,
    choose_look,
    click,
    open_studio,
    see,
    studio_env,
)

ASTRONAUT_BYTES = (Path(__file__).resolve().parents[1] / 'fixtures' / 'astronaut.png').read_bytes()


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


async def generate(user: User, gender: str, look: dict[str, str]) -> str:
    """Walk to the cover step, generate, and return the preview URL the page shows."""
    await choose_look(user, gender, look)
    click(user, 'next-photo')
    click(user, 'photo-skip')
    click(user, 'generate-cover')
    await see(user, 'cover-preview', seconds=30)
    (image,) = user.find(marker='cover-preview').elements
    assert isinstance(image, ui.image)
    return image.source


async def test_two_people_generate_in_parallel_and_stay_apart(user: User, create_user: Callable[[], User]) -> None:
    alice, bob = user, create_user()
    # Signed in one after the other: the test harness routes ui.navigate to whichever simulated user acted last,
    # so two sign-ins racing would send one person's redirect to the other's simulated browser.
    await open_studio(alice, 'alice')
    await open_studio(bob, 'bob')
    alice_url, bob_url = await asyncio.gather(generate(alice, 'female', FEMALE_LOOK),
                                              generate(bob, 'male', MALE_LOOK))

    jobs = runtime.jobs
    (alice_job,) = jobs.jobs_for('account-alice', 'cover')
    (bob_job,) = jobs.jobs_for('account-bob', 'cover')
    assert alice_job.request['gender'] == 'female' and bob_job.request['gender'] == 'male'
    assert alice_url != bob_url
    # The platform saw each person's own X-User-ID.
    sessions = {s.principal.user_id: s for owner in ('account-alice', 'account-bob')
                for s in runtime.sessions.sessions_for(owner)}
    assert sessions['alice'].principal.credentials.user_id == 'alice'
    assert sessions['bob'].principal.credentials.user_id == 'bob'

    # Each page shows only its owner's cover.
    with alice:
        assert all(e.source != bob_url for e in alice.find(marker='cover-preview').elements)
    with bob:
        assert all(e.source != alice_url for e in bob.find(marker='cover-preview').elements)

    # Each fetches their own image; the other's URL is refused, and so is a stranger or a forged token.
    assert (await alice.http_client.get(alice_url)).status_code == 200
    assert (await bob.http_client.get(bob_url)).status_code == 200
    for person, foreign in ((alice, bob_url), (bob, alice_url)):
        response = await person.http_client.get(foreign)
        assert response.status_code in (403, 404)
        assert not response.headers['content-type'].startswith('image/')
    stranger = create_user()
    assert (await stranger.http_client.get(alice_url)).status_code == 401
    forged = alice_url.rsplit('/', 1)[0] + '/' + 'x' * 40
    assert (await alice.http_client.get(forged)).status_code == 404

    # Bob, opening the studio afresh, finds his own draft and cover, never Alice's.
    await bob.open('/studio')
    await see(bob, 'cover-preview', seconds=10)
    signer = runtime.previews
    for element in bob.find(marker='cover-preview').elements:
        token = element.source.split('?')[0].rsplit('/', 1)[1]
        assert signer.verify(token, 'account-bob').item_id == bob_job.id

    entries = runtime.audit.entries(event='cover.generated') if runtime.audit else []
    assert {e.actor for e in entries} == {'alice', 'bob'}
    assert all(e.trace_id for e in entries)


async def test_over_the_limit_the_person_is_told_when_to_try_again(user: User) -> None:
    await open_studio(user, 'alice')
    assert runtime.limits is not None
    held = [await runtime.limits.acquire('account-alice', f'held-{index}') for index in range(runtime.limits.per_user)]
    try:
        await choose_look(user, 'female', FEMALE_LOOK)
        click(user, 'next-photo')
        click(user, 'photo-skip')
        click(user, 'generate-cover')
        await user.should_see('You already have 2 cover generations running', retries=50)
        await user.should_see('Try again when one finishes')
        assert runtime.jobs.jobs_for('account-alice', 'cover') == []  # nothing queued silently
    finally:
        for lease in held:
            lease.release()


async def test_a_tabs_upload_route_refuses_other_people(user: User, create_user: Callable[[], User]) -> None:
    alice, bob = user, create_user()
    await open_studio(alice, 'alice')
    await open_studio(bob, 'bob')
    await choose_look(alice, 'female', FEMALE_LOOK)
    click(alice, 'next-photo')
    await see(alice, 'photo-upload')
    (upload,) = alice.find(marker='photo-upload').elements
    url = upload.props['url']
    photo = ASTRONAUT_BYTES
    files = {'file': ('astronaut.png', photo, 'image/png')}

    assert (await bob.http_client.post(url, files=files)).status_code == 403
    assert (await create_user().http_client.post(url, files=files)).status_code == 401
    assert runtime.drafts.get('account-alice').ref is None  # nothing reached Alice's draft
    assert (await alice.http_client.post(url, files=files)).status_code == 200
