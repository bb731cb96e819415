"""What can go wrong talking to the platform, each with a message a person can act on.

`str(error)` is always safe to show and to log: no error carries a secret or an Authorization value.
"""

from __future__ import annotations

from services.core.errors import UserFacingError


class PlatformError(UserFacingError):
    """Base class. `user_message` is what to show a person; `trace_id` goes in support requests."""

    retryable: bool = False

    def __init__(self, user_message: str, *, trace_id: str | None = None, code: int | None = None,
                 status: int | None = None) -> None:
        super().__init__(user_message)
        self.trace_id = trace_id
        self.code = code
        self.status = status

    def __str__(self) -> str:
        parts = [self.user_message]
        if self.code is not None:
            parts.append(f'(code {self.code})')
        if self.trace_id:
            parts.append(f'[traceId {self.trace_id}]')
        return ' '.join(parts)


class AuthenticationError(PlatformError):
    """HTTP 401: missing header, clock skew, unknown key or wrong signature."""

    # The envelope's `timestamp` on a 401, the server's clock in ms, from which the client learns its skew.
    server_timestamp: str | int | None = None


class BusinessError(PlatformError):
    """HTTP 200 with success: false. `code` is the platform's (10400, 10404, 10500, ...)."""

    @property
    def expired_cover(self) -> bool:
        return self.code == 10404 and 'cover' in self.user_message.lower()


class ProtocolError(PlatformError):
    """The answer was not the documented envelope (not JSON, wrong shape, unexpected status)."""

    def __init__(self, user_message: str, *, status: int | None = None, snippet: str = '',
                 trace_id: str | None = None) -> None:
        super().__init__(user_message, status=status, trace_id=trace_id)
        self.snippet = snippet
        self.retryable = status is not None and status >= 500


class TransportError(PlatformError):
    """The platform could not be reached or did not answer in time."""

    retryable = True


class UpstreamUnreachable(TransportError):
    pass


class UpstreamTimeout(TransportError):
    pass
