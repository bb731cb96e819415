"""`python -m services.cli conversation | chat | chat-image` against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from services.cli import api as cli
from services.platform.client import PlatformClient
from tests.conftest import TEST_KEY, TEST_SECRET
from tests.support.chat_support import make_agent
from tests.support.sandbox_server import RunningSandbox

ROOT = Path(__file__).resolve().parents[2]


def sandbox_env(sandbox: RunningSandbox) -> dict[str, str]:
    return {'PLATFORM_BASE_URL': sandbox.base_url, 'PLATFORM_API_KEY': TEST_KEY, 'PLATFORM_API_SECRET': TEST_SECRET,
            'PLATFORM_USER_ID': 'cli-user'}


def run(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return cli.main(argv, env=env, stdout=out, stderr=err), out.getvalue(), err.getvalue()


def agent_id(sandbox: RunningSandbox) -> str:
    """An agent made on the sandbox first (the CLI runs its own event loop, so the tests are synchronous)."""
    async def make() -> str:
        client = PlatformClient(base_url=sandbox.base_url)
        try:
            return (await make_agent(client, sandbox.credentials)).agentId
        finally:
            await client.aclose()

    return asyncio.run(make())


def test_conversation_chat_and_picture(sandbox: RunningSandbox, tmp_path: Path) -> None:
    env = sandbox_env(sandbox)
    agent = agent_id(sandbox)
    code, out, err = run(['conversation', '--agent-id', agent], env)
    assert code == 0, err
    conversation = json.loads(out)['conversationId']
    code, out, err = run(['chat', '--agent-id', agent, '--conversation-id', conversation, '--text', 'Hello!'], env)
    assert code == 0, err
    assert out.startswith('Hey you! Mia here.') and out.endswith('\n')
    picture = tmp_path / 'pic.png'
    code, out, err = run(['chat-image', '--agent-id', agent, '--conversation-id', conversation, '--text', 'a cat',
                          '--metadata', '{"n": 1}', '--out', str(picture)], env)
    assert code == 0, err
    result = json.loads(out)
    assert result['metadata'] == {'n': 1} and result['imageType'] == 'image/png'
    assert Image.open(picture).size == (576, 768)
    # The conversation was the CLI user's: the platform bound it to that X-User-ID.
    assert sandbox.controller.chat.store.find(TEST_KEY, 'cli-user', conversation) is not None


def test_errors_exit_with_their_codes(sandbox: RunningSandbox, tmp_path: Path) -> None:
    env = sandbox_env(sandbox)
    code, _, err = run(['conversation', '--agent-id', 'nope'], env)
    assert code == cli.EXIT_BUSINESS and 'Agent not found' in err and 'code: 10404' in err
    agent = agent_id(sandbox)
    _, out, _ = run(['conversation', '--agent-id', agent], env)
    conversation = json.loads(out)['conversationId']
    sandbox.controller.faults.set('chat_stream', 'cut', 1)
    code, out, err = run(['chat', '--agent-id', agent, '--conversation-id', conversation, '--text', 'Hi'], env)
    assert code == cli.EXIT_TRANSPORT and out == 'Sorry, I was about to \n' and 'broke off' in err
    code, _, err = run(['chat-image', '--agent-id', agent, '--conversation-id', conversation, '--text', 'x',
                        '--metadata', '[1]', '--out', str(tmp_path / 'x.png')], env)
    assert code == cli.EXIT_USAGE and '--metadata must be a JSON object' in err
    code, _, err = run(['chat-image', '--agent-id', agent, '--conversation-id', conversation, '--text', 'x',
                        '--out', str(tmp_path / 'missing' / 'x.png')], env)
    assert code == cli.EXIT_LOCAL_FILE  # refused before the slow, paid call


def test_chat_prints_the_reply_as_it_streams_and_verbose_shows_the_signature(sandbox: RunningSandbox) -> None:
    agent = agent_id(sandbox)
    _, out, _ = run(['conversation', '--agent-id', agent], sandbox_env(sandbox))
    conversation = json.loads(out)['conversationId']
    sandbox.controller.chat.pace = (0.1, 0.1)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(('PLATFORM_', 'STUDIO_', 'SANDBOX_'))}
    process = subprocess.Popen(
        [sys.executable, '-m', 'services.cli', '--verbose', 'chat', '--agent-id', agent, '--conversation-id',
         conversation, '--text', 'Tell me everything'], env={**clean, **sandbox_env(sandbox)}, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    try:
        first = os.read(process.stdout.fileno(), 64)
        still_running = process.poll() is None
        rest, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert first and still_running  # the first words were on the terminal while the reply was still coming
    reply = (first + rest).decode()
    assert 'Tell me everything' in reply and process.returncode == 0
    verbose = err.decode()
    assert '> POST ' in verbose and '/v1/chat/stream' in verbose and TEST_SECRET not in verbose
    assert f'agentId={agent}&conversationId={conversation}&text=Tell me everything' in verbose
