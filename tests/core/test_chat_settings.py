"""The conversation settings: documented defaults, and a message naming the variable for every bad value."""

from __future__ import annotations

import pytest

from services.core.chat_settings import ChatSettings
from services.core.settings import SettingsError, load_settings


def test_defaults_follow_the_contract() -> None:
    chat = load_settings({}).chat
    assert chat == ChatSettings()
    assert (chat.conversation_path, chat.stream_path, chat.image_path) == (
        '/v1/chat/conversation', '/v1/chat/stream', '/v1/chat/image')
    assert chat.image_timeout >= 120  # the contract: pictures take 30-90 s, allow at least 120
    assert (chat.stream_format, chat.text_fields[0]) == ('auto', 'text')


def test_values_are_read() -> None:
    chat = load_settings({'PLATFORM_PATH_CHAT_STREAM': ' /v1/chat/sse ', 'PLATFORM_STREAM_FIRST_BYTE_TIMEOUT': '5',
                          'PLATFORM_STREAM_GAP_TIMEOUT': '2.5', 'PLATFORM_STREAM_TOTAL_TIMEOUT': '60',
                          'PLATFORM_CHAT_STREAM_FORMAT': 'NDJSON', 'PLATFORM_CHAT_TEXT_FIELDS': 'msg, text',
                          'SANDBOX_CHAT_PACE': '0.01-0.02', 'STUDIO_MAX_CHAT_PICTURES_PER_USER': '4'}).chat
    assert (chat.stream_path, chat.first_byte_timeout, chat.gap_timeout, chat.total_timeout) == (
        '/v1/chat/sse', 5.0, 2.5, 60.0)
    assert (chat.stream_format, chat.text_fields, chat.sandbox_pace, chat.max_pictures_per_user) == (
        'ndjson', ('msg', 'text'), '0.01-0.02', 4)


@pytest.mark.parametrize(('name', 'value'), [
    ('PLATFORM_PATH_CONVERSATION', '/chat'), ('PLATFORM_STREAM_GAP_TIMEOUT', 'soon'),
    ('PLATFORM_STREAM_FIRST_BYTE_TIMEOUT', 'nan'), ('PLATFORM_CHAT_IMAGE_TIMEOUT', '0'),
    ('PLATFORM_CHAT_STREAM_FORMAT', 'xml'), ('PLATFORM_CHAT_TEXT_FIELDS', 'a b'),
    ('SANDBOX_CHAT_PACE', '-1'), ('SANDBOX_CHAT_IMAGE_LATENCY', '9-3'), ('STUDIO_MAX_CHAT_PICTURES_PER_USER', '0'),
    ('PLATFORM_STREAM_TOTAL_TIMEOUT', '10'),
])
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value, **({'PLATFORM_STREAM_GAP_TIMEOUT': '20'} if 'TOTAL' in name else {})})
