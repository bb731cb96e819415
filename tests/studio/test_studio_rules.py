"""The studio's rules as plain functions: no page, no platform."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from services.platform.models import Option
from services.studio import rules
from services.studio.drafts import Draft, RefPhoto
from services.studio.jobs import Job, JobStatus
from services.studio.messages import EXPIRED_COVER

FEMALE_LOOK = {'Age': '18-25', 'Ethnicity': 'east_asian', 'BodyType': 'curvy', 'HairColor': 'black',
               'HairStyle': 'bob', 'BreastSize': 'medium', 'ButtSize': 'medium'}


def cover(draft: Draft, *, job_id: str = 'c1', left: float = 600.0, used_for: str | None = None,
          status: JobStatus = 'done') -> Job:
    now = time.time()
    return Job(id=job_id, owner_id='o', actor='a', kind='cover', status=status, created_at=now - 60,
               request=rules.cover_request(draft).model_dump(exclude_none=True), cover_id='cov-' + job_id,
               expires_at=now + left, has_image=True, used_for=used_for)


def ready_draft() -> Draft:
    return Draft(gender='female', look=dict(FEMALE_LOOK), name=' Mia ', voice='voice_f_warm', personality='playful')


def test_problems_name_everything_missing_then_nothing() -> None:
    draft = Draft(gender='female', look={'Age': '18-25'})
    assert rules.problems(draft, None, cover_running=False) == [
        'Complete the look: ethnicity, body type, hair colour, hair style, breast size, and butt size.',
        'Generate a cover.', 'Give your character a name.', 'Choose a voice.']
    assert 'Wait for the cover to finish.' in rules.problems(draft, None, cover_running=True)
    draft = ready_draft()
    assert rules.problems(draft, cover(draft), cover_running=False) == []


def test_problems_of_the_chosen_cover() -> None:
    draft = ready_draft()
    assert rules.problems(draft, cover(draft, left=-1), cover_running=False) == [EXPIRED_COVER]
    used = rules.problems(draft, cover(draft, used_for='Ivy'), cover_running=False)
    assert used == ['The chosen cover was already used for Ivy. Generate a new one.']


def test_cover_request_carries_the_look_and_the_photo() -> None:
    draft = ready_draft()
    draft.ref = RefPhoto(photo_id='p', ref_image_id='ref-1', has_face=True)
    request = rules.cover_request(draft)
    assert (request.bodyType, request.breastSize, request.refImageId) == ('curvy', 'medium', 'ref-1')
    del draft.look['BreastSize']
    with pytest.raises(ValidationError):
        rules.cover_request(draft)


def test_create_request_takes_the_look_of_the_cover_not_the_changed_draft() -> None:
    draft = ready_draft()
    chosen = cover(draft)
    draft.look['HairColor'] = 'red'  # changed after the cover was painted
    assert rules.look_differs(draft, chosen)
    request = rules.create_request(draft, chosen)
    assert (request.hairColor, request.coverId, request.name, request.personality) == \
        ('black', 'cov-c1', 'Mia', 'playful')
    assert request.occupation is None
    draft.voice = None
    with pytest.raises(ValidationError):
        rules.create_request(draft, chosen)


def test_the_review_lists_the_covers_look_and_the_drift_says_what_differs() -> None:
    draft = ready_draft()
    draft.ref = RefPhoto(photo_id='p', ref_image_id='ref-1', has_face=True)
    chosen = cover(draft)
    options = {'HairColor': [Option(code='black', label='Black'), Option(code='red', label='Red')]}
    assert rules.look_drift(draft, chosen, options) is None and rules.look_drift(draft, None, options) is None
    assert dict(rules.review_rows(draft, options, chosen))['Reference photo'] == 'Face found'

    draft.look['HairColor'] = 'red'
    draft.ref = None  # the photo removed after the cover: the agent still gets the cover made with it
    rows = dict(rules.review_rows(draft, options, chosen))
    assert rows['Hair colour'] == 'Black'  # what the agent gets, not what the Look step shows now
    assert rows['Reference photo'] == 'The one the cover was made with (since changed)'
    assert dict(rules.review_rows(draft, options))['Hair colour'] == 'Red'  # no cover yet: the draft's
    drift = rules.look_drift(draft, chosen, options)
    assert drift is not None and drift.sentence() == 'Hair colour: Black on the cover, Red now.'

    draft.gender, draft.look = 'male', {'Age': '18-25'}
    drift = rules.look_drift(draft, chosen, options)
    assert drift is not None and drift.changes[0] == rules.LookChange('Gender', 'Female', 'Male')
    assert {c.title for c in drift.changes} >= {'Breast size', 'Ethnicity'}
    assert rules.cover_look(chosen) == ('female', FEMALE_LOOK)
    assert dict(rules.review_rows(draft, options, chosen))['Gender'] == 'Female'

    # A cover already used (or expired) is nobody's look any more: nothing to drift from, the review shows now's.
    for gone in (cover(ready_draft(), used_for='Mia'), cover(ready_draft(), left=-1)):
        assert rules.look_drift(draft, gone, options) is None
        assert dict(rules.review_rows(draft, options, gone))['Gender'] == 'Male'


def test_clear_unavailable_drops_what_the_options_do_not_offer() -> None:
    draft = ready_draft()
    draft.gender = 'male'
    options = {'Age': [Option(code='18-25')], 'Ethnicity': [Option(code='east_asian')],
               'BodyType': [Option(code='muscular')], 'HairColor': [Option(code='black')],
               'HairStyle': [Option(code='undercut')], 'Voice': [Option(code='voice_m_deep')],
               'Personality': [Option(code='playful')]}
    assert rules.clear_unavailable(draft, options) == ['body type', 'hair style', 'voice']
    assert draft.look == {'Age': '18-25', 'Ethnicity': 'east_asian', 'HairColor': 'black'}
    assert (draft.voice, draft.personality) == (None, 'playful')


def test_default_cover_prefers_the_newest_usable() -> None:
    draft = ready_draft()
    expired, usable = cover(draft, job_id='old', left=-1), cover(draft, job_id='new')
    assert rules.default_cover([expired, usable]) == 'new'
    assert rules.default_cover([expired]) == 'old'  # shown, to say why it cannot be used
    assert rules.default_cover([cover(draft, job_id='x', status='failed')]) is None


def test_review_rows_and_steps_done() -> None:
    draft = ready_draft()
    options = {'Voice': [Option(code='voice_f_warm', label='Warm')]}
    rows = dict(rules.review_rows(draft, options))
    assert (rows['Gender'], rows['Body type'], rows['Voice'], rows['Name'], rows['Occupation']) == \
        ('Female', 'Curvy', 'Warm', 'Mia', '—')  # a code the options do not know is shown in words
    assert rules.steps_done(draft, None) == {'look': True, 'photo': False, 'cover': False, 'details': True,
                                             'create': False}
    draft.photo_skipped = True
    assert rules.steps_done(draft, cover(draft))['photo'] and rules.steps_done(draft, cover(draft))['cover']


def test_preferred_language() -> None:
    assert rules.preferred_language('ja-JP,ja;q=0.9,en;q=0.8') == 'ja'
    assert rules.preferred_language('de-DE,zh;q=0.5') == 'zh'
    assert rules.preferred_language(None) == 'en'


def test_name_length_counts_characters_as_seen() -> None:
    astronaut, family, accent = '\U0001F469\u200D\U0001F680', '\U0001F468\u200D\U0001F469\u200D\U0001F467', 'e\u0301'
    assert rules.name_length(' Mia ') == 3
    assert rules.name_length(f'Mia {astronaut}') == 5  # the emoji once, not as its 3 code points or 5 UTF-16 units
    assert rules.name_length(family + accent) == 2
    assert rules.name_length('🇯🇵') == 1


def test_name_limit_stays_what_the_platform_counts() -> None:
    from sandbox import validation  # the stand-in platform: the only place the limit is written down

    assert rules.NAME_MAX == validation.NAME_MAX
    assert rules.name_problem('x' * 40) is None
    assert rules.name_problem(' ' + 'é' * 40 + ' ') is None  # trimmed, as the platform trims
    assert rules.name_problem('x' * 41) == 'At most 40 characters.'
    # 14 characters a person sees, 42 code points the platform counts: refused, and told why.
    family = '\U0001F468\u200D\U0001F469\u200D\U0001F467'  # 5 code points
    name = 'Mia ' + family * 8 + 'xx'
    assert (rules.name_length(name), len(name)) == (14, 46)
    problem = rules.name_problem(name)
    assert problem is not None and 'emoji' in problem and '46' in problem
    draft = ready_draft()
    draft.name = name
    assert rules.problems(draft, cover(draft), cover_running=False) == [f'The name is too long. {problem}']


def test_every_step_stays_complete_while_the_success_is_shown() -> None:
    draft = Draft(step='create', create_job='made')  # creating emptied the draft for the next character
    made = Job(id='made', owner_id='o', actor='a', kind='create', status='done', created_at=time.time(), request={})
    assert set(rules.steps_done(draft, None, made).values()) == {True}
    assert len(rules.steps_done(draft, None, made)) == 5
    running = Job(id='made', owner_id='o', actor='a', kind='create', status='running', created_at=time.time(),
                  request={})
    assert not any(rules.steps_done(draft, None, running).values())
    draft.step = 'look'  # the person went back to a step: it shows its own (empty) content, and so do the marks
    assert not any(rules.steps_done(draft, None, made).values())


def test_codes_without_a_label_are_shown_in_words_and_sent_as_codes() -> None:
    options = {'Occupation': [Option(code='vtuber', label='vtuber'), Option(code='nurse', label='Nurse')],
               'Age': [Option(code='56-70', label='56-70')], 'Ethnicity': [Option(code='east_asian')]}
    assert rules.choices(options, 'Occupation') == {'vtuber': 'Vtuber', 'nurse': 'Nurse'}
    assert rules.label(options, 'Age', '56-70') == '56-70'
    assert rules.label(options, 'Ethnicity', 'east_asian') == 'East asian'
    assert rules.label(options, 'Ethnicity', 'middle_eastern') == 'Middle eastern'  # not offered: still words
    draft = ready_draft()
    draft.occupation = 'vtuber'
    assert rules.create_request(draft, cover(draft)).occupation == 'vtuber'


def test_review_groups_follow_the_steps() -> None:
    draft = ready_draft()
    groups = rules.review_groups(draft, {})
    assert [(step, title) for step, title, _ in groups] == [('look', 'Look'), ('photo', 'Reference photo'),
                                                           ('details', 'Details')]
    assert [row for _, _, rows in groups for row in rows] == rules.review_rows(draft, {})
    assert ('Interaction style', '—') in groups[2][2]  # the platform's 'Fetish', in words a person reads
