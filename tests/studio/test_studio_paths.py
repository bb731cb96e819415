"""More studio paths: male with a face photo and regenerate, no-face decisions, gender switch, restore."""

from __future__ import annotations

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
    create_enabled,
    eventually,
    go_to_step,
    open_studio,
    see,
    select_value,
    studio_env,
    type_into,
    upload,
)

OWNER = 'account-alice'


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


@pytest.fixture
async def studio(env: StudioEnv, user: User) -> User:
    await open_studio(user)
    return user


def covers() -> list:
    return runtime.jobs.jobs_for(OWNER, 'cover')


async def photo_checked(user: User, gender: str, look: dict[str, str], photo: str, verdict: str) -> None:
    """A complete look, then the photo step with `photo` uploaded and its check's `verdict` marker shown."""
    await choose_look(user, gender, look)
    click(user, 'next-photo')
    await upload(user, photo)
    await see(user, verdict)


async def test_male_path_with_face_photo_regenerate_and_pick_the_first(studio: User) -> None:
    user = studio
    await photo_checked(user, 'male', MALE_LOOK, 'astronaut.png', 'face-found')
    await see(user, 'photo-preview')
    ref = runtime.drafts.get(OWNER).ref
    assert ref is not None and ref.has_face and ref.ref_image_id
    click(user, 'next-cover')
    click(user, 'generate-cover')
    await eventually(lambda: len(covers()) == 1 and covers()[0].status == 'done', what='first cover')
    assert covers()[0].request['refImageId'] == ref.ref_image_id
    await see(user, 'generate-cover', content='Generate again')  # the one way to generate again
    click(user, 'generate-cover')
    await eventually(lambda: len(covers()) == 2 and all(c.status == 'done' for c in covers()), what='second cover')
    first, second = covers()[1], covers()[0]
    await see(user, f'cover-thumb-{first.id}')
    await eventually(lambda: runtime.drafts.get(OWNER).selected_cover_job == second.id, what='newest chosen')
    click(user, f'cover-thumb-{first.id}')  # every cover of the session stays selectable
    assert runtime.drafts.get(OWNER).selected_cover_job == first.id
    click(user, 'next-details')
    type_into(user, 'name', 'Leo')
    select_value(user, 'voice', 'voice_m_deep')
    await create_enabled(user)
    click(user, 'create-agent')
    await see(user, 'create-success')
    created = runtime.jobs.jobs_for(OWNER, 'create')[0]
    assert created.source_cover_job == first.id
    assert created.request['coverId'] == first.cover_id and 'breastSize' not in created.request
    await user.should_see('Leo is ready')


async def test_no_face_photo_warns_and_offers_both_choices(studio: User) -> None:
    user = studio
    await photo_checked(user, 'female', FEMALE_LOOK, 'coffee.png', 'no-face')
    await user.should_see(content='may look less like the person')
    click(user, 'photo-remove')
    await see(user, 'photo-upload')
    assert runtime.drafts.get(OWNER).ref is None
    await upload(user, 'chelsea.png')
    await see(user, 'photo-continue')
    click(user, 'photo-continue')  # which goes on to the Cover step; the photo step says so when looked at again
    await go_to_step(user, 'photo')
    await see(user, content='No face found: continuing anyway.')
    ref = runtime.drafts.get(OWNER).ref
    assert ref is not None and ref.acknowledged and not ref.has_face
    click(user, 'next-cover')
    click(user, 'generate-cover')
    await eventually(lambda: bool(covers()) and covers()[0].status == 'done', what='cover with no-face photo')
    assert covers()[0].request['refImageId'] == ref.ref_image_id


