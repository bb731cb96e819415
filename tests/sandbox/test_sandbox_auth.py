"""Authentication exactly as documented: every refusal is an HTTP 401 envelope naming the failed check."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from sandbox.auth import ReplayGuard
from services.core.secret import Secret
from services.platform.client import Credentials, PlatformClient
from services.platform.errors import AuthenticationError
from services.platform.signing import build_auth_headers
from tests.conftest import FIXTURES, TEST_KEY, TEST_SECRET
from tests.support.sandbox_server import RunningSandbox

OPTIONS = '/v1/config/options'
BODY = {'namespace': 'custom_agent', 'language': 'en'}


def post(sandbox: RunningSandbox, headers: dict[str, str], body: dict | None = None,
         path: str = OPTIONS) -> httpx.Response:
    content = json.dumps(BODY if body is None else body).encode()
    return httpx.post(sandbox.base_url + path, content=content,
                      headers={'Content-Type': 'application/json', **headers}, timeout=10)


def signed(body: dict | None = None, **overrides: object) -> dict[str, str]:
    return build_auth_headers(TEST_KEY, Secret(TEST_SECRET), 'tester', 'POST', OPTIONS,
                              body=BODY if body is None else body, **overrides)  # type: ignore[arg-type]


def assert_401(response: httpx.Response, words: str) -> dict:
    assert response.status_code == 401
    envelope = response.json()
    assert envelope['success'] is False
    assert envelope['code'] == 10401
    assert words.lower() in envelope['message'].lower()
    assert len(envelope['traceId']) == 32
    assert abs(int(envelope['timestamp']) - time.time() * 1000) < 60_000
    return envelope


def test_correctly_signed_request_is_accepted(sandbox: RunningSandbox) -> None:
    response = post(sandbox, signed())
    assert response.status_code == 200
    assert response.json()['success'] is True


def test_missing_authorization_header(sandbox: RunningSandbox) -> None:
    headers = signed()
    del headers['Authorization']
    assert_401(post(sandbox, headers), 'Missing Authorization header')


@pytest.mark.parametrize('value', ['Basic dGVzdDp0ZXN0', 'Bearer', 'test-key', 'Bearer two words'])
def test_malformed_authorization_header(sandbox: RunningSandbox, value: str) -> None:
    assert_401(post(sandbox, {**signed(), 'Authorization': value}), 'Malformed Authorization header')


@pytest.mark.parametrize('header', ['X-Timestamp', 'X-Signature', 'X-Request-ID', 'X-User-ID'])
def test_each_missing_signing_header(sandbox: RunningSandbox, header: str) -> None:
    headers = signed()
    del headers[header]
    assert_401(post(sandbox, headers), f'Missing {header} header')


def test_unknown_api_key(sandbox: RunningSandbox) -> None:
    headers = build_auth_headers('someone-else', Secret(TEST_SECRET), 'tester', 'POST', OPTIONS, body=BODY)
    assert_401(post(sandbox, headers), 'Unknown API key')


@pytest.mark.parametrize('offset', [-305, 305, -3600])  # seconds; a second of margin for truncation
def test_timestamp_more_than_five_minutes_off(sandbox: RunningSandbox, offset: int) -> None:
    assert_401(post(sandbox, signed(timestamp=int(time.time()) + offset)), 'more than 5 minutes')


def test_timestamp_in_milliseconds_is_refused(sandbox: RunningSandbox) -> None:
    assert_401(post(sandbox, signed(timestamp=int(time.time() * 1000))), 'more than 5 minutes')


def test_non_numeric_timestamp(sandbox: RunningSandbox) -> None:
    assert_401(post(sandbox, {**signed(), 'X-Timestamp': 'yesterday'}), 'Unix time in seconds')


def test_wrong_secret(sandbox: RunningSandbox) -> None:
    headers = build_auth_headers(TEST_KEY, Secret('not-the-secret'), 'tester', 'POST', OPTIONS, body=BODY)
    assert_401(post(sandbox, headers), 'Signature mismatch')


def test_body_changed_after_signing(sandbox: RunningSandbox) -> None:
    # Signed for language en, sent with language zh: the exact bytes received are what is verified.
    assert_401(post(sandbox, signed(), body={**BODY, 'language': 'zh'}), 'Signature mismatch')


def test_user_id_changed_after_signing(sandbox: RunningSandbox) -> None:
    assert_401(post(sandbox, {**signed(), 'X-User-ID': 'someone-else'}), 'Signature mismatch')


def test_wrong_path_signed(sandbox: RunningSandbox) -> None:
    headers = build_auth_headers(TEST_KEY, Secret(TEST_SECRET), 'tester', 'POST', '/v1/agent/list', body=BODY)
    assert_401(post(sandbox, headers), 'Signature mismatch')


def test_replayed_request_id_is_refused(sandbox: RunningSandbox) -> None:
    headers = signed()
    assert post(sandbox, headers).status_code == 200
    assert_401(post(sandbox, headers), 'Replayed request')


def test_failed_request_does_not_burn_its_request_id(sandbox: RunningSandbox) -> None:
    # A forged request must not block the genuine one that uses the same id.
    genuine = signed()
    forged = {**genuine, 'X-Signature': '0' * 64}
    assert_401(post(sandbox, forged), 'Signature mismatch')
    assert post(sandbox, genuine).status_code == 200


def test_signature_ignores_blank_and_null_fields_as_documented(sandbox: RunningSandbox) -> None:
    body = {'namespace': ' custom_agent ', 'language': 'en', 'gender': None, 'note': '   '}
    assert post(sandbox, signed(body=body), body=body).status_code == 200


async def test_client_errors_are_authentication_errors(sandbox: RunningSandbox) -> None:
    client = PlatformClient(base_url=sandbox.base_url, timeout=10)
    try:
        with pytest.raises(AuthenticationError) as caught:
            await client.options(Credentials(TEST_KEY, Secret('wrong-secret-000'), 'tester'))
        assert caught.value.status == 401
        assert 'Signature mismatch' in caught.value.user_message
    finally:
        await client.aclose()


async def test_client_corrects_its_clock_from_the_401_timestamp(sandbox: RunningSandbox) -> None:
    # A laptop whose clock is 20 minutes slow: the first call is refused, the client adopts the server's
    # time from the 401 envelope and the retry succeeds.
    client = PlatformClient(base_url=sandbox.base_url, timeout=10, clock_offset=-1200)
    try:
        options = await client.options(sandbox.credentials)
        assert 'Age' in options
        assert abs(client.clock_offset) < 60
    finally:
        await client.aclose()


async def test_multipart_requests_verify_with_empty_canonical_body(sandbox: RunningSandbox,
                                                                    sandbox_client: PlatformClient) -> None:
    image = (FIXTURES / 'coffee.png').read_bytes()
    check = await sandbox_client.face_detect(sandbox.credentials, image, 'coffee.png', 'image/png')
    assert check.hasFace is False
    # The same upload signed as if it had JSON fields is refused.
    headers = build_auth_headers(TEST_KEY, Secret(TEST_SECRET), 'tester', 'POST', '/v1/agent/face-detect',
                                 body={'file': 'coffee.png'})
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(sandbox.base_url + '/v1/agent/face-detect', headers=headers,
                                   files={'file': ('coffee.png', image, 'image/png')})
    assert_401(response, 'Signature mismatch')


def test_keys_are_isolated_by_secret(sandbox: RunningSandbox) -> None:
    # Another configured key cannot sign with this key's secret.
    sandbox.controller.config.keys['other-key'] = Secret('other-secret-0123')
    headers = build_auth_headers('other-key', Secret(TEST_SECRET), 'tester', 'POST', OPTIONS, body=BODY)
    assert_401(post(sandbox, headers), 'Signature mismatch')
    ok = build_auth_headers('other-key', Secret('other-secret-0123'), 'tester', 'POST', OPTIONS, body=BODY)
    assert post(sandbox, ok).status_code == 200


@pytest.mark.parametrize(('method', 'path', 'status', 'code'), [('POST', '/v1/agent/nothing', 404, 10404),
                                                                ('GET', '/v1/agent/cover', 405, 10400)])
def test_unknown_paths_and_methods_answer_with_an_envelope(sandbox: RunningSandbox, method: str, path: str,
                                                           status: int, code: int) -> None:
    response = httpx.request(method, sandbox.base_url + path, timeout=10)
    assert response.status_code == status
    assert response.json()['code'] == code
    assert response.json()['success'] is False


def test_replay_memory_is_bounded() -> None:
    guard = ReplayGuard(600)
    guard.MAX_ENTRIES = 3
    for i in range(5):
        assert guard.first_use('k', f'id-{i}')
    assert not guard.first_use('k', 'id-4')
    assert guard.first_use('k', 'id-0')  # forgotten: the oldest went first
