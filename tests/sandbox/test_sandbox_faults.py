"""Fault injection: each kind reaches the project's client as the error type the app handles."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from sandbox.config import SandboxConfig
from sandbox.faults import Faults, FaultSpecError
from sandbox.routes.guard import CONTROL_HEADERS
from services.core.settings import SettingsError, load_settings
from services.platform.client import PlatformClient
from services.platform.errors import (
    AuthenticationError,
    BusinessError,
    ProtocolError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from services.platform.models import CoverRequest, CreateAgentRequest
from tests.support.sandbox_server import RunningSandbox, running_sandbox

FEMALE = CoverRequest(gender='female', age='18-25', ethnicity='latino', bodyType='slim', breastSize='small',
                      buttSize='small', hairColor='black', hairStyle='ponytail')


async def test_10500_is_a_business_error(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    sandbox.controller.faults.set('cover', '10500')
    with pytest.raises(BusinessError) as caught:
        await sandbox_client.generate_cover(sandbox.credentials, FEMALE)
    assert caught.value.code == 10500
    assert caught.value.trace_id and len(caught.value.trace_id) == 32


@pytest.mark.parametrize(('kind', 'status'), [('http500', 500), ('http502', 502)])
async def test_http_5xx_is_a_retryable_protocol_error(sandbox: RunningSandbox, sandbox_client: PlatformClient,
                                                      kind: str, status: int) -> None:
    sandbox.controller.faults.set('cover', kind)
    with pytest.raises(ProtocolError) as caught:
        await sandbox_client.generate_cover(sandbox.credentials, FEMALE)
    assert caught.value.status == status
    assert caught.value.retryable


async def test_garbage_body_is_a_protocol_error(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    sandbox.controller.faults.set('list', 'garbage')
    with pytest.raises(ProtocolError) as caught:
        await sandbox_client.list_agents(sandbox.credentials)
    assert 'is not JSON' in caught.value.user_message
    assert caught.value.status == 200


async def test_dropped_connection_is_upstream_unreachable(sandbox: RunningSandbox,
                                                          sandbox_client: PlatformClient) -> None:
    sandbox.controller.faults.set('create', 'drop')
    with pytest.raises(UpstreamUnreachable):
        await sandbox_client.create_agent(sandbox.credentials, CreateAgentRequest(
            **FEMALE.model_dump(), coverId='c', name='Mia', voiceId='voice_f_soft'))
    # The server itself is fine afterwards.
    assert (await sandbox_client.options(sandbox.credentials))['Age']


async def test_stall_outlasts_the_client_timeout(sandbox: RunningSandbox) -> None:
    sandbox.controller.faults.set('face_detect', 'stall')
    client = PlatformClient(base_url=sandbox.base_url, timeout=0.5, slow_timeout=0.5)
    try:
        with pytest.raises(UpstreamTimeout):
            await client.face_detect(sandbox.credentials, b'irrelevant', 'a.png', 'image/png')
        # Other endpoints keep answering while the stalled request sleeps.
        assert (await client.options(sandbox.credentials))['Age']
    finally:
        await client.aclose()


async def test_injected_401_is_an_authentication_error(sandbox: RunningSandbox,
                                                       sandbox_client: PlatformClient) -> None:
    sandbox.controller.faults.set('options', '401', times=1)
    with pytest.raises(AuthenticationError):
        await sandbox_client.options(sandbox.credentials)
    assert (await sandbox_client.options(sandbox.credentials))['Age']


async def test_times_counts_down_and_idempotent_calls_recover(sandbox: RunningSandbox,
                                                              sandbox_client: PlatformClient) -> None:
    # Options are retried by the client: two injected 502s, then the third try succeeds.
    sandbox.controller.faults.set('options', 'http502', times=2)
    assert (await sandbox_client.options(sandbox.credentials))['Age']
    assert sandbox.controller.faults.snapshot() == {}


async def test_clear_removes_every_fault(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    sandbox.controller.faults.set('list', '10500')
    sandbox.controller.faults.set('options', '10500')
    sandbox.controller.faults.clear()
    assert (await sandbox_client.options(sandbox.credentials))['Age']
    assert (await sandbox_client.list_agents(sandbox.credentials)).total == 0


async def test_faults_from_settings(tmp_path: Path) -> None:
    settings = load_settings({'SANDBOX_FAULTS': 'cover=10500,options=http502:2', 'SANDBOX_LATENCY': '0',
                              'SANDBOX_KEYS': 'k1:secret-one-123', 'STUDIO_DATA_DIR': str(tmp_path)})
    config = SandboxConfig.from_settings(settings)
    assert config.data_dir == tmp_path / 'sandbox'
    assert config.latency == (0.0, 0.0)
    assert list(config.keys) == ['k1']
    with running_sandbox(config) as running:
        assert running.controller.faults.snapshot() == {'cover': {'kind': '10500', 'times': None},
                                                        'options': {'kind': 'http502', 'times': 2}}
        client = PlatformClient(base_url=running.base_url, timeout=10)
        try:
            with pytest.raises(BusinessError):
                await client.generate_cover(running.credentials, FEMALE)
        finally:
            await client.aclose()


@pytest.mark.parametrize('spec', ['cover', 'cover=boom', 'nowhere=10500', 'cover=10500:0', 'cover=10500:x'])
def test_bad_fault_specs_are_refused(spec: str, tmp_path: Path) -> None:
    with pytest.raises(FaultSpecError):
        Faults().load_spec(spec)
    # From the environment, the error names the variable before anything starts.
    with pytest.raises(SettingsError, match=r'^SANDBOX_FAULTS: '):
        SandboxConfig.from_settings(load_settings({'SANDBOX_FAULTS': spec, 'STUDIO_DATA_DIR': str(tmp_path)}))


async def test_http_fault_control_from_loopback(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    url = sandbox.base_url + '/_sandbox/faults'
    async with httpx.AsyncClient(timeout=10, headers=CONTROL_HEADERS) as http:
        response = await http.post(url, json={'endpoint': 'options', 'kind': '10500', 'times': 1})
        assert response.json() == {'faults': {'options': {'kind': '10500', 'times': 1}}}
        with pytest.raises(BusinessError):
            await sandbox_client.options(sandbox.credentials)
        assert (await http.get(url)).json() == {'faults': {}}
        await http.post(url, json={'spec': 'list=garbage,cover=stall'})
        assert set((await http.get(url)).json()['faults']) == {'list', 'cover'}
        assert (await http.delete(url)).json() == {'faults': {}}
        bad = await http.post(url, json={'endpoint': 'options', 'kind': 'explode'})
        assert bad.status_code == 400
        assert 'unknown fault kind' in bad.json()['error']
        # Through a proxy on this machine: refused.
        proxied = await http.post(url, json={'endpoint': 'options', 'kind': '10500'},
                                  headers={'X-Forwarded-For': '203.0.113.9'})
        assert proxied.status_code == 403
        assert sandbox.controller.faults.snapshot() == {}
        latency = await http.post(sandbox.base_url + '/_sandbox/latency', json={'latency': '0.1-0.2'})
        assert latency.json() == {'latency': [0.1, 0.2]}
        assert sandbox.controller.config.latency == (0.1, 0.2)


async def test_http_fault_control_off_unless_allowed(sandbox: RunningSandbox) -> None:
    sandbox.controller.config.allow_fault_control = False
    async with httpx.AsyncClient(timeout=10, headers=CONTROL_HEADERS) as http:
        response = await http.post(sandbox.base_url + '/_sandbox/faults', json={'endpoint': 'cover', 'kind': 'drop'})
    assert response.status_code == 404
    assert sandbox.controller.faults.snapshot() == {}


async def test_latency_never_blocks_other_requests(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    sandbox.controller.config.latency = (2.0, 2.0)
    cover = asyncio.create_task(sandbox_client.generate_cover(sandbox.credentials, FEMALE))
    await asyncio.sleep(0.2)
    options = await sandbox_client.options(sandbox.credentials)
    faces = await sandbox_client.face_detect(sandbox.credentials, _small_png(), 'x.png', 'image/png')
    assert options['Age'] and faces.faceCount == 0
    assert not cover.done()  # the slow cover is still sleeping while the others were answered
    result, _ = await cover
    assert result.coverId


def _small_png() -> bytes:
    out = io.BytesIO()
    Image.new('RGB', (64, 64), (200, 100, 50)).save(out, 'PNG')
    return out.getvalue()
