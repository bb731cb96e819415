"""POST /v1/config/options: the catalogue for a gender, labelled in the asked language."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import catalogue
from ..auth import Caller
from ..controller import controller_of
from ..endpoint import api
from ..protocol import bad_request, ok


@api('options')
async def options_view(request: Request, caller: Caller, body: dict[str, Any]) -> Response:
    namespace = body.get('namespace')
    if namespace != catalogue.NAMESPACE:
        raise bad_request(f"Unknown namespace {namespace!r}: the only namespace is '{catalogue.NAMESPACE}'"
                          if namespace else f"namespace is required (use '{catalogue.NAMESPACE}')")
    gender = body.get('gender') or None
    if gender is not None and gender not in catalogue.GENDERS:
        raise bad_request("gender must be 'male' or 'female', or left out for both")
    language = catalogue.normalise_language(body.get('language'))
    base = controller_of(request).public_base(request)
    # Shared codes (a 'slim' build, 'curly' hair) are pictured on the asked gender's figure.
    suffix = f'?gender={gender}' if gender else ''
    data = {category: [{'code': c.code, 'label': label,
                        'previewUrl': f'{base}/cdn/options/{category}/{c.code}.png{suffix}'} for c, label in items]
            for category, items in catalogue.options_for(gender, language).items()}
    return ok(data)
