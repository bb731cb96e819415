"""The chat page, /agents/{agentId}/chat, and the route that serves chat pictures to their owner."""

from __future__ import annotations

from pages.chat import media, view


def setup() -> None:
    view.setup()
    media.setup()


def chat_url(agent_id: str, *, hello: bool = False) -> str:
    """Where the Chat and "Say hello" actions go (hello: the page greets the agent when nothing was said yet)."""
    return view.chat_url(agent_id, hello=hello)
