"""The platform client over real HTTP (uvicorn on a loopback port) against the signature-checking echo app.

Every envelope rule, retry rule and error path of the issue is driven here on purpose by scripting the
server's replies; server hits are counted so "never retried" and "at most 3 tries" are facts, not hopes.
"""

from __future__ import annotations

import base64
import logging
import socket
import traceback
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

import services.platform.client as platform_module
import services.platform.pools as pools_module
from services.core.secret import Secret
from services.core.settings import load_settings
from services.platform.client import Credentials, PlatformClient, SignedRequestInfo
from services.platform.errors import (
    AuthenticationError,
    BusinessError,
    PlatformError,
    ProtocolError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from services.platform.models import AgentListRequest, CoverRequest, CreateAgentRequest
from tests.platform.signing_echo_app import COVER_PNG, EchoPlatform, Reply, serve_echo

KEY = 'echo-key-alpha-123'
SECRET = 'echo-secret-alpha-0123456789'
KEY2 = 'echo-key-beta-456'
SECRET2 = 'echo-secret-beta-9876543210'
FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures'

COVER = CoverRequest(gender='female', age='18-25', ethnicity='Asian', bodyType='Slim', breastSize='Medium',
                     buttSize='Medium', hairColor='Black', hairStyle='Long')
CREATE = CreateAgentRequest(**COVER.model_dump(), coverId='cover-1', name='  Mia  ', voiceId='voice-1', language='en')

OPTIONS = '/v1/config/options'
COVER_PATH = '/v1/agent/cover'
CREATE_PATH = '/v1/agent/create'
LIST = '/v1/agent/list'


@pytest.fixture(scope='module')
def echo_server() -> Iterator[EchoPlatform]:
    with serve_echo({KEY: SECRET, KEY2: SECRET2}) as platform:
        yield platform


@pytest.fixture
def echo(echo_server: EchoPlatform) -> Iterator[EchoPlatform]:
    echo_server.reset()
    yield echo_server
    echo_server.reset()


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform_module, 'RETRY_BACKOFF', (0.1, 0.2))


@pytest.fixture
def creds() -> Credentials:
    return Credentials(KEY, Secret(SECRET), 'user-1')


@pytest.fixture
async def client(echo: EchoPlatform) -> AsyncIterator[PlatformClient]:
    platform = PlatformClient(base_url=echo.url, timeout=2, slow_timeout=2, connect_timeout=1)
    yield platform
    await platform.aclose()


def all_verified(echo: EchoPlatform) -> bool:
    return bool(echo.hits) and all(hit.verdict == 'ok' for hit in echo.hits)


# --- every endpoint, signed and typed ---------------------------------------------------------------------


async def test_every_endpoint_round_trips_signed(client: PlatformClient, echo: EchoPlatform,
                                                 creds: Credentials) -> None:
    options = await client.options(creds, gender='female')
    assert [o.code for o in options['BreastSize']] == ['Medium']
    image = (FIXTURES / 'astronaut.png').read_bytes()
    ref = await client.upload_ref_image(creds, image, 'astronaut.png', 'image/png')
    face = await client.face_detect(creds, image, 'astronaut.png', 'image/png')
    cover, cover_trace = await client.generate_cover(creds, COVER.model_copy(update={'refImageId': ref.refImageId}))
    agent, create_trace = await client.create_agent(creds, CREATE.model_copy(update={'coverId': cover.coverId}))
    page = await client.list_agents(creds, AgentListRequest(pageNumber=1, pageSize=20))

    assert ref.refImageId and face.hasFace and face.faceCount == 1
    assert base64.b64decode(cover.imageData.split(',', 1)[1]) == COVER_PNG
    assert agent.name == '  Mia  ' and cover_trace and create_trace and len(cover_trace) == 32
    assert [r.agentId for r in page.records] == ['agent-0', 'agent-1'] and page.total == 2
    assert all_verified(echo)
    upload = echo.hits[1]
    assert upload.upload == {'filename': 'astronaut.png', 'content_type': 'image/png', 'size': len(image)}
    assert upload.signed_string is not None and upload.signed_string.endswith('\nuser-1\n\n')  # multipart: empty
    create = echo.hits[4].signed_string or ''
    assert '&name=Mia&' in create  # trimmed in the signed string, sent as typed
    assert create.splitlines()[:2] == ['POST', '/v1/agent/create']


