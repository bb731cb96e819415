"""Keys issued while the sandbox runs: one per demo visitor, isolated, persistent, revocable (issue 12, item 2).

Demo visitors used to share one key with each other and with the tool accounts, so "Your agents" showed every
agent anyone had made, covers with the face of someone else's reference photo included.
"""

from __future__ import annotations

import httpx
import pytest

from sandbox.app import create_sandbox_app
from sandbox.config import SandboxConfig
from sandbox.control_client import SandboxKeys, SandboxKeysError
from sandbox.keys import KEY_PREFIX
from sandbox.routes.guard import CONTROL_HEADERS
from services.platform.client import Credentials, PlatformClient
from services.platform.errors import AuthenticationError
from services.platform.models import CoverRequest, CreateAgentRequest
from tests.conftest import FIXTURES
from tests.support.sandbox_server import RunningSandbox

FEMALE = dict(gender='female', age='26-35', ethnicity='east_asian', bodyType='curvy', breastSize='medium',
              buttSize='large', hairColor='blonde', hairStyle='long_wavy')


def visitor(sandbox: RunningSandbox, user_id: str) -> Credentials:
    key = sandbox.controller.issue_key(user_id)
    return Credentials(key.api_key, key.secret, user_id)


async def make_agent(client: PlatformClient, creds: Credentials, name: str) -> tuple[str, str]:
    """An agent whose cover has this visitor's reference face in it: (agent id, ref image id)."""
    ref = await client.upload_ref_image(creds, (FIXTURES / 'astronaut.png').read_bytes(), 'me.png', 'image/png')
    cover, _ = await client.generate_cover(creds, CoverRequest(**FEMALE, refImageId=ref.refImageId))
    agent, _ = await client.create_agent(creds, CreateAgentRequest(**FEMALE, coverId=cover.coverId, name=name,
                                                                   voiceId='voice_f_warm'))
    return agent.agentId, ref.refImageId


