"""What one platform request was and what came of it: the records the client hands to its callers and observers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Result:
    """An envelope's data with its traceId, for the audit log and support requests."""

    data: Any
    trace_id: str | None


@dataclass
class SignedRequestInfo:
    """What --verbose prints: the request as signed (the Authorization value is masked by the printer)."""

    method: str
    url: str
    headers: dict[str, str]
    signed_string: str
    body: bytes = b''  # the bytes sent (for multipart, the encoded form)


@dataclass
class Exchange:
    """One signed request and what came of it, as `PlatformClient.observers` hear of it (request log, metrics).

    `request` is the request as sent, Authorization header and all: observers mask the key before keeping anything.
    The secret is never in it (only the signature it made). `error` is the PlatformError raised, or CancelledError
    when the caller gave up waiting (a cancelled cover)."""

    call_id: str  # shared by the attempts of one call (retries, a re-signing after clock skew)
    path: str
    user_id: str
    owner: str
    attempt: int
    resigned: bool  # signed with a clock this call corrected, after a 401 showed that the clocks disagree
    clock_offset: float  # seconds added to our clock for this signature
    started_at: float  # epoch seconds
    duration: float = 0.0  # seconds until the answer was read, or the failure
    request: httpx.Request | None = None  # None when it failed before signing
    signed_string: str = ''
    response: httpx.Response | None = None
    result: Result | None = None
    error: BaseException | None = None
    # A streamed reply's answer, as far as it was read (its response's content is never read whole, so it is kept
    # here, bounded, for the request log); None for every other call, whose response.content is the answer.
    streamed: bytes | None = None
    began: float = field(default_factory=time.perf_counter)  # for the duration
