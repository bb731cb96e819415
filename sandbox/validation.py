"""Request-body checks for cover and create, with the platform's documented messages word for word."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import catalogue
from .protocol import bad_request

COVER_FIELDS = ('age', 'ethnicity', 'bodyType', 'hairColor', 'hairStyle')
FEMALE_FIELDS = ('breastSize', 'buttSize')
OPTIONAL_DETAIL_FIELDS = ('personality', 'occupation', 'relationship', 'fetish')
NAME_MAX = 40


def _text(body: Mapping[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f'{field} must be a string')
    return value.strip() or None


def _code(body: Mapping[str, Any], field: str, gender: str, *, required: bool) -> str | None:
    code = _text(body, field)
    if code is None:
        if required:
            raise bad_request(f'{field} is required')
        return None
    category = catalogue.FIELD_CATEGORY[field]
    choice = catalogue.find(category, code)
    if choice is None:
        raise bad_request(f"{field} '{code}' is not a {category} option")
    if gender not in choice.genders:
        raise bad_request(f"{field} '{code}' is not available for {gender}")
    return code


def cover_attributes(body: Mapping[str, Any]) -> dict[str, str]:
    """The validated look attributes (gender and the option codes), or a 10400 naming the field."""
    gender = _text(body, 'gender')
    if gender is None:
        raise bad_request('gender is required')
    if gender not in catalogue.GENDERS:
        raise bad_request("gender must be 'male' or 'female'")
    if gender == 'female':
        for field in FEMALE_FIELDS:  # documented messages, checked first as the platform does
            if _text(body, field) is None:
                raise bad_request(f'{field} is required for female')
    attrs = {'gender': gender}
    for field in COVER_FIELDS:
        attrs[field] = _code(body, field, gender, required=True)  # type: ignore[assignment]
    for field in FEMALE_FIELDS:
        code = _code(body, field, gender, required=False)
        if code is not None:
            attrs[field] = code
    return attrs


def ref_image_id(body: Mapping[str, Any]) -> str | None:
    return _text(body, 'refImageId')


def create_fields(body: Mapping[str, Any]) -> dict[str, str]:
    """Cover attributes plus name, voice, language and the optional detail codes."""
    fields = cover_attributes(body)
    name = body.get('name')
    if name is not None and not isinstance(name, str):
        raise bad_request('name must be a string')
    name = (name or '').strip()
    if not name:
        raise bad_request('name is required')
    if len(name) > NAME_MAX:
        raise bad_request(f'name must be at most {NAME_MAX} characters (got {len(name)})')
    fields['name'] = name
    fields['voiceId'] = _code(body, 'voiceId', fields['gender'], required=True)  # type: ignore[assignment]
    language = _text(body, 'language') or 'en'
    if language not in catalogue.LANGUAGES:
        raise bad_request("language must be one of 'en', 'zh', 'ja'")
    fields['language'] = language
    for field in OPTIONAL_DETAIL_FIELDS:
        code = _code(body, field, fields['gender'], required=False)
        if code is not None:
            fields[field] = code
    return fields


def page(body: Mapping[str, Any]) -> tuple[int, int]:
    values = []
    for field, default in (('pageNumber', 1), ('pageSize', 20)):
        value = body.get(field, default)
        if value is None:
            value = default
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad_request(f'{field} must be a whole number')
        values.append(value)
    number, size = values
    if number < 1:
        raise bad_request('pageNumber must be at least 1')
    if not 1 <= size <= 100:
        raise bad_request('pageSize must be between 1 and 100')
    return number, size
