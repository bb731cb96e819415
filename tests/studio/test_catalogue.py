"""The studio's one table of categories agrees with the request models, the draft and the sandbox's data."""

from __future__ import annotations

import pytest

from sandbox import catalogue as sandbox_catalogue
from services.platform.models import CoverRequest, CreateAgentRequest
from services.studio import catalogue
from services.studio.catalogue import (
    ALL_CATEGORIES,
    CATEGORIES,
    DETAIL_CATEGORIES,
    FEMALE_ONLY_CATEGORIES,
    LOOK_CATEGORIES,
    OPTIONAL_DETAILS,
)
from services.studio.drafts import Draft


def test_the_derived_tuples_in_the_order_a_person_meets_them() -> None:
    assert LOOK_CATEGORIES == ('Age', 'Ethnicity', 'BodyType', 'HairColor', 'HairStyle', 'BreastSize', 'ButtSize')
    assert DETAIL_CATEGORIES == ('Voice', 'Personality', 'Occupation', 'Relationship', 'Fetish')
    assert FEMALE_ONLY_CATEGORIES == ('BreastSize', 'ButtSize')
    assert ALL_CATEGORIES == LOOK_CATEGORIES + DETAIL_CATEGORIES
    assert OPTIONAL_DETAILS == ('personality', 'occupation', 'relationship', 'fetish')


def test_titles_and_wire_fields() -> None:
    assert catalogue.title('BodyType') == 'Body type'
    assert catalogue.title('HairColor') == 'Hair colour'
    assert catalogue.title('Gender') == 'Gender'  # not a category: shown as it is
    assert catalogue.wire_field('BodyType') == 'bodyType'
    assert catalogue.wire_field('Voice') == 'voiceId'
    assert catalogue.by_wire_field('voiceId') is catalogue.category('Voice')
    assert catalogue.by_wire_field('name') is None
    assert catalogue.by_draft_field('voice').code == 'Voice'
    assert [catalogue.by_draft_field(n).code for n in OPTIONAL_DETAILS] == list(DETAIL_CATEGORIES[1:])
    with pytest.raises(KeyError):
        catalogue.wire_field('Gender')


@pytest.mark.parametrize(('gender', 'expected'), [
    ('female', LOOK_CATEGORIES),
    ('male', ('Age', 'Ethnicity', 'BodyType', 'HairColor', 'HairStyle')),
    (None, ('Age', 'Ethnicity', 'BodyType', 'HairColor', 'HairStyle')),
])
def test_look_categories_by_gender(gender: str | None, expected: tuple[str, ...]) -> None:
    assert catalogue.look_categories(gender) == expected
    assert Draft(gender=gender).look_categories() == expected  # type: ignore[arg-type]


def test_every_wire_field_is_a_request_field() -> None:
    looks = {c.wire_field for c in CATEGORIES if c.kind == 'look'}
    assert looks == set(CoverRequest.model_fields) - {'gender', 'refImageId'}
    assert {c.wire_field for c in CATEGORIES} <= set(CreateAgentRequest.model_fields)
    female = {c.wire_field for c in CATEGORIES if c.female_only}
    assert all(not CoverRequest.model_fields[f].is_required() for f in female)


def test_every_detail_has_a_draft_field_and_no_look_does() -> None:
    for item in CATEGORIES:
        if item.kind == 'detail':
            assert item.draft_field in Draft.model_fields
        else:
            assert item.draft_field is None and not item.optional


def test_the_sandbox_data_uses_the_same_codes_and_fields() -> None:
    # The sandbox keeps its own data (it stands in for the platform); it must still speak the same names.
    assert set(sandbox_catalogue.CATALOGUE) == set(ALL_CATEGORIES)
    assert sandbox_catalogue.FIELD_CATEGORY == {c.wire_field: c.code for c in CATEGORIES}
