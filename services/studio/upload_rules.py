"""How large a request may be, route by route, and the words for a photo that is refused, wherever it is refused.

The reference photo is the only large thing anyone sends the studio. Its limit (STUDIO_MAX_UPLOAD_MB) is
enforced three times, each time with the same sentence: by the browser's file picker, by the server before the
body is read (services/core/body_limit.py, wired in main.py), and by `images.process_upload` on the bytes. The
same goes for the formats: a GIF, a HEIC photo from an iPhone and a file that is too big each get their own
sentence, from the picker (`picker_refusal`) as from the server (`format_refusal`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from services.core.body_limit import Describe, Limit, LimitFor
from services.core.i18n import N_, _

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
    advice = _('Choose a smaller photo or export it at a lower resolution.')
    if size is None:
        return _('The file is larger than the limit of {limit}.').format(limit=megabytes(limit)) + ' ' + advice
    return _('The file is {size}; the limit is {limit}.').format(size=megabytes(size), limit=megabytes(limit)) + \
        ' ' + advice


ACCEPTED_LABEL = N_('JPEG, PNG or WebP')


def accepted_label() -> str:
    return _(ACCEPTED_LABEL)
# The formats people actually try, by what the browser reports (file name extension, MIME type) or what the bytes
# say (Pillow's format name, or the ISO media "ftyp" brand for HEIC/AVIF, which Pillow does not open).
_KINDS = {
    'gif': ({'.gif'}, {'image/gif'}, {'GIF'}),
    'heic': ({'.heic', '.heif', '.hif'}, {'image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence'},
             {'HEIC', 'HEIF'}),
    'avif': ({'.avif'}, {'image/avif'}, {'AVIF'}),
}
_HEIC_BRANDS = {b'heic', b'heix', b'hevc', b'hevx', b'heim', b'heis', b'mif1', b'msf1'}
_AVIF_BRANDS = {b'avif', b'avis'}


def format_refusal(kind: str, shown: str = '') -> str:
    """The sentence for a photo in a format the studio does not take; `kind` from `kind_of_*`."""
    if kind == 'gif':
        return _('GIF is not supported: choose a photo in {formats} format.').format(formats=accepted_label())
    if kind == 'heic':
        return _('HEIC is not supported: export the photo as JPEG (on an iPhone, share it and choose "Save as '
                 'JPEG", or set Settings > Camera > Formats to "Most Compatible").')
    if kind == 'avif':
        return _('AVIF is not supported: export the photo as JPEG, or choose one in {formats} format.') \
            .format(formats=accepted_label())
    if shown:
        return _('{kind} files are not supported: choose a photo in {formats} format.') \
            .format(kind=shown, formats=accepted_label())
    return _('This file is not supported: choose a photo in {formats} format.').format(formats=accepted_label())


def kind_of_file(name: str, mime: str) -> str | None:
    """'gif', 'heic', 'avif' for those formats by the file's name or MIME type, else None."""
    extension = '.' + name.rsplit('.', 1)[-1].lower() if '.' in name else ''
    mime = mime.lower().strip()
    return next((kind for kind, (extensions, mimes, _) in _KINDS.items() if extension in extensions or mime in mimes),
                None)


def kind_of_bytes(data: bytes, pillow_format: str | None = None) -> str | None:
    """'gif', 'heic', 'avif' by what the bytes are (Pillow's format name if it opened them), else None."""
    if pillow_format:
        return next((kind for kind, (_, _, formats) in _KINDS.items() if pillow_format.upper() in formats), None)
    if data[4:8] == b'ftyp':
        brand = data[8:12]
        if brand in _AVIF_BRANDS:
            return 'avif'
        if brand in _HEIC_BRANDS:
            return 'heic'
    return None


def picker_refusal(name: str, size: int, mime: str, reason: str, limit: int) -> str:
    """What to say when the browser's picker refused a file (Quasar's `failedPropValidation` is `reason`).

    The format comes first: "too big" is no help for a HEIC photo, which would not be taken at any size."""
    kind = kind_of_file(name, mime)
    if kind is not None:
        return format_refusal(kind)
    if reason in ('max-file-size', 'max-total-size') or size > limit:
        return too_large_message(size, limit)
    extension = name.rsplit('.', 1)[-1].upper() if '.' in name else ''
    return format_refusal('other', extension if extension.isalnum() and len(extension) <= 5 else '')


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
        if size is not None:
            return _('The request is too large ({size}): this address accepts at most {limit}.') \
                .format(size=megabytes(size), limit=megabytes(limit))
        return _('The request is too large: this address accepts at most {limit}.').format(limit=megabytes(limit))
    return describe
