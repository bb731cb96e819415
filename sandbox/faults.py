"""Injected failures, so the app's error handling is tested against real ones (see docs/sandbox.md)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

ENDPOINTS = ('options', 'ref_image', 'face_detect', 'cover', 'create', 'list', 'conversation', 'chat_stream',
             'chat_image')
# busy, quota and badkey are the documented messages any endpoint may answer with (HTTP 200); imageconfig is the
# chat picture's broken-workflow error; cut starts an answer and breaks it off (a stream dies mid-reply); lost does
# the work (an agent is created) and then drops the connection, so the client never hears that it succeeded.
KINDS = ('10500', 'http500', 'http502', 'garbage', 'stall', 'drop', '401', 'busy', 'quota', 'badkey', 'imageconfig',
         'cut', 'lost')


class FaultSpecError(ValueError):
    pass


@dataclass
class Fault:
    kind: str
    times: int | None  # None = until cleared


class Faults:
    """Endpoint -> pending fault. `set` replaces the endpoint's fault; `times` counts down per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}

    def set(self, endpoint: str, kind: str, times: int | None = None) -> None:
        endpoint, kind = str(endpoint).strip(), str(kind).strip()
        if endpoint not in ENDPOINTS:
            raise FaultSpecError(f'unknown endpoint {endpoint!r}; one of {", ".join(ENDPOINTS)}')
        if kind not in KINDS:
            raise FaultSpecError(f'unknown fault kind {kind!r}; one of {", ".join(KINDS)}')
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise FaultSpecError('times must be a positive whole number, or omitted for "until cleared"')
        with self._lock:
            self._faults[endpoint] = Fault(kind, times)

    def clear(self, endpoint: str | None = None) -> None:
        with self._lock:
            if endpoint is None:
                self._faults.clear()
            else:
                self._faults.pop(endpoint, None)

    def take(self, endpoint: str) -> str | None:
        """The fault kind to apply to this request, if any (consuming one of its `times`)."""
        with self._lock:
            fault = self._faults.get(endpoint)
            if fault is None:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self._faults[endpoint]
            return fault.kind

    def snapshot(self) -> dict[str, dict[str, object]]:
        with self._lock:
            return {ep: {'kind': f.kind, 'times': f.times} for ep, f in self._faults.items()}

    def load_spec(self, spec: str) -> None:
        """'cover=10500,options=http502:2' (endpoint=kind[:times], comma-separated)."""
        for item in filter(None, (part.strip() for part in spec.split(','))):
            endpoint, sep, rest = item.partition('=')
            if not sep:
                raise FaultSpecError(f'fault {item!r} must look like endpoint=kind or endpoint=kind:times')
            kind, _, times_text = rest.partition(':')
            try:
                times = int(times_text) if times_text.strip() else None
            except ValueError:
                raise FaultSpecError(f'fault {item!r}: times must be a whole number') from None
            self.set(endpoint, kind, times)
