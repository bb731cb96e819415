"""The platform's request signature, exactly as documented in docs/platform-api.md.

signed string = METHOD \\n PATH \\n X-Timestamp \\n X-User-ID \\n canonicalQuery \\n canonicalBody
signature     = lower-case hex HMAC-SHA256(key = API secret, message = signed string as UTF-8)

The platform is written in JavaScript, so every rule that touches value formatting mirrors what
JavaScript does (String.prototype.trim's white-space set, JSON.stringify's number format), not
Python's near-equivalents, which differ in corners (Python's strip() also eats U+001C..U+001F and
U+0085; json.dumps writes 1e16 as 1e+16 and 1.0 as 1.0).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any

import httpx

from services.core.secret import Secret

# The characters JavaScript's String.prototype.trim removes (WhiteSpace + LineTerminator in ECMA-262).
JS_WHITESPACE = (
    '\u0009\u000a\u000b\u000c\u000d\u0020\u00a0\u1680'
    '\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a'
    '\u2028\u2029\u202f\u205f\u3000\ufeff'
)
MAX_SAFE_INTEGER = 2**53 - 1
MAX_ARRAY_INDEX = 2**32 - 2


def js_trim(value: str) -> str:
    return value.strip(JS_WHITESPACE)


def js_number(value: int | float) -> str:
    """Number formatting of JavaScript's JSON.stringify / Number.prototype.toString."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        if abs(value) <= MAX_SAFE_INTEGER:
            return str(value)
        # JavaScript reads every JSON number as a double: 2**53 + 1 is signed as 9007199254740992, and a
        # number beyond the double range becomes Infinity, which JSON.stringify writes as null.
        try:
            value = float(value)
        except OverflowError:
            return 'null'
    if not math.isfinite(value):
        return 'null'
    if value == 0:
        return '0'
    if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return str(int(value))
    # repr gives the shortest round-tripping digits, as JavaScript does; only the layout differs. Whole
    # doubles beyond 2**53 come here too: JavaScript writes those digits padded with zeros, not the exact
    # binary value (4.940001137008035e16 -> 49400011370080350, where int() gives ...352).
    digits, _, exp_text = repr(abs(value)).partition('e')
    mantissa = digits.replace('.', '')
    point = digits.index('.') if '.' in digits else len(digits)
    exponent = (int(exp_text) if exp_text else 0) + point  # value = 0.mantissa * 10**exponent
    stripped = mantissa.lstrip('0')
    exponent -= len(mantissa) - len(stripped)
    mantissa = stripped.rstrip('0') or '0'
    sign = '-' if value < 0 else ''
    k, n = len(mantissa), exponent
    if k <= n <= 21:
        text = mantissa + '0' * (n - k)
    elif 0 < n <= 21:
        text = f'{mantissa[:n]}.{mantissa[n:]}'
    elif -6 < n <= 0:
        text = '0.' + '0' * (-n) + mantissa
    else:
        e = n - 1
        text = mantissa[0] + ('.' + mantissa[1:] if k > 1 else '') + f'e{"+" if e >= 0 else "-"}{abs(e)}'
    return sign + text


