"""The request inspector in the app, against the sandbox over real HTTP: a full studio flow logged call by call
with the right fields and nothing secret; who sees whose requests; live updates; error boxes that link to their
request; /metrics that parses and moves with the flow, and refuses strangers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User
from prometheus_client.parser import text_string_to_metric_families

from runtime import runtime
from services.platform.errors import PlatformError
from services.platform.request_queries import RequestQuery
from tests.conftest import TEST_KEY, TEST_SECRET
from tests.inspector.support import PNG_BASE64_START, rows
from tests.support.auth_support import add_account, files_containing, sign_in
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    FEMALE_LOOK,
    StudioEnv,
    choose_look,
    click,
    create_enabled,
    eventually,
    go_to_step,
    open_studio,
    see,
    select_value,
    studio_env,
    texts,
    type_into,
    upload,
)

OWNER = 'account-alice'
TOKEN = 'metrics-token-for-tests-0123'
STUDIO_PATHS = {'/v1/config/options', '/v1/agent/ref-image', '/v1/agent/face-detect', '/v1/agent/cover',
                '/v1/agent/create', '/v1/agent/list'}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    studio = studio_env(monkeypatch, tmp_path, sandbox, STUDIO_METRICS_TOKEN=TOKEN)
    add_account(studio.data_dir, 'root', admin=True)
    return studio


async def flushed() -> None:
    assert await asyncio.to_thread(runtime.requests.flush)


def table_rows(user: User) -> list[dict]:
    return list(next(iter(user.find(kind=ui.table, marker='requests-table').elements)).rows)


async def shows(user: User, ids: set[int]) -> None:
    """The page's table lists exactly these requests (it fills once the page's queries have answered)."""
    await see(user, 'requests-table')
    await eventually(lambda: {r['id'] for r in table_rows(user)} == ids, what=f'the requests {sorted(ids)}')


async def scrape(user: User) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """/metrics through Prometheus' own parser: {(sample name, labels): value}."""
    response = await user.http_client.get('/metrics')
    assert response.status_code == 200 and response.headers['content-type'].startswith('text/plain')
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return sum(v for (sample, have), v in samples.items() if sample == name and set(labels.items()) <= have)