async def test_base_url_prefix_is_not_signed(echo: EchoPlatform, creds: Credentials) -> None:
    client = PlatformClient(base_url=echo.url + '/gateway/api/', timeout=2, slow_timeout=2)
    try:
        await client.options(creds)
    finally:
        await client.aclose()
    assert echo.hits[0].path == '/gateway/api/v1/config/options'
    assert echo.hits[0].signed_string is not None and echo.hits[0].signed_string.startswith('POST\n/v1/config/')
    assert all_verified(echo)


@pytest.mark.parametrize('list_key', ['records', 'list', 'items'])
async def test_list_accepts_records_list_or_items(client: PlatformClient, echo: EchoPlatform, creds: Credentials,
                                                  list_key: str) -> None:
    echo.list_key = list_key
    page = await client.list_agents(creds)
    assert [r.name for r in page.records] == ['Agent 0', 'Agent 1']


async def test_on_signed_reports_each_request_as_signed(client: PlatformClient, echo: EchoPlatform,
                                                        creds: Credentials) -> None:
    seen: list[SignedRequestInfo] = []
    client.on_signed = seen.append
    echo.script(OPTIONS, Reply.raw(502, b'bad gateway', 'text/plain'))
    await client.options(creds)
    assert [info.signed_string for info in seen] == [hit.signed_string for hit in echo.hits]
    assert len(seen) == 2 and seen[0].url == echo.url + OPTIONS
    assert {k.lower(): v for k, v in seen[1].headers.items()}['x-signature'] == echo.hits[1].headers['x-signature']


# --- authentication and the clock ---------------------------------------------------------------------------


async def test_wrong_secret_is_an_authentication_error(client: PlatformClient, echo: EchoPlatform) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await client.options(Credentials(KEY, Secret('not-the-secret-000'), 'user-1'))
    assert caught.value.status == 401 and caught.value.code == 10401
    assert 'signature mismatch' in str(caught.value) and 'API key' in str(caught.value)
    assert echo.hits_for(OPTIONS) == 1  # a real refusal is not retried


async def test_unknown_key_is_an_authentication_error(client: PlatformClient, echo: EchoPlatform) -> None:
    with pytest.raises(AuthenticationError, match='unknown API key'):
        await client.generate_cover(Credentials('nobody-key', Secret('whatever-secret'), 'u'), COVER)
    assert echo.hits_for(COVER_PATH) == 1


@pytest.mark.parametrize('server_offset', [-3600.0, 7200.0])
async def test_clock_skew_is_corrected_and_retried_once(client: PlatformClient, echo: EchoPlatform,
                                                        creds: Credentials, server_offset: float) -> None:
    echo.clock_offset = server_offset
    cover, _ = await client.generate_cover(creds, COVER)  # even the never-retried call: nothing was done
    assert cover.coverId
    assert [hit.verdict for hit in echo.hits] == ['timestamp expired', 'ok']
    assert abs(client.clock_offset - server_offset) < 5
    await client.options(creds)  # the corrected clock sticks: no second refusal
    assert [hit.verdict for hit in echo.hits] == ['timestamp expired', 'ok', 'ok']


async def test_clock_skew_retry_never_loops(client: PlatformClient, echo: EchoPlatform, creds: Credentials) -> None:
    # A server whose clock reading jumps about on every refusal: the client corrects once, then gives up.
    echo.script(OPTIONS, Reply.unauthorized_far_clock(3600), Reply.unauthorized_far_clock(-3600),
                Reply.unauthorized_far_clock(9000))
    with pytest.raises(AuthenticationError):
        await client.options(creds)
    assert echo.hits_for(OPTIONS) == 2
    assert echo.next_reply(OPTIONS) is not None  # the third refusal was never asked for


async def test_401_without_an_envelope_is_still_an_authentication_error(client: PlatformClient, echo: EchoPlatform,
                                                                         creds: Credentials) -> None:
    echo.script(LIST, Reply.raw(401, b'Unauthorized', 'text/plain'))
    with pytest.raises(AuthenticationError, match='authentication failed'):
        await client.list_agents(creds)
    assert echo.hits_for(LIST) == 1


