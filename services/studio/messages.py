"""Upstream errors in words a person understands, for a given action ("generate the cover")."""

from __future__ import annotations

from services.platform.errors import AuthenticationError, BusinessError, PlatformError, TransportError

EXPIRED_COVER = ('This cover has expired: the platform keeps a cover for 30 minutes. Generate a new one on '
                 'the Cover step; everything else you entered is kept.')


def key_problem(error: PlatformError, action: str) -> str | None:
    """The documented messages any endpoint may answer with (docs/platform-api.md), in words a person can act on;
    None for any other error."""
    said = error.user_message.lower()
    if isinstance(error, BusinessError) and said.startswith('too many requests'):
        return f'The platform is busy and could not {action} just now. Try again in a minute.'
    if isinstance(error, BusinessError) and said.startswith('api key usage limit reached'):
        return (f'Could not {action}: this API key has used up its allowance on the platform. Ask whoever manages '
                f'the key to raise its limit, or sign in with another key.')
    if isinstance(error, BusinessError | AuthenticationError) and 'invalid api key' in said:
        return (f'Could not {action}: the platform does not accept this API key (it is unknown or disabled). '
                f'Check the key, or sign in with another one.')
    return None


def describe(error: PlatformError, action: str) -> str:
    known = key_problem(error, action)
    if known is not None:
        return known
    if isinstance(error, BusinessError):
        said = error.user_message.rstrip('.')
        if error.expired_cover:
            return EXPIRED_COVER
        if error.code == 10500:
            return (f'The platform could not {action} because of a problem on its side ("{said}"). '
                    f'This is usually temporary: try again in a moment.')
        if error.code == 10400:
            return f'The platform did not accept the request to {action}: {said}.'
        if error.code == 10404:
            return f'The platform could not {action}: {said}.'
        return f'The platform could not {action}: {said}.'
    if isinstance(error, AuthenticationError | TransportError):
        return f'Could not {action}. {error.user_message}'
    return f'Could not {action}. {error.user_message}'