async def test_a_full_studio_flow_is_logged_call_by_call_with_nothing_secret(env: StudioEnv, user: User) -> None:
    before = await scrape(user)
    await open_studio(user)
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    await upload(user, 'astronaut.png')
    await see(user, 'face-found')
    click(user, 'next-cover')
    env.sandbox.controller.config.latency = (1.0, 1.0)  # long enough to count the cover while it runs
    click(user, 'generate-cover')
    await see(user, 'cover-running')
    assert value(await scrape(user), 'studio_jobs_running', kind='cover') == 1
    await see(user, 'cover-preview')
    env.sandbox.controller.config.latency = (0.0, 0.0)
    click(user, 'next-details')
    type_into(user, 'name', 'Mia')
    select_value(user, 'voice', 'voice_f_warm')
    await create_enabled(user)
    click(user, 'create-agent')
    await see(user, 'create-success')
    click(user, 'to-agents')
    await see(user, 'agent-name', content='Mia')
    await flushed()

    stored = rows(runtime.db)
    assert {row['endpoint'] for row in stored} == STUDIO_PATHS
    for row in stored:
        assert (row['owner_id'], row['user_id'], row['method'], row['outcome'], row['http_status'], row['code'],
                row['message']) == (OWNER, 'alice', 'POST', 'ok', 200, 10200, 'OK'), row
        assert re.fullmatch(r'[0-9a-f]{32}', row['request_id']) and len(row['trace_id'] or '') == 32
        assert row['duration_ms'] > 0 and row['request_bytes'] > 0 and row['response_bytes'] > 0
        assert row['attempt'] == 1 and not row['resigned']
    assert len({row['request_id'] for row in stored}) == len(stored)
    cover_job = runtime.jobs.jobs_for(OWNER, 'cover')[0]
    created = runtime.jobs.jobs_for(OWNER, 'create')[0]
    cover_row = next(row for row in stored if row['endpoint'] == '/v1/agent/cover')
    assert cover_row['trace_id'] == cover_job.trace_id
    assert next(row for row in stored if row['endpoint'] == '/v1/agent/create')['trace_id'] == created.trace_id
    # Nothing secret in any stored form: the rows, every file the app keeps, the pages showing them.
    assert not [n for n in (TEST_KEY, TEST_SECRET, PNG_BASE64_START) if n in repr(stored)]
    assert files_containing([TEST_KEY, TEST_SECRET], env.data_dir) == []

    await user.open('/requests')
    await shows(user, {row['id'] for row in stored})
    await see(user, 'no-errors')
    await user.open(f'/requests/{cover_row["id"]}')
    await see(user, 'request-curl')
    (code,) = user.find(marker='request-curl').elements
    assert isinstance(code, ui.label)
    assert 'Authorization: Bearer te…' in code.text and TEST_KEY not in code.text
    assert cover_row['request_id'] in code.text and '--data-binary' in code.text
    await user.should_see('cannot be sent again as it is')
    await user.should_see(cover_job.trace_id or '')
    (signed,) = user.find(marker='request-signed').elements
    assert isinstance(signed, ui.label) and '/v1/agent/cover' in signed.text and TEST_SECRET not in signed.text

    after = await scrape(user)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    for path in STUDIO_PATHS:
        made = sum(1 for row in stored if row['endpoint'] == path)
        assert moved('studio_platform_requests_total', endpoint=path, outcome='ok') == made, path
    assert moved('studio_platform_request_duration_seconds_count', endpoint='/v1/agent/cover') == 1
    assert moved('studio_sign_ins_total', outcome='ok') == 1
    assert value(after, 'studio_jobs_running', kind='cover') == 0
    assert moved('studio_jobs_finished_total', kind='cover', outcome='done') == 1
    assert moved('studio_jobs_finished_total', kind='create', outcome='done') == 1
    assert value(after, 'studio_event_loop_lag_seconds_count') > 0
    assert value(after, 'process_resident_memory_bytes') > 0


async def test_a_person_sees_only_their_own_requests_and_an_administrator_everyones(
        env: StudioEnv, user: User, create_user: Callable[[], User]) -> None:
    alice, bob = user, create_user()
    for person, name in ((alice, 'alice'), (bob, 'bob')):  # one after the other (see test_sessions_isolation)
        await open_studio(person, name)
        await person.open('/agents')
        await see(person, 'agents-empty')
    # The library shares one snapshot of the key's agent list between the people on the key (and options are cached
    # per key), so Bob's page may have asked nothing itself: a call of his own, signed with his user id.
    (bob_session,) = runtime.sessions.sessions_for('account-bob')
    await runtime.platform.list_agents(bob_session.principal.credentials)
    await flushed()
    stored = rows(runtime.db)
    mine = {row['id'] for row in stored if row['owner_id'] == OWNER}
    bobs = [row for row in stored if row['owner_id'] == 'account-bob']
    assert mine and bobs

    await alice.open('/requests')
    await shows(alice, mine)
    await alice.should_not_see(marker='filter-person')  # the person filter is for administrators
    await alice.open(f'/requests/{bobs[0]["id"]}')
    await see(alice, 'request-not-found')
    await alice.open(f'/requests/trace/{bobs[0]["trace_id"]}')
    await see(alice, 'request-not-found')
    await alice.open('/requests?q=' + bobs[0]['request_id'])
    await see(alice, content='No requests match.')

    # Live: a new request of Alice's appears on her open page without a reload.
    await alice.open('/requests')
    await shows(alice, mine)
    (session,) = runtime.sessions.sessions_for(OWNER)
    await runtime.platform.list_agents(session.principal.credentials)
    await eventually(lambda: len(table_rows(alice)) == len(mine) + 1, what='the new request on the open page')

    root = create_user()
    await sign_in(root, 'root')
    await root.should_see('Create a character', retries=300)
    await root.open('/requests')
    await flushed()
    await shows(root, {row['id'] for row in rows(runtime.db)})
    assert {r['person'] for r in table_rows(root)} >= {'alice', 'bob'}
    await root.open(f'/requests/{bobs[0]["id"]}')
    await see(root, 'request-detail')
    total, _ = await runtime.requests.search(RequestQuery(owner=None, person='bob'))
    assert total == len(bobs)


