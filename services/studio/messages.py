"""Upstream errors in words a person understands, for a given action ("generate the cover")."""

from __future__ import annotations

from services.platform.errors import AuthenticationError, BusinessError, PlatformError, TransportError
from services.platform.known_errors import key_problem

EXPIRED_COVER = ('This cover has expired: the platform keeps a cover for 30 minutes. Generate a new one on '
                 'the Cover step; everything else you entered is kept.')


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
