"""The two ways to run the sandbox: mounted inside an app at /sandbox, and `python -m sandbox`."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from sandbox.__main__ import build_config, parse_args
from sandbox.config import DEMO_CREDENTIALS_FILE
from sandbox.embedded import mount_embedded_sandbox
from services.core.secret import Secret
from services.core.settings import load_settings
from services.platform.client import Credentials, PlatformClient
from services.platform.errors import UpstreamTimeout, UpstreamUnreachable
from services.platform.models import AgentListRequest, CoverRequest, CreateAgentRequest
from tests.conftest import FIXTURES
from tests.support.sandbox_server import run_asgi_server

ROOT = Path(__file__).resolve().parents[2]
MALE = CoverRequest(gender='male', age='26-35', ethnicity='south_asian', bodyType='slim', hairColor='brown',
                    hairStyle='curly')


async def passthrough(request: Request, call_next):
    return await call_next(request)


class ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def host_app() -> Iterator[tuple[Starlette, str]]:
    """A host app with a page of its own and an HTTP middleware, as NiceGUI's app has."""
    app = Starlette(routes=[Route('/', lambda request: PlainTextResponse('host app'))])
    for _ in range(4):  # NiceGUI's app stacks several; each wraps `receive` once more
        app.add_middleware(BaseHTTPMiddleware, dispatch=passthrough)
    app.add_middleware(GZipMiddleware)  # buffers the response start: an abandoned answer must still drop
    with run_asgi_server(app) as base_url:
        yield app, base_url


async def test_embedded_sandbox_under_a_prefix(host_app: tuple[Starlette, str], tmp_path: Path) -> None:
    app, host_url = host_app
    port = int(host_url.rsplit(':', 1)[1])
    settings = load_settings({'STUDIO_PORT': str(port), 'STUDIO_DATA_DIR': str(tmp_path), 'SANDBOX_LATENCY': '0',
                              'SANDBOX_KEYS': 'extra-key:extra-secret-123', 'PLATFORM_USER_ID': 'owner'})
    embedded = mount_embedded_sandbox(app, settings)
    assert embedded.base_url == f'http://127.0.0.1:{port}/sandbox'
    assert embedded.credentials.user_id == 'owner'
    assert embedded.controller.config.public_url == '/sandbox'
    assert set(embedded.controller.config.keys) == {embedded.credentials.api_key, 'extra-key'}
    assert embedded.credentials.api_secret.get() not in repr(embedded)

    client = PlatformClient(base_url=embedded.base_url, timeout=10)
    try:
        # The signed path is /v1/..., not /sandbox/v1/...: the mount prefix is the ASGI root_path.
        options = await client.options(embedded.credentials, gender='male')
        preview = options['HairColor'][0].previewUrl
        assert preview.startswith('/sandbox/cdn/options/')  # root-relative: loads from any host name
        async with httpx.AsyncClient(base_url=host_url, timeout=10) as http:
            assert (await http.get(preview)).headers['content-type'] == 'image/png'
            assert (await http.get('/')).text == 'host app'
        ref = await client.upload_ref_image(embedded.credentials, (FIXTURES / 'astronaut.png').read_bytes(),
                                            'a.png', 'image/png')
        # Latency waits on the client's connection through the host's middleware, and still completes.
        embedded.controller.config.latency = (0.3, 0.3)
        cover, _ = await client.generate_cover(embedded.credentials, MALE.model_copy(update={'refImageId':
                                                                                             ref.refImageId}))
        agent, _ = await client.create_agent(embedded.credentials, CreateAgentRequest(
            **MALE.model_dump(), coverId=cover.coverId, name='Ravi', voiceId='voice_m_calm'))
        assert agent.coverUrl == f'/sandbox/cdn/covers/{cover.coverId}.png'
        page = await client.list_agents(embedded.credentials, AgentListRequest())
        assert [r.name for r in page.records] == ['Ravi']
        extra = Credentials('extra-key', Secret('extra-secret-123'), 'someone')
        assert (await client.list_agents(extra)).total == 0
        # A dropped connection still reaches the client as such behind the host's middleware.
        # Injected drops and stalls reach the client as such behind the host's middleware, and leave no
        # error in the host's log (browser tests check the app's log for errors).
        errors = ErrorRecords()
        logging.getLogger('uvicorn.error').addHandler(errors)
        try:
            embedded.controller.faults.set('cover', 'drop')
            with pytest.raises(UpstreamUnreachable):
                await client.generate_cover(embedded.credentials, MALE)
            embedded.controller.faults.set('cover', 'stall')
            impatient = PlatformClient(base_url=embedded.base_url, timeout=0.5, slow_timeout=0.5)
            with pytest.raises(UpstreamTimeout):
                await impatient.generate_cover(embedded.credentials, MALE)
            await impatient.aclose()
            await asyncio.sleep(0.3)  # the stalled request notices the hang-up and finishes
        finally:
            logging.getLogger('uvicorn.error').removeHandler(errors)
        assert errors.messages == []
    finally:
        await client.aclose()
        embedded.controller.close()