def js_stringify(value: Any) -> str:
    """Compact JSON as JavaScript's JSON.stringify writes it: no spaces, keys in the order sent (but
    array-index keys first, see js_key_order), raw non-ASCII characters."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int | float):
        return js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return '{' + ','.join(f'{json.dumps(k, ensure_ascii=False)}:{js_stringify(v)}'
                              for k, v in js_key_order(value)) + '}'
    if isinstance(value, list | tuple):
        return '[' + ','.join(js_stringify(v) for v in value) + ']'
    raise TypeError(f'cannot sign a value of type {type(value).__name__}')


def _array_index(key: str) -> int | None:
    if key.isdigit() and key.isascii() and (key == '0' or key[0] != '0'):
        number = int(key)
        if number <= MAX_ARRAY_INDEX:
            return number
    return None


def js_key_order(value: Mapping[Any, Any]) -> list[tuple[str, Any]]:
    """An object's entries in JavaScript's own-property order: array-index keys ('0', '7', ... up to
    2**32 - 2) first in numeric order, then the other keys in insertion order. The platform parses the
    body into a JavaScript object, so `{"b": {"b": 1, "1": 2}}` is signed as `b={"1":2,"b":1}`."""
    indexed: list[tuple[int, str, Any]] = []
    named: list[tuple[str, Any]] = []
    for raw_key, item in value.items():
        key = str(raw_key)
        index = _array_index(key)
        if index is None:
            named.append((key, item))
        else:
            indexed.append((index, key, item))
    indexed.sort(key=lambda entry: entry[0])
    return [(key, item) for _, key, item in indexed] + named


def _canonical_value(value: Any) -> str | None:
    """The signed text of one field, or None when the field is left out."""
    if value is None:
        return None
    if isinstance(value, str):
        trimmed = js_trim(value)
        return trimmed or None
    return js_stringify(value)


def canonical_body(body: Mapping[str, Any] | None) -> str:
    """Top-level JSON fields, nulls and blank strings left out, sorted by name in code-point order."""
    if not body:
        return ''
    fields = []
    for key in sorted(body):  # Python compares str by code point, which is the documented order
        text = _canonical_value(body[key])
        if text is not None:
            fields.append(f'{key}={text}')
    return '&'.join(fields)


def canonical_query(query: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> str:
    """Query fields, null and empty values left out, sorted by name in code-point order, not URL-encoded."""
    if not query:
        return ''
    items = list(query.items()) if isinstance(query, Mapping) else list(query)
    fields = []
    # sorted() is stable, so repeated names keep the order they had in the URL.
    for key, value in sorted(items, key=lambda kv: kv[0]):
        if value is None:
            continue
        text = value if isinstance(value, str) else js_stringify(value)
        if text == '':
            continue
        fields.append(f'{key}={text}')
    return '&'.join(fields)


def signature_base(method: str, path: str, timestamp: int | str, user_id: str,
                   query: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
                   body: Mapping[str, Any] | None = None) -> str:
    """The exact string the platform signs."""
    return '\n'.join([method.upper(), path, str(timestamp), user_id, canonical_query(query), canonical_body(body)])


def sign(api_secret: str | Secret, base: str) -> str:
    secret = api_secret.get() if isinstance(api_secret, Secret) else api_secret
    return hmac.new(secret.encode(), base.encode(), hashlib.sha256).hexdigest()


def new_request_id() -> str:
    return uuid.uuid4().hex  # 32 random hex characters, as the documentation recommends


def build_auth_headers(api_key: str, api_secret: str | Secret, user_id: str, method: str, path: str, *,
                       query: Mapping[str, Any] | None = None, body: Mapping[str, Any] | None = None,
                       timestamp: int | None = None, request_id: str | None = None) -> dict[str, str]:
    """The five authentication headers; mirrors the documentation's JavaScript buildAuthHeaders."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = signature_base(method, path, ts, user_id, query, body)
    return {
        'Authorization': f'Bearer {api_key}',
        'X-Timestamp': str(ts),
        'X-Signature': sign(api_secret, base),
        'X-Request-ID': request_id or new_request_id(),
        'X-User-ID': user_id,
    }


def signed_path(url_path: str, prefix: str = '') -> str:
    """The /v1/... path that is signed, even when the base URL carries a prefix of its own."""
    if prefix and url_path.startswith(prefix + '/'):
        return url_path[len(prefix):]
    return url_path


def request_body_fields(content_type: str, content: bytes) -> dict[str, Any] | None:
    """The top-level JSON fields of a request body as the platform reads them; None for multipart and
    for an empty body (both sign an empty canonical body)."""
    if not content or content_type.lower().startswith('multipart/'):
        return None
    parsed = json.loads(content)
    if not isinstance(parsed, dict):
        raise ValueError('a signed JSON body must be an object')
    return parsed


class PlatformAuth(httpx.Auth):
    """Signs the request httpx is about to send, from the bytes actually sent.

    `clock` returns the corrected Unix time (see PlatformClient's clock-skew handling); `path_prefix` is
    the base URL's own path, which is not part of the signed path. `on_signed(request, signed_string)` is
    called once the headers are set and before the request leaves, so a debugging print also shows
    requests that then time out or are refused.
    """

    requires_request_body = True

    def __init__(self, api_key: str, api_secret: Secret, user_id: str, *, path_prefix: str = '',
                 clock: Callable[[], float] = time.time,
                 on_signed: Callable[[httpx.Request, str], None] | None = None) -> None:
        self._api_key = api_key
        self._api_secret = api_secret
        self._user_id = user_id
        self._prefix = path_prefix.rstrip('/')
        self._clock = clock
        self._on_signed = on_signed
        self.last_base: str | None = None  # for --verbose debugging: the string that was signed

    def __repr__(self) -> str:
        return f'PlatformAuth(user_id={self._user_id!r})'

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        body = request_body_fields(request.headers.get('content-type', ''), request.content)
        path = signed_path(request.url.path, self._prefix)
        query = httpx.QueryParams(request.url.query).multi_items()
        timestamp = int(self._clock())
        base = signature_base(request.method, path, timestamp, self._user_id, query, body)
        self.last_base = base
        request.headers['Authorization'] = f'Bearer {self._api_key}'
        request.headers['X-Timestamp'] = str(timestamp)
        request.headers['X-Signature'] = sign(self._api_secret, base)
        request.headers['X-Request-ID'] = new_request_id()
        request.headers['X-User-ID'] = self._user_id
        if self._on_signed is not None:
            self._on_signed(request, base)
        yield request


def verify_signature(api_secret: str | Secret, signature: str, *, method: str, path: str, timestamp: str,
                     user_id: str, query: Iterable[tuple[str, Any]] | None, body: Mapping[str, Any] | None) -> bool:
    """Constant-time check of a received signature (used by the sandbox)."""
    expected = sign(api_secret, signature_base(method, path, timestamp, user_id, query, body))
    return hmac.compare_digest(expected, signature.strip().lower())
