"""Settings of the conversation endpoints (docs/platform-api.md, "start a conversation" and after).

Kept apart from settings.py because the stream's shape is partly assumed by the contract: everything assumed is
a setting here, so a real platform that differs is met by configuration, not by a code change. `load_settings`
reads these once, with the rest, and a bad value stops the app with a message naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.core.config_values import SettingsError, parse_latency

STREAM_FORMATS = ('auto', 'sse', 'ndjson')
# Where a piece of a streamed reply carries its text, tried in this order (assumed: the contract is silent).
DEFAULT_TEXT_FIELDS = ('text', 'content', 'delta', 'answer', 'reply')


@dataclass(frozen=True)
class ChatSettings:
    conversation_path: str = '/v1/chat/conversation'
    stream_path: str = '/v1/chat/stream'
    image_path: str = '/v1/chat/image'
    # A streamed reply has three clocks: until its first byte (the model is thinking), between two pieces, and the
    # whole reply. A stalled stream is noticed by the second long before the third runs out.
    first_byte_timeout: float = 30.0
    gap_timeout: float = 30.0
    total_timeout: float = 300.0
    # Chat pictures take 30-90 s; the contract says allow at least 120.
    image_timeout: float = 150.0
    stream_format: str = 'auto'  # 'auto' reads the Content-Type (and the first line when it says nothing)
    text_fields: tuple[str, ...] = DEFAULT_TEXT_FIELDS
    max_pictures_per_user: int = 2
    # The embedded sandbox: seconds between two pieces of a reply (fixed or a range), and a chat picture's latency.
    sandbox_pace: str = '0.08'
    sandbox_image_latency: str = '30-90'


def load_chat_settings(env: Mapping[str, str]) -> ChatSettings:
    defaults = ChatSettings()

    def text(name: str, default: str) -> str:
        return env.get(name, default).strip() or default

    def path(name: str, default: str) -> str:
        value = text(name, default)
        if not value.startswith('/v1/'):
            raise SettingsError(f'{name} must be a platform path starting with /v1/, got {value!r}')
        return value

    def seconds(name: str, default: float, minimum: float) -> float:
        raw = text(name, f'{default:g}')
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f'{name} must be a number of seconds, got {raw!r}') from None
        if not minimum <= value < float('inf'):  # also refuses nan
            raise SettingsError(f'{name} must be a finite number of seconds, at least {minimum:g}; got {raw!r}')
        return value

    stream_format = text('PLATFORM_CHAT_STREAM_FORMAT', defaults.stream_format).lower()
    if stream_format not in STREAM_FORMATS:
        raise SettingsError(f'PLATFORM_CHAT_STREAM_FORMAT must be one of {", ".join(STREAM_FORMATS)}; '
                            f'got {stream_format!r}')
    fields = tuple(f.strip() for f in text('PLATFORM_CHAT_TEXT_FIELDS', ','.join(DEFAULT_TEXT_FIELDS)).split(',')
                   if f.strip())
    if not fields or not all(f.replace('_', '').isalnum() for f in fields):
        raise SettingsError('PLATFORM_CHAT_TEXT_FIELDS takes comma-separated JSON field names such as text,content')
    raw_pictures = text('STUDIO_MAX_CHAT_PICTURES_PER_USER', str(defaults.max_pictures_per_user))
    if not raw_pictures.isdigit() or int(raw_pictures) < 1:
        raise SettingsError(f'STUDIO_MAX_CHAT_PICTURES_PER_USER must be a whole number of at least 1, '
                            f'got {raw_pictures!r}')
    pace = text('SANDBOX_CHAT_PACE', defaults.sandbox_pace)
    parse_latency(pace, var='SANDBOX_CHAT_PACE')
    image_latency = text('SANDBOX_CHAT_IMAGE_LATENCY', defaults.sandbox_image_latency)
    parse_latency(image_latency, var='SANDBOX_CHAT_IMAGE_LATENCY')
    first_byte = seconds('PLATFORM_STREAM_FIRST_BYTE_TIMEOUT', defaults.first_byte_timeout, 0.1)
    gap = seconds('PLATFORM_STREAM_GAP_TIMEOUT', defaults.gap_timeout, 0.1)
    total = seconds('PLATFORM_STREAM_TOTAL_TIMEOUT', defaults.total_timeout, 1)
    if total < max(first_byte, gap):
        raise SettingsError('PLATFORM_STREAM_TOTAL_TIMEOUT must be at least PLATFORM_STREAM_FIRST_BYTE_TIMEOUT and '
                            'PLATFORM_STREAM_GAP_TIMEOUT')
    return ChatSettings(
        conversation_path=path('PLATFORM_PATH_CONVERSATION', defaults.conversation_path),
        stream_path=path('PLATFORM_PATH_CHAT_STREAM', defaults.stream_path),
        image_path=path('PLATFORM_PATH_CHAT_IMAGE', defaults.image_path),
        first_byte_timeout=first_byte,
        gap_timeout=gap,
        total_timeout=total,
        image_timeout=seconds('PLATFORM_CHAT_IMAGE_TIMEOUT', defaults.image_timeout, 1),
        stream_format=stream_format,
        text_fields=fields,
        max_pictures_per_user=int(raw_pictures),
        sandbox_pace=pace,
        sandbox_image_latency=image_latency,
    )