async def test_generate_waits_for_a_decision_about_a_no_face_photo(studio: User) -> None:
    user = studio
    await photo_checked(user, 'female', FEMALE_LOOK, 'coffee.png', 'no-face')
    await go_to_step(user, 'cover')  # ahead by the stepper's header, undecided
    click(user, 'generate-cover')
    # Generate is an async handler now (the limit is a database query): its answer comes a moment after the click.
    await eventually(lambda: user.notify.contains('Decide about the reference photo first'), what='the refusal')
    assert covers() == []


async def test_the_refusal_shows_the_photo_step_even_when_this_page_never_drew_it(studio: User) -> None:
    """A reload on the Cover step draws only that step; Generate's refusal leads to the photo step, drawn then."""
    user = studio
    await photo_checked(user, 'female', FEMALE_LOOK, 'coffee.png', 'no-face')
    await go_to_step(user, 'cover')
    await user.open('/studio')  # a new page, on the Cover step
    await see(user, 'generate-cover')
    await user.should_not_see(marker='photo-continue')
    click(user, 'generate-cover')
    await eventually(lambda: user.notify.contains('Decide about the reference photo first'), what='the refusal')
    assert runtime.drafts.get(OWNER).step == 'photo'
    await see(user, 'no-face')
    click(user, 'photo-continue')
    await eventually(lambda: runtime.drafts.get(OWNER).step == 'cover', what='back on the Cover step')
    assert covers() == []


async def test_gender_change_reloads_options_and_clears_what_no_longer_exists(studio: User) -> None:
    user = studio
    await choose_look(user, 'female', FEMALE_LOOK)
    await go_to_step(user, 'details')
    select_value(user, 'voice', 'voice_f_warm')
    await go_to_step(user, 'look')
    click(user, 'gender-male')
    await see(user, 'tile-HairStyle-undercut')
    await eventually(lambda: user.notify.contains('Cleared body type, hair style'), what='a notice of what was cleared')
    draft = runtime.drafts.get(OWNER)
    # Kept: exists for both genders. Cleared: female-only body type, hair style, sizes and voice.
    assert draft.look == {'Age': '18-25', 'Ethnicity': 'east_asian', 'HairColor': 'black'}
    assert draft.voice is None
    await user.should_not_see(marker='tile-BreastSize-medium')


async def test_surprise_me_fills_every_choice(studio: User) -> None:
    user = studio
    click(user, 'surprise')
    await eventually(lambda: not runtime.drafts.get(OWNER).missing_look(), what='a random look')
    draft = runtime.drafts.get(OWNER)
    assert draft.gender in ('female', 'male')
    assert set(draft.look) == set(draft.look_categories())


async def test_reload_and_second_tab_restore_the_draft(env: StudioEnv, user: User) -> None:
    await open_studio(user)
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    click(user, 'photo-skip')
    click(user, 'next-details')
    type_into(user, 'name', 'Aiko')
    await user.open('/studio')  # a reload: a brand-new page for the same person
    await see(user, content='Aiko')
    stepper = next(iter(user.find(kind=ui.stepper).elements))
    assert stepper.value == 'details'
    await go_to_step(user, 'look')
    await see(user, 'tile-BodyType-curvy')
    assert runtime.drafts.get(OWNER).look == FEMALE_LOOK


def step_done(user: User, name: str) -> bool:
    step = next(s for s in user.find(kind=ui.step).elements if s.props.get('name') == name)
    return step.props.get(':done') == 'true'


async def test_steps_are_done_by_their_content_not_their_position(studio: User) -> None:
    user = studio
    await choose_look(user, 'female', FEMALE_LOOK)
    await eventually(lambda: step_done(user, 'look'), what='Look done')
    click(user, 'next-photo')
    assert not step_done(user, 'photo')
    click(user, 'photo-skip')  # deciding against a photo completes the step
    await eventually(lambda: step_done(user, 'photo'), what='Reference photo done')
    click(user, 'next-details')  # jumping ahead does not make the cover "done"
    await eventually(lambda: runtime.drafts.get(OWNER).step == 'details', what='on Details')
    assert not step_done(user, 'cover')
