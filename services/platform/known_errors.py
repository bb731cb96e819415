"""The messages the contract says any endpoint may answer with (docs/platform-api.md, "Errors every endpoint may
answer with"), in words a person can act on. Here, below studio and auth, so the studio's pages and the own-key
sign-in say the same thing."""

from __future__ import annotations

from services.core.i18n import _, pgettext
from services.platform.errors import AuthenticationError, BusinessError, PlatformError


def invalid_key(error: PlatformError) -> bool:
    """`Invalid API key`, whether it came as HTTP 200 or as a 401."""
    return isinstance(error, BusinessError | AuthenticationError) and 'invalid api key' in error.user_message.lower()


def key_problem(error: PlatformError, action: str) -> str | None:
    """The documented messages any endpoint may answer with (docs/platform-api.md), in words a person can act on;
    None for any other error. `action` is one of services/studio/messages.ACTIONS (translated with context
    'action')."""
    said = error.user_message.lower()
    doing = pgettext('action', action)
    if isinstance(error, BusinessError) and said.startswith('too many requests'):
        return _('The platform is busy and could not {action} just now. Try again in a minute.').format(action=doing)
    if isinstance(error, BusinessError) and said.startswith('api key usage limit reached'):
        return _('Could not {action}: this API key has used up its allowance on the platform. Ask whoever manages '
                 'the key to raise its limit, or sign in with another key.').format(action=doing)
    if invalid_key(error):
        return _('Could not {action}: the platform does not accept this API key (it is unknown or disabled). '
                 'Check the key, or sign in with another one.').format(action=doing)
    return None
