"""What a database failure looks like to the rest of the app: one exception with a message a person can act on.

main has no shared `UserFacingError` yet; this follows the convention its user-facing errors already share
(`LimitExceeded`, `JobRefused`): a `user_message` attribute a page shows as it is. `str()` is the operator's
version, for the log: which database (password masked) and what the driver said.
"""

from __future__ import annotations

from typing import Literal

from services.core.errors import UserFacingError
from services.core.i18n import N_, _
from services.core.secret import scrub

Reason = Literal['unreachable', 'busy']

_USER_MESSAGES: dict[Reason, str] = {
    'unreachable': N_('The studio cannot reach its database right now, so nothing could be loaded or saved. Try '
                      'again in a minute; if this keeps happening, tell whoever runs the studio that its database is '
                      'down.'),
    'busy': N_("The studio's database is busy right now and nothing was saved. Try again in a few seconds."),
}
_RETRY_AFTER: dict[Reason, float] = {'unreachable': 30.0, 'busy': 5.0}


class DatabaseUnavailable(UserFacingError):
    """The database could not be used just now (down, unreachable, locked past the busy timeout).

    Nothing of the failed call was committed. The `Database` that raised it stays usable: once the server answers
    again the next call opens a fresh connection, so callers simply let the person try again."""

    def __init__(self, reason: Reason, *, database: str, detail: str) -> None:
        self.reason: Reason = reason
        self.database = database  # safe_url(): the password is already masked
        self.detail = scrub(detail)  # a driver message could quote a registered secret; none reaches a log
        self.retry_after = _RETRY_AFTER[reason]
        super().__init__(_USER_MESSAGES[reason])

    # Raised in a database thread, where nobody's language is known: worded when a page reads it.
    @property
    def user_message(self) -> str:
        return _(self._message)

    @user_message.setter
    def user_message(self, message: str) -> None:
        self._message = message

    def __str__(self) -> str:
        # The operator's version, for the log; `user_message` is what a person sees.
        return f'database {self.database} {self.reason}: {self.detail}'
