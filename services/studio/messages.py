"""Upstream errors in words a person understands, for a given action ("generate the cover").

The action is one of ACTIONS, a verb phrase that fits "could not ..."; it is translated on its own (context
'action') and set into each sentence, which reads naturally in Chinese ("无法{action}") and Japanese
("{action}できませんでした") as in English. An action not in ACTIONS is shown as it is.
"""

from __future__ import annotations

from services.core.i18n import N_, NP_, _, pgettext
from services.platform.errors import AuthenticationError, BusinessError, PlatformError, TransportError
from services.platform.known_errors import key_problem

# Every action a caller names; listed so extraction finds them (callers pass the English phrase).
ACTIONS = (NP_('action', 'generate the cover'), NP_('action', 'create the agent'), NP_('action', 'check the photo'),
           NP_('action', 'list the agents'), NP_('action', 'load the options'), NP_('action', 'check your key'),
           NP_('action', 'answer'), NP_('action', 'draw the picture'), NP_('action', 'start the conversation'),
           NP_('action', 'start a new conversation'), NP_('action', 'do that'))


def action_words(action: str) -> str:
    return pgettext('action', action)


EXPIRED_COVER = N_('This cover has expired: the platform keeps a cover for 30 minutes. Generate a new one on the '
                   'Cover step; everything else you entered is kept.')


def expired_cover() -> str:
    return _(EXPIRED_COVER)


def describe(error: PlatformError, action: str) -> str:
    known = key_problem(error, action)
    if known is not None:
        return known
    doing = action_words(action)
    if isinstance(error, BusinessError):
        said = error.user_message.rstrip('.')
        if error.expired_cover:
            return expired_cover()
        if error.code == 10500:
            return _('The platform could not {action} because of a problem on its side ("{said}"). This is usually '
                     'temporary: try again in a moment.').format(action=doing, said=said)
        if error.code == 10400:
            return _('The platform did not accept the request to {action}: {said}.').format(action=doing, said=said)
        return _('The platform could not {action}: {said}.').format(action=doing, said=said)
    if isinstance(error, AuthenticationError | TransportError):
        return _('Could not {action}. {reason}').format(action=doing, reason=error.user_message)
    return _('Could not {action}. {reason}').format(action=doing, reason=error.user_message)
