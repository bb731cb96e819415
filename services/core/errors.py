"""The one base class for errors whose message is written for a person, not for a log reader."""

from __future__ import annotations


class UserFacingError(Exception):
    """`user_message` is the words a person sees (a page, a notification, the CLI's or the operator's terminal):
    it says what happened and what to do, and never carries a secret, so it is also safe to log.

    A page can catch this one class and show `user_message`, whatever layer raised it; each subclass keeps its
    own extra fields (a trace id, a retry delay, an exit code). `str(error)` is the message unless a subclass
    adds to it (PlatformError appends its code and trace id).
    """

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message
