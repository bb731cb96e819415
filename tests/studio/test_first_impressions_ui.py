"""Issue 18 in the studio's own logic (the `user` fixture): the Look step's groups, readable names, the name counter
in characters, the Create step's Back and review, and a stepper that stays complete after success."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from runtime import runtime
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    FEMALE_LOOK,
    StudioEnv,
    choose_look,
    click,
    create_enabled,
    eventually,
    open_studio,
    see,
    select_value,
    studio_env,
    texts,
    type_into,
)

ASTRONAUT = '\U0001F469\u200D\U0001F680'  # one character; 3 code points; 5 UTF-16 units
FAMILY = '\U0001F468\u200D\U0001F469\u200D\U0001F467'  # one character; 5 code points


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


@pytest.fixture
async def studio(env: StudioEnv, user: User) -> User:
    await open_studio(user)
    return user


def one(user: User, marker: str) -> ui.element:
    elements = list(user.find(marker=marker).elements)
    assert len(elements) == 1, f'{len(elements)} elements marked {marker!r}'
    return elements[0]


def open_group(user: User) -> object:
    panels = one(user, 'look-panels')
    assert isinstance(panels, ui.tab_panels)
    return panels.value


def shown(user: User, marker: str) -> list[str]:
    """The texts of the elements marked so; none yet is an empty list (user.find raises instead)."""
    try:
        return texts(user, marker)
    except AssertionError:
        return []


def markers_in_step(user: User, name: str) -> set[str]:
    """Every marker inside one stepper step (the simulation keeps a step's content once drawn, shown or not)."""
    step = next(e for e in user.find(ui.step).elements if e.props.get('name') == name)
    return {marker for element in step.descendants() for marker in element._markers}


def draft_step() -> str:
    return runtime.drafts.get('account-alice').step


async def test_look_groups_summarise_and_move_on(studio: User) -> None:
    user = studio
    click(user, 'gender-female')
    await see(user, 'tile-Age-26-35')
    assert open_group(user) == 'Age'  # the first group still to choose
    assert texts(user, 'look-chosen-Age') == ['Choose'] and texts(user, 'look-progress') == ['0 of 7 chosen']

    click(user, 'tile-Age-26-35')
    await eventually(lambda: texts(user, 'look-chosen-Age') == ['26-35'], what='the Age summary')
    assert open_group(user) == 'Ethnicity'  # a first choice opens the next group still to choose
    assert texts(user, 'look-progress') == ['1 of 7 chosen']

    click(user, 'look-group-Age')  # back to compare: changing a choice does not move on
    assert open_group(user) == 'Age'
    click(user, 'tile-Age-36-45')
    await eventually(lambda: texts(user, 'look-chosen-Age') == ['36-45'], what='the changed Age')
    assert open_group(user) == 'Age'

    click(user, 'look-group-ButtSize')  # groups are chosen in any order; the next one still open follows
    click(user, 'tile-ButtSize-large')
    await eventually(lambda: open_group(user) == 'Ethnicity', what='the next group still to choose')
    for category, code in FEMALE_LOOK.items():
        if category not in ('Age', 'ButtSize'):
            click(user, f'tile-{category}-{code}')
    await eventually(lambda: texts(user, 'look-progress') == ['All chosen: continue with Next.'],
                     what='the look complete')
    assert texts(user, 'look-chosen-ButtSize') == ['Large'] and texts(user, 'look-chosen-BodyType') == ['Curvy']
    assert runtime.drafts.get('account-alice').look == {**FEMALE_LOOK, 'Age': '36-45', 'ButtSize': 'large'}


async def test_names_read_as_words_and_codes_go_unchanged(studio: User) -> None:
    user = studio
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    click(user, 'photo-skip')
    click(user, 'generate-cover')
    await see(user, 'cover-preview')
    click(user, 'next-details')
    await user.should_see('Interaction style (optional)')
    await user.should_not_see('Fetish')
    occupation = one(user, 'occupation')
    assert isinstance(occupation, ui.select) and isinstance(occupation.options, dict)
    assert occupation.options['vtuber'] == 'Vtuber'  # the platform gave only the code; it is shown in words
    select_value(user, 'occupation', 'vtuber')
    select_value(user, 'fetish', 'slow_burn')
    type_into(user, 'name', 'Ivy')
    select_value(user, 'voice', 'voice_f_soft')
    await create_enabled(user)
    click(user, 'create-agent')
    await see(user, 'create-success')
    request = runtime.jobs.jobs_for('account-alice', 'create')[0].request
    assert (request['occupation'], request['fetish']) == ('vtuber', 'slow_burn')


async def test_the_name_counter_counts_characters_and_the_limit_stays_the_platforms(studio: User) -> None:
    user = studio
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    click(user, 'photo-skip')
    click(user, 'generate-cover')
    await see(user, 'cover-preview')
    click(user, 'next-details')
    select_value(user, 'voice', 'voice_f_warm')
    type_into(user, 'name', f'Mia {ASTRONAUT}')
    await eventually(lambda: texts(user, 'name-counter') == ['5 / 40'], what='the counter')
    await create_enabled(user)

    # 14 characters to see, 46 code points to the platform (which counts code points, at most 40): refused here
    # with the reason, before anything is sent.
    type_into(user, 'name', 'Mia ' + FAMILY * 8 + 'xx')
    await eventually(lambda: texts(user, 'name-counter') == ['14 / 40'], what='the counter')
    name = one(user, 'name')
    assert isinstance(name, ui.input)
    assert name.error is not None and 'emoji' in name.error
    click(user, 'next-create')
    await eventually(lambda: any('The name is too long' in t for t in shown(user, 'create-problem')),
                     what='the problem on the Create step')
    create = one(user, 'create-agent')
    assert isinstance(create, ui.button) and not create.enabled

    click(user, 'create-back')
    assert draft_step() == 'details'
    type_into(user, 'name', 'x' * 41)
    await eventually(lambda: texts(user, 'name-counter') == ['41 / 40'], what='the counter')
    assert name.error == 'At most 40 characters.'


async def test_create_has_back_its_own_review_and_the_stepper_stays_complete(studio: User) -> None:
    user = studio
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    click(user, 'photo-skip')
    click(user, 'generate-cover')
    await see(user, 'cover-preview')
    click(user, 'next-details')
    type_into(user, 'name', 'Mia')
    select_value(user, 'voice', 'voice_f_warm')
    # The Details step shows the look beside its fields, not a review of those same fields.
    await see(user, 'look-preview')
    details = markers_in_step(user, 'details')
    assert 'look-preview' in details and 'review' not in details
    click(user, 'next-create')  # the Create step is drawn when it is first shown
    create = markers_in_step(user, 'create')
    assert {'review', 'review-look', 'review-photo', 'review-details'} <= create and 'look-preview' not in create
    click(user, 'review-edit-look')
    assert draft_step() == 'look'
    click(user, 'next-photo')
    click(user, 'photo-skip')
    click(user, 'next-details')
    click(user, 'next-create')
    click(user, 'create-back')
    assert draft_step() == 'details'
    click(user, 'next-create')
    await create_enabled(user)
    click(user, 'create-agent')
    await see(user, 'create-success')

    def done() -> set[str]:
        return {str(e.props.get('name')) for e in user.find(ui.step).elements if e.props.get(':done') == 'true'}

    await eventually(lambda: done() == {'look', 'photo', 'cover', 'details', 'create'}, what='every step done')
    click(user, 'create-another')
    await eventually(lambda: done() == set(), what='a fresh start with no step done')