# --- the envelope -----------------------------------------------------------------------------------------


async def test_business_error_carries_code_message_and_trace(client: PlatformClient, echo: EchoPlatform,
                                                             creds: Credentials) -> None:
    echo.script(COVER_PATH, Reply.business(10400, 'breastSize is required for female', trace_id='t' * 32))
    with pytest.raises(BusinessError) as caught:
        await client.generate_cover(creds, COVER)
    error = caught.value
    assert (error.code, error.user_message, error.trace_id) == (10400, 'breastSize is required for female', 't' * 32)
    assert str(error) == f'breastSize is required for female (code 10400) [traceId {"t" * 32}]'
    assert not error.expired_cover


async def test_expired_cover_is_recognised(client: PlatformClient, echo: EchoPlatform, creds: Credentials) -> None:
    echo.script(CREATE_PATH, Reply.business(10404, 'coverId is expired or invalid, please regenerate cover'))
    with pytest.raises(BusinessError) as caught:
        await client.create_agent(creds, CREATE)
    assert caught.value.expired_cover and echo.hits_for(CREATE_PATH) == 1


async def test_business_error_on_options_is_not_retried(client: PlatformClient, echo: EchoPlatform,
                                                        creds: Credentials) -> None:
    echo.script(OPTIONS, Reply.business(10400, 'namespace is unknown'))
    with pytest.raises(BusinessError, match='namespace is unknown'):
        await client.options(creds, namespace='nope')
    assert echo.hits_for(OPTIONS) == 1


async def test_non_json_body_says_so_with_status_and_first_bytes(client: PlatformClient, echo: EchoPlatform,
                                                                 creds: Credentials) -> None:
    echo.script(CREATE_PATH, Reply.raw(200, b'<html><body>Maintenance until 10:00</body></html>', 'text/html'))
    with pytest.raises(ProtocolError) as caught:
        await client.create_agent(creds, CREATE)
    text = str(caught.value)
    assert 'is not JSON' in text and 'HTTP 200' in text and 'Maintenance until 10:00' in text
    assert caught.value.status == 200 and caught.value.snippet.startswith('<html>')


async def test_json_that_is_not_an_envelope_says_so(client: PlatformClient, echo: EchoPlatform,
                                                    creds: Credentials) -> None:
    echo.script(LIST, Reply.raw(200, b'{"agents": []}'))
    with pytest.raises(ProtocolError, match='is not the documented envelope') as caught:
        await client.list_agents(creds)
    assert '{"agents": []}' in str(caught.value)


async def test_success_envelope_with_malformed_data_names_the_fields(client: PlatformClient, echo: EchoPlatform,
                                                                     creds: Credentials) -> None:
    echo.script(COVER_PATH, Reply.ok({'coverId': 'c-1'}))
    with pytest.raises(ProtocolError, match='imageData'):
        await client.generate_cover(creds, COVER)
    echo.script(OPTIONS, Reply.ok(['not', 'a', 'map']))
    with pytest.raises(ProtocolError, match='map of categories'):
        await client.options(creds)


# --- retries: options and list yes, cover and create never ---------------------------------------------------


