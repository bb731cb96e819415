"""A signed request as it may be kept and shown: the Authorization value masked, image data elided, no secret.

The request log stores these, the Requests page shows them, and services/platform/curl.py turns them into a cURL
command (the CLI's --curl too). The secret is never part of a request (only its HMAC is), so what has to be kept
out is the API key, which masking handles, and image data, which eliding handles: covers come back as megabytes of
`data:image/png;base64,...` and reference photos go up as multipart files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from services.core.secret import scrub

MAX_BODY_CHARS = 16 * 1024  # what is kept of one body; a longer one is cut and marked so
# A data URL inside JSON text. Base64 is [A-Za-z0-9+/=]; some JSON writers escape '/' as '\/', hence the backslash.
# One character class, not an alternation: on a 4 MB cover that is 15 ms instead of 1.4 s of holding the GIL.
_DATA_URL = re.compile(r'data:([\w.+-]+/[\w.+-]+)((?:;[\w.+-]+=[\w.+-]+)*);base64,([A-Za-z0-9+/=\\]*)')
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_DISPOSITION_FIELD = re.compile(r';\s*(name|filename)="((?:[^"\\]|\\.)*)"', re.IGNORECASE)
# Headers httpx adds for the connection rather than the request; curl sets its own (see curl.py).
TRANSPORT_HEADERS = frozenset({'host', 'content-length', 'connection', 'accept-encoding'})
# Cookies are credentials of whoever set them (a load balancer, the embedded sandbox's session middleware); the
# client's shared cookie jar sends them back. Kept by name only.
COOKIE_HEADERS = frozenset({'cookie', 'set-cookie'})


def mask_key(key: str) -> str:
    """'ab12cd34ef56789f' -> 'ab12…9f': enough to tell two keys apart, far too little to use one. Short keys show
    less, so the mask never gives away most of one."""
    if len(key) >= 16:
        return f'{key[:4]}…{key[-2:]}'
    if len(key) >= 8:
        return f'{key[:2]}…'
    return '…'


def mask_headers(headers: Iterable[tuple[str, str]], api_key: str = '') -> dict[str, str]:
    """The headers with the Authorization value masked (and the key scrubbed anywhere else it might appear)."""
    masked: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        if lowered in ('authorization', 'proxy-authorization'):
            scheme, _, credential = value.partition(' ')
            value = f'{scheme} {mask_key(credential.strip())}' if credential else mask_key(scheme)
        elif lowered in COOKIE_HEADERS:
            value = _mask_cookies(value, attributes=lowered == 'set-cookie')
        elif api_key and api_key in value:
            value = value.replace(api_key, mask_key(api_key))
        masked[name] = scrub(value)
    return masked


def _mask_cookies(value: str, *, attributes: bool) -> str:
    """'a=1; b=2' -> 'a=…; b=…'; of a Set-Cookie only the first pair is the cookie, the rest (Path, ...) stays."""
    pairs = [pair.strip() for pair in value.split(';')]
    if attributes:
        return '; '.join([pairs[0].partition('=')[0] + '=…', *pairs[1:]])
    return '; '.join(pair.partition('=')[0] + '=…' for pair in pairs if pair)


def elide_data_urls(text: str) -> str:
    """Every `data:<type>;base64,...` replaced by its type and size: no image data is ever kept."""
    def replace(match: re.Match[str]) -> str:
        return f'data:{match.group(1)}{match.group(2)};base64,…[{len(match.group(3)):,} characters elided]'

    return _DATA_URL.sub(replace, text) if 'base64,' in text else text


@dataclass(frozen=True)
class Part:
    """One field of a multipart body, without its content (a file's bytes are an image, never kept)."""

    name: str
    filename: str | None
    content_type: str | None
    size: int


def multipart_parts(content_type: str, body: bytes) -> list[Part]:
    """The fields of a multipart/form-data body: name, file name, type and size of each."""
    found = _BOUNDARY.search(content_type)
    if not found:
        return []
    delimiter = b'--' + found.group(1).encode('latin-1')
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b'--'):  # the closing delimiter
            break
        head, _, content = chunk.removeprefix(b'\r\n').partition(b'\r\n\r\n')
        headers = {}
        for line in head.decode('utf-8', 'replace').split('\r\n'):
            key, _, value = line.partition(':')
            headers[key.strip().lower()] = value.strip()
        found_fields = _DISPOSITION_FIELD.findall(headers.get('content-disposition', ''))
        disposition = {key.lower(): value for key, value in found_fields}
        parts.append(Part(name=disposition.get('name', ''), filename=disposition.get('filename'),
                          content_type=headers.get('content-type'), size=len(content.removesuffix(b'\r\n'))))
    return parts


@dataclass(frozen=True)
class Body:
    """A body as kept: `text` for JSON (exact unless `exact` is False), `parts` for multipart."""

    text: str = ''
    parts: tuple[Part, ...] = ()
    multipart: bool = False
    exact: bool = True  # False when data URLs were elided or the text was cut: not the bytes that were sent
    cut: bool = False  # longer than what is kept: the text ends early (and is no longer valid JSON)
    size: int = 0  # bytes on the wire


def keep_body(content_type: str, content: bytes, *, limit: int = MAX_BODY_CHARS) -> Body:
    if content_type.lower().startswith('multipart/'):
        return Body(parts=tuple(multipart_parts(content_type, content)), multipart=True, exact=False,
                    size=len(content))
    if not content:
        return Body()
    text = content.decode('utf-8', 'replace')
    kept = elide_data_urls(text)
    cut = len(kept) > limit
    if cut:
        kept = kept[:limit] + f'…[cut: {len(text):,} characters in all]'
    kept = scrub(kept)
    return Body(text=kept, exact=kept == text, cut=cut, size=len(content))


@dataclass(frozen=True)
class RequestDetail:
    """What the detail view and cURL need of one exchange, safe to store: masked headers, elided bodies."""

    method: str
    url: str
    signed_string: str
    request_headers: dict[str, str]
    request_body: Body
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: Body = field(default_factory=Body)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RequestDetail:
        def body(raw: Mapping[str, Any] | None) -> Body:
            raw = dict(raw or {})
            raw['parts'] = tuple(Part(**p) for p in raw.get('parts', ()))
            return Body(**raw)

        return cls(method=data.get('method', ''), url=data.get('url', ''),
                   signed_string=data.get('signed_string', ''),
                   request_headers=dict(data.get('request_headers') or {}),
                   request_body=body(data.get('request_body')),
                   response_headers=dict(data.get('response_headers') or {}),
                   response_body=body(data.get('response_body')))

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.request_headers.items() if k.lower() == 'content-type'), '')


def capture(method: str, url: str, headers: Iterable[tuple[str, str]], content: bytes, signed_string: str, *,
            api_key: str = '', response_headers: Iterable[tuple[str, str]] = (),
            response_content: bytes = b'', response_type: str = '') -> RequestDetail:
    """The storable form of one request (and its answer, if any). CPU work on big answers: off the event loop."""
    request_headers = mask_headers(headers, api_key)
    content_type = next((v for k, v in request_headers.items() if k.lower() == 'content-type'), '')
    return RequestDetail(method=method, url=scrub(url), signed_string=scrub(elide_data_urls(signed_string)),
                         request_headers=request_headers, request_body=keep_body(content_type, content),
                         response_headers=mask_headers(response_headers, api_key),
                         response_body=keep_body(response_type, response_content))
