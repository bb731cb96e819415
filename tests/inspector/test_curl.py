"""Copy as cURL is the request that was signed and sent: the stored command, with the real key put back in by the
test, is run by the real `curl` against an independent signature check (tests/inspector/verify_signature.js, Node.js,
written from docs/platform-api.md), within the five-minute window, and accepted. As stored (key masked), or once the
window has passed, it is refused, as the page says. The CLI's --curl prints the same command."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from services.cli.api import main as cli_main
from services.core.db import Database
from services.core.db.schema import request_log
from services.platform.capture import RequestDetail, mask_key
from services.platform.client import PlatformClient
from services.platform.curl import to_curl
from services.platform.models import AgentListRequest, CreateAgentRequest
from services.platform.request_log import RequestLog
from tests.inspector.support import KEY, SECRET, creds, flushed
from tests.platform.signing_echo_app import EchoPlatform
from tests.platform.test_platform_client import COVER

VERIFIER = Path(__file__).with_name('verify_signature.js')
PHOTO = Path(__file__).resolve().parents[1] / 'fixtures' / 'astronaut.png'


@pytest.fixture(scope='module')
def verifier() -> Iterator[str]:
    node, curl = shutil.which('node'), shutil.which('curl')
    if node is None or curl is None:
        missing = 'node (Node.js)' if node is None else 'curl'
        if os.environ.get('STUDIO_REQUIRE_NODE') == '1':
            pytest.fail(f'{missing} is required here (STUDIO_REQUIRE_NODE=1) for the independent cURL check')
        pytest.skip(f'{missing} is not installed; the independent cURL check needs node and curl')
    process = subprocess.Popen([node, str(VERIFIER)], env={**os.environ, 'VERIFY_KEYS': json.dumps({KEY: SECRET})},
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    port = int(process.stdout.readline())
    try:
        yield f'http://127.0.0.1:{port}'
    finally:
        process.terminate()
        process.wait(5)


def run_curl(command: str, cwd: Path) -> dict[str, object]:
    """The command as an integrator would paste it into a shell."""
    done = subprocess.run(['bash', '-c', command + ' --silent --show-error'], cwd=cwd, capture_output=True, text=True,
                          timeout=20, check=False)
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def set_clock(verifier: str, offset: int) -> None:
    httpx.get(f'{verifier}/_clock?offset={offset}').raise_for_status()


def with_real_key(command: str, platform_url: str, verifier_url: str) -> str:
    assert KEY not in command and f'Bearer {mask_key(KEY)}' in command
    return command.replace(f'Bearer {mask_key(KEY)}', f'Bearer {KEY}').replace(platform_url, verifier_url)


def stored(db: Database) -> list[tuple[str, RequestDetail]]:
    rows = db.read_sync(lambda c: c.execute(select(request_log.c.endpoint, request_log.c.detail)
                                            .order_by(request_log.c.id)).all())
    return [(row.endpoint, RequestDetail.from_json(row.detail)) for row in rows]


async def test_stored_curl_with_the_real_key_passes_an_independent_signature_check(
        echo: EchoPlatform, log: RequestLog, db: Database, verifier: str, tmp_path: Path) -> None:
    client = PlatformClient(base_url=echo.url, timeout=5, slow_timeout=5)
    log.attach(client)
    try:
        # Values whose quoting and signing go wrong first: white space to trim, quotes, $, non-ASCII, nested JSON.
        await client.create_agent(creds(), CreateAgentRequest(**COVER.model_dump(), coverId='c-1',
                                                              name="  Mía 'the' $HOME `x` 你好 ", voiceId='v-1',
                                                              language='ja', personality='  '))
        await client.list_agents(creds(), AgentListRequest(pageNumber=2, pageSize=5))
        await client.upload_ref_image(creds(), PHOTO.read_bytes(), 'astronaut.png', 'image/png')
    finally:
        await client.aclose()
    await flushed(log)
    shutil.copy(PHOTO, tmp_path / 'astronaut.png')  # what the integrator has: their own copy of the file

    entries = stored(db)
    assert [endpoint for endpoint, _ in entries] == ['/v1/agent/create', '/v1/agent/list', '/v1/agent/ref-image']
    for endpoint, detail in entries:
        answer = run_curl(with_real_key(to_curl(detail), echo.url, verifier), tmp_path)
        assert answer['ok'] is True, (endpoint, answer)
        assert answer['base'] == detail.signed_string  # the verifier signed what the studio signed
    assert answer['multipart'] is True and answer['filename'] == 'astronaut.png'
    assert answer['bytes'] > PHOTO.stat().st_size  # curl sent the file itself

    create_command = to_curl(entries[0][1])
    as_stored = run_curl(create_command.replace(echo.url, verifier), tmp_path)
    assert as_stored == {'ok': False, 'reason': 'unknown API key'}  # the key is masked
    set_clock(verifier, 301)  # five minutes and a second later
    try:
        late = run_curl(with_real_key(create_command, echo.url, verifier), tmp_path)
    finally:
        set_clock(verifier, 0)
    assert late['ok'] is False and 'window' in str(late['reason'])


def test_cli_curl_prints_the_same_command(echo: EchoPlatform, verifier: str, tmp_path: Path) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    env = {'PLATFORM_BASE_URL': echo.url, 'PLATFORM_API_KEY': KEY, 'PLATFORM_API_SECRET': SECRET,
           'STUDIO_DATA_DIR': str(tmp_path)}
    code = cli_main(['--curl', 'list', '--page-size', '3', '--user-id', 'cli-person'], env=env, stdout=stdout,
                    stderr=stderr)
    assert code == 0, stderr.getvalue()
    printed = stderr.getvalue()
    assert SECRET not in printed and KEY not in printed
    command = '\n'.join(line for line in printed.splitlines() if not line.startswith('#'))
    assert command.startswith('curl -X POST ') and 'X-User-Id: cli-person' in command
    answer = run_curl(with_real_key(command, echo.url, verifier), tmp_path)
    assert answer['ok'] is True, answer
    assert str(answer['base']).startswith('POST\n/v1/agent/list\n') and 'pageSize=3' in str(answer['base'])