async def test_each_visitor_sees_only_their_own_agents(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    ana, ben = visitor(sandbox, 'demo-ana'), visitor(sandbox, 'demo-ben')
    assert ana.api_key.startswith(KEY_PREFIX) and ana.api_key != ben.api_key != sandbox.credentials.api_key
    agent_id, ref_id = await make_agent(sandbox_client, ana, 'Ana’s')
    assert [a.agentId for a in (await sandbox_client.list_agents(ana)).records] == [agent_id]
    assert (await sandbox_client.list_agents(ben)).total == 0
    assert (await sandbox_client.list_agents(sandbox.credentials)).total == 0  # the tool accounts' key
    # ... and another key cannot use the visitor's reference photo either.
    store = sandbox.controller.store
    assert store.ref_image(ana.api_key, ref_id) is not None and store.ref_image(ben.api_key, ref_id) is None


async def test_a_cover_is_never_kept_in_a_shared_cache(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    ana = visitor(sandbox, 'demo-ana')
    await make_agent(sandbox_client, ana, 'Ana')
    (record,) = (await sandbox_client.list_agents(ana)).records
    assert record.coverUrl
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(record.coverUrl)
        assert response.status_code == 200
        assert response.headers['cache-control'] == 'private, max-age=600'
        sandbox.controller.revoke_key(ana.api_key)
        assert (await http.get(record.coverUrl)).status_code == 404


async def test_revoking_a_key_deletes_all_it_made(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    ana, ben = visitor(sandbox, 'demo-ana'), visitor(sandbox, 'demo-ben')
    ana_agent, _ = await make_agent(sandbox_client, ana, 'Ana')
    ben_agent, _ = await make_agent(sandbox_client, ben, 'Ben')
    ana_talk, _ = await sandbox_client.create_conversation(ana, ana_agent)
    ben_talk, _ = await sandbox_client.create_conversation(ben, ben_agent)
    chats = sandbox.controller.chat.store
    chats.add_turn(ana_talk.conversationId, 'user', 'my secret')
    data = sandbox.controller.config.data_dir
    files_before = {p for p in data.rglob('*.png')} | {p for p in data.rglob('*.jpg')}

    deleted = sandbox.controller.revoke_key(ana.api_key)
    assert deleted == {'agents': 1, 'covers': 1, 'refImages': 1, 'conversations': 1}
    assert chats.find(ana.api_key, 'demo-ana', ana_talk.conversationId) is None
    assert chats.turns(ana_talk.conversationId) == []  # what was said goes with it
    assert chats.find(ben.api_key, 'demo-ben', ben_talk.conversationId) is not None
    files_after = {p for p in data.rglob('*.png')} | {p for p in data.rglob('*.jpg')}
    assert len(files_before - files_after) == 3  # the photo, its face crop, the cover
    with pytest.raises(AuthenticationError, match='Unknown API key'):
        await sandbox_client.list_agents(ana)
    assert (await sandbox_client.list_agents(ben)).total == 1  # nobody else's data is touched
    assert sandbox.controller.revoke_key(ana.api_key) is None
    assert sandbox.controller.revoke_key(sandbox.credentials.api_key) is None  # configured keys stay
    assert (await sandbox_client.list_agents(sandbox.credentials)).total == 0


async def test_what_lands_after_revocation_is_purged(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    ana = visitor(sandbox, 'demo-ana')
    agent_id, _ = await make_agent(sandbox_client, ana, 'Ana')
    await sandbox_client.create_conversation(ana, agent_id)
    sandbox.controller.issued.revoke(ana.api_key)  # as if an agent creation finished after the deletion
    assert sandbox.controller.purge_revoked() == 1
    assert sandbox.controller.store.keys_with_data(KEY_PREFIX) == set()
    assert sandbox.controller.chat.store.keys_with_data(KEY_PREFIX) == set()


def test_issued_keys_survive_a_restart(sandbox_config: SandboxConfig) -> None:
    first = create_sandbox_app(sandbox_config)
    key = first.state.sandbox.issue_key('demo-ana')
    first.state.sandbox.close()
    config = SandboxConfig(data_dir=sandbox_config.data_dir, keys=dict(sandbox_config.keys))
    config.keys.pop(key.api_key, None)
    again = create_sandbox_app(config)
    try:
        assert again.state.sandbox.config.keys[key.api_key].get() == key.secret
        assert (config.data_dir / 'issued-keys.json').stat().st_mode & 0o777 == 0o600
    finally:
        again.state.sandbox.close()


async def test_the_keys_route_issues_lists_and_revokes(sandbox: RunningSandbox,
                                                       sandbox_client: PlatformClient) -> None:
    url = sandbox.base_url + '/_sandbox/keys'
    async with httpx.AsyncClient(timeout=10, headers=CONTROL_HEADERS) as http:
        issued = await http.post(url, json={'label': 'demo-ana'})
        assert issued.status_code == 201 and issued.headers['cache-control'] == 'no-store'
        body = issued.json()
        creds = Credentials(body['apiKey'], body['apiSecret'], 'demo-ana')
        assert (await sandbox_client.list_agents(creds)).total == 0  # accepted at once
        listed = (await http.get(url)).json()['keys']
        assert [k['apiKey'] for k in listed] == [creds.api_key] and 'apiSecret' not in listed[0]
        revoked = await http.delete(url, params={'apiKey': creds.api_key})
        assert revoked.json() == {'revoked': creds.api_key,
                                  'deleted': {'agents': 0, 'covers': 0, 'refImages': 0, 'conversations': 0}}
        assert (await http.delete(url, params={'apiKey': sandbox.credentials.api_key})).status_code == 404
    # Guarded like the fault routes: a page cannot mint keys, nor revoke a visitor's.
    async with httpx.AsyncClient(timeout=10) as http:
        refused = await http.post(url, content='{"label": "x"}', headers={'Content-Type': 'text/plain'})
        assert refused.status_code == 403
    assert sandbox.controller.issued.all() == []


async def test_the_http_client_issues_and_revokes(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    keys = SandboxKeys(sandbox.base_url)
    try:
        api_key, secret = await keys.issue_key('demo-ana')
        creds = Credentials(api_key, secret, 'demo-ana')
        await make_agent(sandbox_client, creds, 'Ana')
        (listed,) = await keys.issued_keys()
        assert listed[:2] == (api_key, 'demo-ana') and secret.get() not in repr(listed)
        assert await keys.revoke_key(api_key) == {'agents': 1, 'covers': 1, 'refImages': 1, 'conversations': 0}
        assert await keys.revoke_key(api_key) is None
        sandbox.controller.config.allow_fault_control = False  # control off: no keys to be had
        with pytest.raises(SandboxKeysError, match='HTTP 404'):
            await keys.issue_key('demo-ben')
    finally:
        await keys.aclose()
