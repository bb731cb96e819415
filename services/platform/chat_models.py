"""Typed requests and answers of the conversation endpoints (docs/platform-api.md: conversation, stream, image)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from services.platform.models import _Wire


class ConversationRequest(_Wire):
    agentId: str = Field(min_length=1)


class Conversation(_Wire):
    conversationId: str = Field(min_length=1)


class ChatRequest(_Wire):
    """The body of POST /v1/chat/stream, as the signing page's worked example signs it."""

    agentId: str = Field(min_length=1)
    conversationId: str = Field(min_length=1)
    text: str = Field(min_length=1)


class ChatImageRequest(_Wire):
    agentId: str = Field(min_length=1)
    conversationId: str = Field(min_length=1)
    text: str = Field(min_length=1)  # what to draw
    language: str = 'en'
    # Sent even when empty (signed as metadata={}); the platform echoes it back.
    metadata: dict[str, Any] = Field(default_factory=dict)


class ChatImage(_Wire):
    base64Image: str = Field(min_length=1)
    metadata: dict[str, Any] | None = None
