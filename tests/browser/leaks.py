"""The leak audit: a secret must appear nowhere the browser can see — traffic, DOM, cookies or storage."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from tests.browser.chrome import Browser


def disguises(secret: str) -> set[str]:
    """The forms a secret takes when a page embeds it: raw, URL-encoded, JSON-escaped, base64."""
    forms = {secret, quote(secret, safe=''), quote_plus(secret), json.dumps(secret)[1:-1],
             base64.b64encode(secret.encode()).decode().rstrip('=')}
    return {form for form in forms if len(form) >= 6}


def findings(secrets: Iterable[str], browser: Browser, *, include_sent: bool = True) -> list[str]:
    """Where each secret was found, across every tab of `browser`; an empty list means clean."""
    needles = {form: secret for secret in secrets if secret for form in disguises(secret)}
    traffic = browser.collect()
    places: list[tuple[str, str]] = [
        (where, text) for where, text in traffic.everything() if include_sent or where != 'websocket frame sent'
    ]
    current = browser.driver.current_window_handle
    for handle in browser.driver.window_handles:
        browser.switch_to(handle)
        snapshot = browser.storage_snapshot()
        tab = snapshot['url']
        places.append((f'cookies ({tab})', json.dumps(snapshot['cookies'])))
        places.append((f'localStorage ({tab})', json.dumps(snapshot['localStorage'])))
        places.append((f'sessionStorage ({tab})', json.dumps(snapshot['sessionStorage'])))
        places.append((f'final DOM ({tab})', snapshot['dom']))
        places.append((f'field values ({tab})', json.dumps(browser.js(
            'return Array.from(document.querySelectorAll("input, textarea")).map(e => e.value)'))))
        places.append((f'URL ({tab})', tab))
    browser.switch_to(current)
    found = []
    for where, text in places:
        for form, secret in needles.items():
            if form in text:
                found.append(f'{_label(secret)} in {where}')
    return sorted(set(found))


def assert_nowhere(secrets: Iterable[str], browser: Browser, *, include_sent: bool = True) -> None:
    secrets = list(secrets)
    assert all(secrets), 'the audit needs the real values to look for'
    found = findings(secrets, browser, include_sent=include_sent)
    traffic = browser.traffic
    assert not found, 'secret material reached the browser:\n' + '\n'.join(found)
    # An audit that looked at nothing proves nothing.
    assert traffic.bodies and traffic.frames_received, 'the audit recorded no traffic'


def _label(secret: str) -> str:
    return f'{secret[:4]}…({len(secret)} chars)'