@pytest.mark.parametrize(('host', 'expected'), [('0.0.0.0', '127.0.0.1'), ('::', '127.0.0.1'),
                                              ('192.0.2.7', '192.0.2.7'), ('::1', '[::1]')])
def test_embedded_base_url_reaches_the_app_where_it_listens(tmp_path: Path, host: str, expected: str) -> None:
    settings = load_settings({'STUDIO_PORT': '8123', 'STUDIO_HOST': host, 'STUDIO_DATA_DIR': str(tmp_path)})
    embedded = mount_embedded_sandbox(Starlette(), settings)
    embedded.controller.close()
    assert embedded.base_url == f'http://{expected}:8123/sandbox'


def test_demo_credentials_are_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = load_settings({'STUDIO_PORT': '8123', 'STUDIO_DATA_DIR': str(tmp_path), 'SANDBOX_LATENCY': '0'})
    first = mount_embedded_sandbox(Starlette(), settings)
    second = mount_embedded_sandbox(Starlette(), settings)
    try:
        assert first.credentials == second.credentials
        path = tmp_path / 'sandbox' / DEMO_CREDENTIALS_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert first.credentials.api_secret.get() in path.read_text()
    finally:
        first.controller.close()
        second.controller.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


async def ask_options(base_url: str) -> int:
    client = PlatformClient(base_url=base_url, timeout=10, connect_timeout=1)
    try:
        for _ in range(100):  # uvicorn binds just after the banner
            try:
                return len(await client.options(Credentials('cli-key-2', Secret('cli-secret-0002'), 'u')))
            except UpstreamUnreachable:
                await asyncio.sleep(0.1)
        raise AssertionError('the standalone sandbox never answered')
    finally:
        await client.aclose()


def test_standalone_server_starts_prints_keys_and_answers(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, '-m', 'sandbox', '--port', str(port), '--data-dir', str(tmp_path),
               '--key', 'cli-key:cli-secret-0001', '--key', 'cli-key-2:cli-secret-0002', '--latency', '0']
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, 'PYTHONUNBUFFERED': '1'})
    try:
        banner = ''
        while 'PLATFORM_BASE_URL' not in banner:
            line = process.stdout.readline()
            assert line, f'the sandbox exited early: {banner}'
            banner += line
        assert 'PLATFORM_API_KEY=cli-key  PLATFORM_API_SECRET=cli-secret-0001' in banner
        assert 'PLATFORM_API_KEY=cli-key-2  PLATFORM_API_SECRET=cli-secret-0002' in banner
        base_url = re.search(r'PLATFORM_BASE_URL=(\S+)', banner).group(1)
        assert base_url == f'http://127.0.0.1:{port}'
        assert asyncio.run(ask_options(base_url)) == 12
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
        process.stdout.close()
    assert process.returncode == 0
    assert (tmp_path / 'sandbox.sqlite3').is_file()


def test_standalone_without_keys_generates_and_keeps_a_demo_pair(tmp_path: Path) -> None:
    first = build_config(parse_args(['--data-dir', str(tmp_path)]))
    second = build_config(parse_args(['--data-dir', str(tmp_path)]))
    assert list(first.keys) == list(second.keys)
    assert next(iter(first.keys)).startswith('sbx_demo_')


def test_standalone_refuses_bad_arguments(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, '-m', 'sandbox', '--data-dir', str(tmp_path), '--latency',
                             '12-5'], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert '--latency must be a non-negative range' in result.stderr

