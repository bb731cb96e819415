"""Copy as cURL: the method, URL, headers and body that were signed and sent, with the API key masked.

An integrator whose own request is refused puts this next to theirs: the same headers, the same body bytes, and the
signature those produced. It cannot be sent again as it is (REPLAY_NOTE says why); with the real key put back in
and within five minutes of signing, the platform accepts it, which tests/inspector/test_curl.py checks.

Left to curl: Host, Content-Length, Connection and Accept-Encoding, which curl sets itself (a copied Content-Length
breaks as soon as anyone edits the body), and a multipart body's Content-Type, whose boundary curl makes up: a
multipart request signs an empty body, so curl's own boundary signs the same. Left out: Cookie, which only the
shared client's cookie jar added (it is kept masked, is no part of the contract and is not signed).
"""

from __future__ import annotations

import shlex

from services.core.i18n import N_
from services.platform.capture import COOKIE_HEADERS, TRANSPORT_HEADERS, Part, RequestDetail

REPLAY_NOTE = N_(
    'This command shows how a correct request looks; it cannot be sent again as it is. The API key in it is masked '
    '(put yours in). X-Timestamp is part of the signature and the platform refuses it once it is more than 5 minutes '
    'from its clock. X-Request-ID must be new for every request, and the platform refuses one it has already seen. '
    'To send it again, sign it afresh with your secret: a new timestamp, a new request id and the signature of the '
    'signed string below.')


def to_curl(detail: RequestDetail) -> str:
    """A shell command, one option per line."""
    multipart = detail.request_body.multipart
    lines = [f'curl -X {detail.method} {shlex.quote(detail.url)}']
    for name, value in detail.request_headers.items():
        lowered = name.lower()
        if lowered in TRANSPORT_HEADERS or lowered in COOKIE_HEADERS or (multipart and lowered == 'content-type'):
            continue
        lines.append(f'-H {shlex.quote(f"{_header_name(name)}: {value}")}')
    if multipart:
        lines.extend(f'-F {shlex.quote(_form_field(part))}' for part in detail.request_body.parts)
    elif detail.request_body.text:
        # --data-binary sends the bytes as they are; -d would strip newlines and read '@' as a file name.
        lines.append(f'--data-binary {shlex.quote(detail.request_body.text)}')
    return ' \\\n  '.join(lines)


def _header_name(name: str) -> str:
    """httpx keeps its own headers in lower case; written as they are usually read (case does not matter in HTTP)."""
    return '-'.join(word[:1].upper() + word[1:] for word in name.split('-')) if name.islower() else name


def _quoted(value: str) -> str:
    return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'


def _form_field(part: Part) -> str:
    if part.filename is None:
        return f'{part.name}=<{part.size} bytes>'
    # The file itself is never kept: the integrator points @ at their own copy (same name, same type).
    field = f'{part.name}=@{_quoted(part.filename)}'
    return field + (f';type={part.content_type}' if part.content_type else '')