@pytest.mark.parametrize('path', [OPTIONS, LIST])
async def test_idempotent_calls_retry_5xx_with_backoff(client: PlatformClient, echo: EchoPlatform,
                                                       creds: Credentials, path: str,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    echo.script(path, Reply.raw(502, b'<html>Bad Gateway</html>', 'text/html'),
                Reply.business(10500, 'internal error', status=500))
    caplog.set_level(logging.WARNING, logger='services.platform.client')
    if path == OPTIONS:
        await client.options(creds)
    else:
        await client.list_agents(creds)
    assert echo.hits_for(path) == 3
    retries = [r.getMessage() for r in caplog.records if 'retry' in r.getMessage()]
    assert len(retries) == 2 and 'retry 1 of 2 in 0.1s' in retries[0] and 'retry 2 of 2 in 0.2s' in retries[1]


async def test_idempotent_calls_give_up_after_three_tries(client: PlatformClient, echo: EchoPlatform,
                                                          creds: Credentials) -> None:
    echo.script(OPTIONS, *[Reply.raw(503, b'busy', 'text/plain')] * 4)
    with pytest.raises(ProtocolError, match='HTTP 503') as caught:
        await client.options(creds)
    assert 'try again in a minute' in str(caught.value)
    assert echo.hits_for(OPTIONS) == 3


@pytest.mark.parametrize('reply', [Reply.raw(500, b'oops', 'text/plain'), Reply.raw(502, b'', 'text/plain'),
                                   Reply.business(10500, 'image backend failed', status=500), Reply.drop()],
                         ids=['500', '502', '500-envelope', 'dropped'])
async def test_cover_and_create_are_never_retried(client: PlatformClient, echo: EchoPlatform, creds: Credentials,
                                                  reply: Reply) -> None:
    echo.script(COVER_PATH, reply)
    echo.script(CREATE_PATH, reply)
    with pytest.raises(PlatformError):
        await client.generate_cover(creds, COVER)
    with pytest.raises(PlatformError):
        await client.create_agent(creds, CREATE)
    assert echo.hits_for(COVER_PATH) == 1 and echo.hits_for(CREATE_PATH) == 1


# --- transport failures ---------------------------------------------------------------------------------


async def test_stall_past_the_timeout_is_upstream_timeout(echo: EchoPlatform, creds: Credentials) -> None:
    client = PlatformClient(base_url=echo.url, timeout=0.3, slow_timeout=0.3, connect_timeout=0.3)
    echo.script(COVER_PATH, Reply.stall(2))
    echo.script(OPTIONS, Reply.stall(2), Reply.stall(2))
    try:
        with pytest.raises(UpstreamTimeout, match=r'did not answer within 0\.3 seconds'):
            await client.generate_cover(creds, COVER)
        assert echo.hits_for(COVER_PATH) == 1
        options = await client.options(creds)  # two stalls, then an answer on the third try
        assert 'Age' in options and echo.hits_for(OPTIONS) == 3
    finally:
        await client.aclose()


async def test_dropped_connection_is_unreachable_and_retried_for_options(client: PlatformClient,
                                                                         echo: EchoPlatform,
                                                                         creds: Credentials) -> None:
    echo.script(COVER_PATH, Reply.drop())
    with pytest.raises(UpstreamUnreachable, match='dropped'):
        await client.generate_cover(creds, COVER)
    echo.script(OPTIONS, Reply.drop())
    await client.options(creds)
    assert echo.hits_for(COVER_PATH) == 1 and echo.hits_for(OPTIONS) == 2


def free_port_with_nothing_listening() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


async def test_refused_connection_is_upstream_unreachable(creds: Credentials) -> None:
    port = free_port_with_nothing_listening()
    client = PlatformClient(base_url=f'http://127.0.0.1:{port}', timeout=2, slow_timeout=2, connect_timeout=1)
    try:
        with pytest.raises(UpstreamUnreachable) as caught:
            await client.generate_cover(creds, COVER)
        assert f'127.0.0.1:{port}' in str(caught.value) and 'could not be reached' in str(caught.value)
        with pytest.raises(UpstreamUnreachable):
            await client.list_agents(creds)
    finally:
        await client.aclose()


# --- secrets, the pool, settings ---------------------------------------------------------------------------


async def test_no_secret_or_authorization_value_in_errors_or_logs(client: PlatformClient, echo: EchoPlatform,
                                                                  creds: Credentials,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    echo.script(OPTIONS, Reply.raw(502, b'bad', 'text/plain'), Reply.drop(), Reply.raw(500, b'x'))
    echo.script(LIST, Reply.raw(200, f'echo: Authorization: Bearer {KEY} {SECRET}'.encode(), 'text/plain'))
    echo.script(COVER_PATH, Reply.business(10400, 'bad request'))
    echo.script(CREATE_PATH, Reply.drop())
    errors: list[BaseException] = []
    calls = [client.options(creds), client.list_agents(creds), client.generate_cover(creds, COVER),
             client.create_agent(creds, CREATE), client.options(Credentials(KEY, Secret(SECRET + 'x'), 'u'))]
    for call in calls:
        try:
            await call
        except PlatformError as error:
            errors.append(error)
    assert len(errors) == 5
    texts = [text for e in errors for text in (str(e), repr(e), ''.join(traceback.format_exception(e)),
                                                  getattr(e, 'snippet', ''))]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(creds), repr(client)]
    assert caplog.records, 'expected the retries and httpx to log something'
    for text in texts:
        assert SECRET not in text and KEY not in text and f'Bearer {KEY}' not in text


async def test_one_pool_serves_every_credential(client: PlatformClient, echo: EchoPlatform) -> None:
    alpha = Credentials(KEY, Secret(SECRET), 'alice')
    beta = Credentials(KEY2, Secret(SECRET2), 'bob')
    await client.options(alpha)
    pool = client.http
    await client.options(beta)
    await client.list_agents(alpha)
    assert client.http is pool
    assert all_verified(echo)
    assert [hit.headers['authorization'] for hit in echo.hits] == [f'Bearer {KEY}', f'Bearer {KEY2}', f'Bearer {KEY}']
    assert [hit.headers['x-user-id'] for hit in echo.hits] == ['alice', 'bob', 'alice']
    assert len({hit.client_port for hit in echo.hits}) == 1  # one kept-alive connection, not one per user


def test_default_timeouts_follow_the_contract() -> None:
    settings = load_settings({})
    client = PlatformClient.from_settings(settings, base_url='http://127.0.0.1:1')
    assert client.slow_timeout >= 350 and client.timeout == 30


def test_female_cover_fields_are_checked_before_sending() -> None:
    with pytest.raises(ValueError, match='breastSize is required for female'):
        CoverRequest(gender='female', age='18-25', ethnicity='Asian', bodyType='Slim', hairColor='Black',
                     hairStyle='Long', buttSize='Medium')


async def test_a_megabyte_cover_answer_is_read_in_full(client: PlatformClient, echo: EchoPlatform,
                                                         creds: Credentials) -> None:
    # Above LARGE_BODY the envelope is parsed on a worker thread; the result must be the same.
    image = 'data:image/png;base64,' + 'A' * (3 * 1024 * 1024)
    echo.script(COVER_PATH, Reply.ok({'coverId': 'c-big', 'imageData': image}))
    cover, _trace = await client.generate_cover(creds, COVER)
    assert cover.coverId == 'c-big' and cover.imageData == image


async def test_a_cookie_set_for_one_person_never_rides_on_anothers_request() -> None:
    # One client serves every person; a platform or balancer cookie must not leak from one caller to the next.
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get('cookie'))
        body = {'code': 200, 'success': True, 'message': 'ok', 'data': {}, 'traceId': 't'}
        return httpx.Response(200, json=body, headers={'Set-Cookie': 'session=alice-only; Path=/'})

    client = PlatformClient(base_url='http://platform.test', transport=httpx.MockTransport(answer))
    try:
        await client.options(Credentials('key-a-1234', Secret('secret-a-1234'), 'alice'))
        await client.options(Credentials('key-b-5678', Secret('secret-b-5678'), 'bob'))
    finally:
        await client.aclose()
    assert seen == [None, None]


async def test_slow_calls_spread_over_pools_of_their_own(client: PlatformClient, echo: EchoPlatform,
                                                         creds: Credentials) -> None:
    # httpcore walks every connection of a pool on each request and answer: covers that wait minutes each go
    # to SLOW_POOLS small pools in turn, quick calls keep the shared one (bench figure 2).
    for _ in range(pools_module.SLOW_POOLS):
        await client.generate_cover(creds, COVER)
    await client.options(creds, gender='female')
    pools = client._pools.slow_pools
    assert len(pools) == pools_module.SLOW_POOLS and len(set(map(id, pools))) == len(pools)
    assert all(pool is not client.http for pool in pools)
    assert all(hit.verdict == 'ok' for hit in echo.hits)  # signed the same through every pool
    await client.aclose()
    assert all(pool.is_closed for pool in pools) and client.http is not None  # a closed client opens anew
