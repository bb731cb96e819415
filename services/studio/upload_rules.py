"""How large a request may be, route by route, and the words for a file that is refused before it is read.

The reference photo is the only large thing anyone sends the studio. Its limit (STUDIO_MAX_UPLOAD_MB) is
enforced three times, each time with the same sentence: by the browser's file picker, by the server before the
body is read (services/core/body_limit.py, wired in main.py), and by `images.process_upload` on the bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from services.core.body_limit import Describe, Limit, LimitFor

# NiceGUI's per-element upload route (nicegui/elements/upload.py): /_nicegui/client/<client>/upload/<element>.
UPLOAD_ROUTE = re.compile(r'^/_nicegui/client/[^/]+/upload/[^/]+$')
# Boundaries and part headers around the file in a multipart body: a few hundred bytes, with room to spare.
MULTIPART_OVERHEAD = 64 * 1024
# Every other route: forms are sent over the websocket, so the only other bodies are socket.io long-polling
# packets, which engine.io itself caps at 1 MB.
DEFAULT_BODY_LIMIT = 1024 * 1024 + 64 * 1024


def megabytes(size: int) -> str:
    return f'{size / (1024 * 1024):.1f} MB'


def too_large_message(size: int | None, limit: int) -> str:
    """The sentence for a photo over the limit; `size` None when only "more than the limit" is known."""
    advice = 'Choose a smaller photo or export it at a lower resolution.'
    if size is None:
        return f'The file is larger than the limit of {megabytes(limit)}. {advice}'
    return f'The file is {megabytes(size)}; the limit is {megabytes(limit)}. {advice}'


def body_limits(max_upload_bytes: int, *, own_limits: Mapping[str, int] | None = None) -> LimitFor:
    """The limit for each request path: the photo's on upload routes, `own_limits[prefix]` under a prefix that
    bounds its bodies itself (the embedded sandbox answers like the platform up to there), small elsewhere."""
    upload = Limit(max_upload_bytes + MULTIPART_OVERHEAD, lambda size: too_large_message(size, max_upload_bytes))
    prefixed = [(prefix, Limit(limit, _generic(limit))) for prefix, limit in (own_limits or {}).items()]
    default = Limit(DEFAULT_BODY_LIMIT, _generic(DEFAULT_BODY_LIMIT))

    def limit_for(path: str) -> Limit:
        if UPLOAD_ROUTE.match(path):
            return upload
        for prefix, limit in prefixed:
            if path.startswith(prefix):
                return limit
        return default

    return limit_for


def _generic(limit: int) -> Describe:
    def describe(size: int | None) -> str:
        said = f' ({megabytes(size)})' if size is not None else ''
        return f'The request is too large{said}: this address accepts at most {megabytes(limit)}.'
    return describe
