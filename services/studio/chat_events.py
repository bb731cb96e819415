"""What the chat tells its pages and the people on them: the events a page hears while a reply is written, the
refusal of a message that cannot start, and the words for what went wrong with a conversation.

Apart from services.studio.chat (the service) so that pages and chat pictures read them without the service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from services.core.errors import UserFacingError
from services.core.i18n import _
from services.platform.errors import BusinessError, PlatformError
from services.platform.streaming import StreamInterrupted
from services.studio.messages import describe


class ChatRefused(UserFacingError):
    """A message, reply or picture cannot start; `user_message` says why."""


@dataclass(frozen=True)
class ChatEvent:
    """'piece': the reply `message_id` now reads `text`; 'changed': messages were added or finished (read them
    again); 'replaced': the active conversation is another one ("New conversation")."""

    kind: Literal['piece', 'changed', 'replaced']
    message_id: str | None = None
    text: str = ''


Listener = Callable[[ChatEvent], None]


def chat_words(error: PlatformError, action: str) -> str:
    """What went wrong, for a person, with the errors only conversations have."""
    said = error.user_message
    if isinstance(error, BusinessError):
        if said.startswith('Agent not found'):
            return _('The platform does not know this agent ("Agent not found"): it may have been removed. Choose '
                     'another one on the Agents page.')
        if said.startswith('Agent missing image generation config'):
            return _('This agent cannot make pictures: its image workflow is broken on the platform ("Agent missing '
                     'image generation config"). The remedy is to create the agent again.')
        if said.lower().startswith('conversationid is invalid'):
            return _('The platform no longer knows this conversation. Start a new conversation to go on.')
    if isinstance(error, StreamInterrupted):
        if error.partial:
            return _('{reason} What arrived is kept above. Try again for a whole reply.').format(reason=said)
        return _('{reason} Try again for a whole reply.').format(reason=said)
    return describe(error, action)
