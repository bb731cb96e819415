"""Reading a streamed reply (POST /v1/chat/stream) from bytes, however they are cut into chunks.

The contract documents only the stream's path and body (docs/platform-api.md). Assumed, and so accepted in every
form a platform is likely to use:
- Server-Sent Events (text/event-stream): `data:` lines carry JSON pieces of the reply (several `data:` lines of
  one event are joined with a newline, as the SSE standard says); `event: end` / `done` or `data: [DONE]` ends the
  reply, `event: error` reports a failure; comment lines (`: keep-alive`) and `id:` / `retry:` are ignored;
- newline-delimited JSON, one piece per line;
- one plain JSON envelope, possibly over several lines (a business error arrives that way, and a platform that
  does not stream at all would answer so).

A piece is a JSON string, or an object whose text is in the first of `text_fields` present (`text`, `content`,
`delta`, ...; also one level down, as in `{"delta": {"content": "..."}}` or `choices[0].delta`), or a platform
envelope whose `data` is such a piece. Pieces are deltas: each adds to the reply. The decoder never raises on bad
input: what it cannot read is counted (`garbage`) and the first of it kept (`garbage_sample`) for the message.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from typing import Any

from services.core.chat_settings import DEFAULT_TEXT_FIELDS

END_NAMES = frozenset({'end', 'done', 'finish', 'finished', 'complete', 'completed', 'close', 'stop'})
SSE_FIELDS = ('data', 'event', 'id', 'retry')
MAX_LINE = 1024 * 1024  # characters: one piece of a chat reply is never near this; a missing newline is
MAX_PENDING_LINES = 2000  # lines of a multi-line JSON document waiting to be complete
_NEWLINE = re.compile(r'\r\n|\r|\n')


@dataclass(frozen=True)
class Piece:
    text: str


@dataclass(frozen=True)
class End:
    pass


@dataclass(frozen=True)
class Failure:
    message: str
    code: int | None = None
    trace_id: str | None = None


StreamEvent = Piece | End | Failure


class ReplyDecoder:
    """Incremental: `feed(chunk)` returns the events completed by that chunk, `close()` those left at the end.

    `mode` is 'sse', 'ndjson' or 'auto'; in 'auto' the Content-Type decides (text/event-stream, a JSON type),
    and when it says nothing useful the first line does (`data:`, `event:` or `:` means SSE)."""

    def __init__(self, *, mode: str = 'auto', content_type: str = '',
                 text_fields: tuple[str, ...] = DEFAULT_TEXT_FIELDS) -> None:
        self.text_fields = text_fields
        self.kind = _kind(mode, content_type)  # 'sse', 'lines', or None until the first line decides
        self.garbage = 0
        self.garbage_sample = ''
        self.trace_id: str | None = None
        self.ended = False  # an end event was seen
        self.truncated = False  # the bytes stopped in the middle of an event
        self._utf8 = codecs.getincrementaldecoder('utf-8')(errors='replace')
        self._partial = ''  # the line being received
        self._after_cr = False  # the last chunk ended in '\r': a '\n' starting the next one belongs to it
        self._data: list[str] = []  # SSE: data lines of the event being received
        self._event = ''
        self._pending: list[str] = []  # lines of a JSON document spread over several lines

    # --- input ----------------------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        return self._text(self._utf8.decode(chunk))

    def close(self) -> list[StreamEvent]:
        events = self._text(self._utf8.decode(b'', final=True))
        if self._partial:
            line, self._partial = self._partial, ''
            if self.kind == 'sse' and line.strip():
                self.truncated = True
            events += self._line(line)
        if self.kind == 'sse' and not self.ended:
            if self._data or self._event:
                self.truncated = True
                events += self._dispatch()
        elif self._pending and not self.ended:
            events += self._document()
        return events

    def _text(self, text: str) -> list[StreamEvent]:
        if self._after_cr and text.startswith('\n'):
            text = text[1:]  # the second half of a '\r\n' split between two chunks
        if text:
            self._after_cr = text.endswith('\r')
        buffer = self._partial + text
        events: list[StreamEvent] = []
        start = 0
        # Only CR, LF and CRLF end a line (SSE and NDJSON alike); str.splitlines would also split at U+2028 and
        # other characters that are valid, unescaped, inside a JSON string.
        for newline in _NEWLINE.finditer(buffer):
            events += self._line(buffer[start:newline.start()])
            start = newline.end()
        self._partial = buffer[start:]
        if len(self._partial) > MAX_LINE:  # a line without end: keep memory bounded, count it as unreadable
            self._garbage(self._partial)
            self._partial = ''
        return events

    def _line(self, line: str) -> list[StreamEvent]:
        if self.ended:
            return []  # whatever follows the end is not part of the reply
        if self.kind is None:
            if not line.strip():
                return []
            self.kind = 'sse' if _looks_like_sse(line) else 'lines'
        if self.kind == 'sse':
            return self._sse_line(line)
        return self._json_line(line)

    # --- Server-Sent Events ---------------------------------------------------------------------------

    def _sse_line(self, line: str) -> list[StreamEvent]:
        if line == '':
            return self._dispatch()
        if line.startswith(':'):
            return []  # a comment: keep-alives look like this
        name, colon, value = line.partition(':')
        if colon and value.startswith(' '):
            value = value[1:]
        if name == 'data':
            self._data.append(value)
        elif name == 'event':
            self._event = value.strip()
        elif name not in SSE_FIELDS:
            self._garbage(line)
        return []

    def _dispatch(self) -> list[StreamEvent]:
        data, event = '\n'.join(self._data), self._event.lower()
        had_data = bool(self._data)
        self._data, self._event = [], ''
        events: list[StreamEvent] = []
        if event == 'error':
            parsed = _json(data)
            if isinstance(parsed, dict):
                failure = self._interpret(parsed, failure_only=True)
                events += failure or [Failure(str(parsed.get('message') or 'The reply failed.'))]
            else:
                events.append(Failure(data.strip() or 'The reply failed.'))
            return events
        if had_data and data.strip() not in ('', '[DONE]'):
            parsed = _json(data)
            if parsed is _INVALID:
                if data.lstrip().startswith(('{', '[')):
                    self._garbage(data)  # JSON that broke off: not text to show a person
                else:
                    events.append(Piece(data))  # plain text in data: is a reply too
            else:
                events += self._interpret(parsed)
        if (event in END_NAMES or data.strip() == '[DONE]') and not self.ended:
            events.append(self._end())
        return events

    # --- JSON lines and documents ---------------------------------------------------------------------

    def _json_line(self, line: str) -> list[StreamEvent]:
        if not line.strip():
            return []
        parsed = _json(line)
        if isinstance(parsed, dict | str) or (parsed is not _INVALID and not self._pending):
            self._drop_pending()
            return self._interpret(parsed)
        self._pending.append(line)
        if len(self._pending) > MAX_PENDING_LINES:
            self._drop_pending()
            return []
        whole = _json('\n'.join(self._pending))
        if whole is _INVALID:
            return []
        self._pending = []
        return self._interpret(whole)

    def _document(self) -> list[StreamEvent]:
        whole = _json('\n'.join(self._pending))
        if whole is _INVALID:
            self._drop_pending()
            return []
        self._pending = []
        return self._interpret(whole)

    def _drop_pending(self) -> None:
        for line in self._pending:
            self._garbage(line)
        self._pending = []

    # --- what a JSON value says -----------------------------------------------------------------------

    def _interpret(self, value: Any, *, failure_only: bool = False) -> list[StreamEvent]:
        if isinstance(value, str):
            return [] if failure_only else [Piece(value)] if value else []
        if not isinstance(value, dict):
            return []
        trace = value.get('traceId')
        if isinstance(trace, str) and trace:
            self.trace_id = trace
        if 'success' in value and 'code' in value:  # an envelope
            if value.get('success') is False:
                code = value.get('code')
                return [Failure(str(value.get('message') or f'The platform reported error {code}.'),
                                code if isinstance(code, int) else None, self.trace_id)]
            return [] if failure_only else self._interpret(value.get('data'))
        error = value.get('error')
        if error or str(value.get('type', '')).lower() == 'error':
            message = error.get('message') if isinstance(error, dict) else error
            code = value.get('code')
            return [Failure(str(message or value.get('message') or 'The reply failed.'),
                            code if isinstance(code, int) else None, self.trace_id)]
        if failure_only:
            return []
        events: list[StreamEvent] = []
        text = self._text_of(value)
        if text:
            events.append(Piece(text))
        if _says_end(value):
            events.append(self._end())
        return events

    def _text_of(self, value: dict[str, Any]) -> str:
        for candidate in (value, *_nested(value, self.text_fields)):
            for name in self.text_fields:
                text = candidate.get(name)
                if isinstance(text, str):
                    return text
        return ''

    def _end(self) -> End:
        self.ended = True
        return End()

    def _garbage(self, text: str) -> None:
        self.garbage += 1
        if not self.garbage_sample:
            self.garbage_sample = text[:200]


class _Invalid:
    pass


_INVALID: Any = _Invalid()


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _INVALID


def _nested(value: dict[str, Any], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Objects one level down that may hold the text: `{"delta": {...}}`, `{"data": {...}}`, `choices[0]`."""
    found = [value[name] for name in (*fields, 'data', 'message') if isinstance(value.get(name), dict)]
    choices = value.get('choices')
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        first = choices[0]
        found += [first[name] for name in ('delta', 'message') if isinstance(first.get(name), dict)]
    return found


def _says_end(value: dict[str, Any]) -> bool:
    if any(value.get(flag) is True for flag in ('done', 'finished', 'end', 'isEnd', 'isFinished', 'last')):
        return True
    if any(str(value.get(name, '')).lower() in END_NAMES for name in ('type', 'event', 'status')):
        return True
    return bool(value.get('finishReason') or value.get('finish_reason'))


def _kind(mode: str, content_type: str) -> str | None:
    if mode == 'sse':
        return 'sse'
    if mode == 'ndjson':
        return 'lines'
    media = content_type.split(';')[0].strip().lower()
    if media == 'text/event-stream':
        return 'sse'
    if media.endswith(('json', 'ndjson', 'jsonl', 'json-seq')):
        return 'lines'
    return None


def _looks_like_sse(line: str) -> bool:
    return line.startswith(':') or (line.split(':', 1)[0] in SSE_FIELDS and ':' in line)