async def test_an_error_box_links_to_its_request(env: StudioEnv, user: User) -> None:
    env.sandbox.controller.faults.set('cover', '10500', times=1)
    before = await scrape(user)
    await open_studio(user)
    await choose_look(user, 'female', FEMALE_LOOK)
    await go_to_step(user, 'cover')
    click(user, 'generate-cover')
    await see(user, content='The cover could not be generated')
    after = await scrape(user)
    assert value(after, 'studio_jobs_finished_total', kind='cover', outcome='failed') == \
        value(before, 'studio_jobs_finished_total', kind='cover', outcome='failed') + 1
    assert value(after, 'studio_platform_requests_total', endpoint='/v1/agent/cover', outcome='business') == \
        value(before, 'studio_platform_requests_total', endpoint='/v1/agent/cover', outcome='business') + 1
    failed = runtime.jobs.jobs_for(OWNER, 'cover')[0]
    assert failed.trace_id and failed.trace_id in texts(user, 'trace-id')
    (link,) = [e for e in user.find(marker='error-request-link').elements if isinstance(e, ui.link)]
    assert link.props['href'] == f'/requests/trace/{failed.trace_id}'
    await flushed()
    await user.open(link.props['href'])
    await see(user, 'request-detail')
    assert texts(user, 'request-trace-id') == [failed.trace_id]
    assert '10500' in texts(user, 'request-message')[0]
    await user.open('/requests?status=error')
    await see(user, 'error-group')
    assert [r['endpoint'] for r in table_rows(user)] == ['/v1/agent/cover']

    # What a request or an answer holds is shown as text, never rendered: not even a Markdown fence gets out.
    (session,) = runtime.sessions.sessions_for(OWNER)
    hostile = '```\n<img src=x onerror=alert(1)> **bold** [link](https://example.com)\n```'
    with contextlib.suppress(PlatformError):  # the platform refuses such a namespace; the request is what counts
        await runtime.platform.options(session.principal.credentials, namespace=hostile)
    await flushed()
    await user.open(f'/requests/{rows(runtime.db)[-1]["id"]}')
    await see(user, 'request-detail')
    as_json = json.dumps(hostile)[1:-1]  # the body is JSON: the newlines are \n in it
    assert any(as_json in text for text in texts(user, 'request-curl') + texts(user, 'request-body'))
    await user.should_not_see(kind=ui.markdown)
    await user.should_not_see(kind=ui.html)


async def test_metrics_are_refused_to_strangers(env: StudioEnv, user: User) -> None:
    # The test client connects from loopback: allowed, as a Prometheus on the same machine would be.
    assert (await user.http_client.get('/metrics')).status_code == 200
    # Through a proxy (which makes everyone look like loopback), the token is needed.
    proxied = {'X-Forwarded-For': '203.0.113.7'}
    refused = await user.http_client.get('/metrics', headers=proxied)
    assert refused.status_code == 401 and refused.headers['www-authenticate'] == 'Bearer'
    assert 'studio_' not in refused.text
    wrong = await user.http_client.get('/metrics', headers={**proxied, 'Authorization': 'Bearer not-the-token-at-all'})
    assert wrong.status_code == 401
    allowed = await user.http_client.get('/metrics', headers={**proxied, 'Authorization': f'Bearer {TOKEN}'})
    assert allowed.status_code == 200 and 'studio_platform_requests_total' in allowed.text
    assert TOKEN not in allowed.text
