"""The control routes answer a program on this machine only, never a web page (issue 12, item 9).

A page open in any browser on the sandbox's machine used to be able to break the demo with a cross-origin
`text/plain` POST (a "simple" request, sent without any preflight). Each refusal here is one way a page could try.
"""

from __future__ import annotations

import httpx
import pytest

from sandbox.routes.guard import CONTROL_HEADER, CONTROL_HEADERS
from tests.support.sandbox_server import RunningSandbox

FAULT = '{"endpoint": "cover", "kind": "drop"}'


async def _post(sandbox: RunningSandbox, path: str, headers: dict[str, str], body: str = FAULT) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(sandbox.base_url + path, content=body, headers=headers)


@pytest.mark.parametrize('path', ['/_sandbox/faults', '/_sandbox/latency'])
@pytest.mark.parametrize(('headers', 'why'), [
    # What a hostile page's fetch(..., {mode: 'no-cors', body}) or <form enctype=text/plain> sends.
    ({'Content-Type': 'text/plain', 'Origin': 'https://evil.example', 'Sec-Fetch-Site': 'cross-site'}, 'web pages'),
    # Even with our header (which a real browser would first ask about in a preflight the sandbox never grants).
    ({**CONTROL_HEADERS, 'Content-Type': 'application/json', 'Origin': 'https://evil.example'}, 'cross-origin'),
    ({**CONTROL_HEADERS, 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'same-site'}, 'cross-site'),
    # DNS rebinding: a hostile name resolving to 127.0.0.1 is "same-origin" with the sandbox, but names itself.
    ({**CONTROL_HEADERS, 'Content-Type': 'application/json', 'Host': 'rebind.evil.example:8601',
      'Origin': 'http://rebind.evil.example:8601'}, 'loopback address'),
    # A local program that forgot the header.
    ({'Content-Type': 'application/json'}, CONTROL_HEADER),
    # The header, but a body a form could send.
    ({**CONTROL_HEADERS, 'Content-Type': 'text/plain'}, 'JSON body'),
])
async def test_requests_a_web_page_could_send_change_nothing(sandbox: RunningSandbox, path: str,
                                                             headers: dict[str, str], why: str) -> None:
    response = await _post(sandbox, path, headers, FAULT if path.endswith('faults') else '{"latency": "60"}')
    assert response.status_code in (403, 415), response.text
    assert why in response.text
    assert sandbox.controller.faults.snapshot() == {}
    assert sandbox.controller.config.latency == (0.0, 0.0)


async def test_reading_the_faults_needs_the_header_too(sandbox: RunningSandbox) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(sandbox.base_url + '/_sandbox/faults')).status_code == 403
        assert (await http.delete(sandbox.base_url + '/_sandbox/faults')).status_code == 403
        answer = await http.get(sandbox.base_url + '/_sandbox/faults', headers=CONTROL_HEADERS)
    assert answer.json() == {'faults': {}}


async def test_a_local_program_with_the_header_is_obeyed(sandbox: RunningSandbox) -> None:
    response = await _post(sandbox, '/_sandbox/faults', {**CONTROL_HEADERS, 'Content-Type': 'application/json'})
    assert response.status_code == 200, response.text
    assert sandbox.controller.faults.snapshot() == {'cover': {'kind': 'drop', 'times': None}}
    # The sandbox's own origin (a same-origin tool page) and localhost by name are fine too.
    port = sandbox.base_url.rsplit(':', 1)[1]
    response = await _post(sandbox, '/_sandbox/faults', {
        **CONTROL_HEADERS, 'Content-Type': 'application/json', 'Host': f'localhost:{port}',
        'Origin': f'http://localhost:{port}', 'Sec-Fetch-Site': 'same-origin'}, '{"endpoint": "list", "kind": "401"}')
    assert response.status_code == 200, response.text
    assert set(sandbox.controller.faults.snapshot()) == {'cover', 'list'}


async def test_a_preflight_is_never_granted(sandbox: RunningSandbox) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.options(sandbox.base_url + '/_sandbox/faults', headers={
            'Origin': 'https://evil.example', 'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': CONTROL_HEADER})
    assert response.status_code >= 400
    assert 'access-control-allow-origin' not in response.headers
