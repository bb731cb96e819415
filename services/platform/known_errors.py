"""The messages the contract says any endpoint may answer with (docs/platform-api.md, "Errors every endpoint may
answer with"), in words a person can act on. Here, below studio and auth, so the studio's pages and the own-key
sign-in say the same thing."""

from __future__ import annotations

from services.platform.errors import AuthenticationError, BusinessError, PlatformError


def invalid_key(error: PlatformError) -> bool:
    """`Invalid API key`, whether it came as HTTP 200 or as a 401."""
    return isinstance(error, BusinessError | AuthenticationError) and 'invalid api key' in error.user_message.lower()


def key_problem(error: PlatformError, action: str) -> str | None:
    """The documented messages any endpoint may answer with (docs/platform-api.md), in words a person can act on;
    None for any other error."""
    said = error.user_message.lower()
    if isinstance(error, BusinessError) and said.startswith('too many requests'):
        return f'The platform is busy and could not {action} just now. Try again in a minute.'
    if isinstance(error, BusinessError) and said.startswith('api key usage limit reached'):
        return (f'Could not {action}: this API key has used up its allowance on the platform. Ask whoever manages '
                f'the key to raise its limit, or sign in with another key.')
    if invalid_key(error):
        return (f'Could not {action}: the platform does not accept this API key (it is unknown or disabled). '
                f'Check the key, or sign in with another one.')
    return None
