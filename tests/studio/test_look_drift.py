"""The look and the chosen cover drifting apart (issue 12, item 5), as a person sees it, on a real sandbox.

An agent gets the look its cover was painted with. After a look change (a tile, "Surprise me") the Cover step says
the chosen cover was made for another look and offers "Generate for this look" or "Go back to the cover's look";
the reviews on Details and Create list exactly what the agent will get, and show every change (each is redrawn when
its step is shown).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui import ElementFilter, ui
from nicegui.element import Element
from nicegui.testing import User

from runtime import runtime
from services.studio import rules
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
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
)

OWNER = 'account-alice'


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


def present(user: User, marker: str) -> bool:
    with user:
        return bool(list(ElementFilter(marker=marker)))


def texts(user: User, marker: str) -> list[str]:
    """Every label under the elements with this marker, in page order."""
    found: list[str] = []

    def walk(element: Element) -> None:
        if isinstance(element, ui.label):
            found.append(element.text)
        for child in element.default_slot.children:
            walk(child)

    for element in user.find(marker=marker).elements:
        walk(element)
    return found


def review_pairs(user: User) -> list[dict[str, str]]:
    """Each review on the page (the Create step's) as title -> value, over its look, photo and details groups."""
    reviews = []
    with user:
        for review in ElementFilter(marker='review'):
            pairs: dict[str, str] = {}
            for step in ('look', 'photo', 'details'):
                for group in ElementFilter(marker=f'review-{step}').within(instance=review):
                    labels = [e.text for e in ElementFilter(kind=ui.label).within(instance=group)]
                    pairs.update(zip(labels[1::2], labels[2::2], strict=False))  # the first is the group's title
            reviews.append(pairs)
    return reviews


async def cover_ready(user: User) -> None:
    click(user, 'next-photo')
    click(user, 'photo-skip')
    click(user, 'generate-cover')
    await see(user, 'cover-preview')


async def test_a_changed_look_is_said_on_the_cover_step_and_reviewed_as_the_agent_gets_it(env: StudioEnv,
                                                                                          user: User) -> None:
    await open_studio(user)
    await choose_look(user, 'male', MALE_LOOK)
    await cover_ready(user)
    assert not present(user, 'look-drift')  # look and cover agree: nothing to say
    (first,) = runtime.jobs.jobs_for(OWNER, 'cover')

    click(user, 'next-details')
    click(user, 'next-create')  # the review, before any change: the look as chosen (and as painted)
    await eventually(lambda: [r.get('Hair colour') for r in review_pairs(user)] == ['Brown'], what='the review')
    click(user, 'review-edit-look')
    click(user, 'tile-HairColor-black')  # changed after the cover was painted
    await go_to_step(user, 'cover')
    await see(user, 'look-drift')
    assert 'Hair colour: Brown on the cover, Black now.' in texts(user, 'look-drift-changes')
    await see(user, content='The chosen cover was made for another look')

    # The review redraws and lists what the agent will get: the cover's hair, with the note saying why; the look
    # preview beside the Details fields shows the same note (each step is redrawn when it is shown).
    await go_to_step(user, 'details')
    await see(user, 'look-preview')
    await go_to_step(user, 'create')
    await eventually(lambda: [r.get('Hair colour') for r in review_pairs(user)] == ['Brown'],
                     what='the review to show the cover\'s look')
    await eventually(lambda: present(user, 'look-preview') and rules.LOOK_CHANGED_NOTE in texts(user, 'look-preview')
                     and rules.LOOK_CHANGED_NOTE in texts(user, 'review'), what='the note in both')

    await go_to_step(user, 'cover')
    click(user, 'drift-restore')  # "Go back to the cover's look"
    await eventually(lambda: runtime.drafts.get(OWNER).look == MALE_LOOK, what='the cover\'s look back')
    await eventually(lambda: not present(user, 'look-drift'), what='the notice gone')

    click(user, 'surprise')  # any look change, "Surprise me" too
    await eventually(lambda: runtime.drafts.get(OWNER).look != MALE_LOOK, what='a surprise look')
    await see(user, 'look-drift')
    surprise = dict(runtime.drafts.get(OWNER).look)
    click(user, 'drift-generate')  # "Generate for this look"
    await eventually(lambda: len(runtime.jobs.jobs_for(OWNER, 'cover')) == 2
                     and runtime.jobs.jobs_for(OWNER, 'cover')[0].status == 'done', what='the new cover')
    second = runtime.jobs.jobs_for(OWNER, 'cover')[0]
    assert second.id != first.id and rules.cover_look(second) == ('male', surprise)
    await eventually(lambda: runtime.drafts.get(OWNER).selected_cover_job == second.id, what='the new one chosen')
    await eventually(lambda: not present(user, 'look-drift'), what='the notice gone')

    # The review follows every change, typed ones included, and the agent gets what it listed.
    await go_to_step(user, 'details')
    type_into(user, 'name', 'Leo')
    select_value(user, 'voice', 'voice_m_deep')
    await go_to_step(user, 'create')
    await eventually(lambda: [r.get('Name') for r in review_pairs(user)] == ['Leo'], what='the name reviewed')
    listed = review_pairs(user)[0]
    await create_enabled(user)
    click(user, 'create-agent')
    await see(user, 'create-success')
    created = runtime.jobs.jobs_for(OWNER, 'create')[0]
    assert created.request['coverId'] == second.cover_id
    assert created.request['hairColor'] == surprise['HairColor']
    assert listed['Hair colour'].lower().replace(' ', '_') == surprise['HairColor']  # the sandbox's labels say the code


async def test_going_back_to_a_cover_of_the_other_gender(env: StudioEnv, user: User) -> None:
    await open_studio(user)
    await choose_look(user, 'male', MALE_LOOK)
    await cover_ready(user)
    await go_to_step(user, 'look')
    click(user, 'gender-female')  # every male choice the female options lack is cleared
    await go_to_step(user, 'cover')
    await see(user, 'look-drift')
    assert any(text.startswith('Gender: Male on the cover, Female now') for text in texts(user, 'look-drift-changes'))
    click(user, 'drift-restore')
    await eventually(lambda: runtime.drafts.get(OWNER).gender == 'male'
                     and runtime.drafts.get(OWNER).look == MALE_LOOK, what='the male look back')
    await eventually(lambda: not present(user, 'look-drift'), what='the notice gone')
