"""No duplicate agents: when the answer to a creation is lost, the create job looks in the platform's list before
saying "try again". Against the sandbox over real HTTP, with its `lost` fault (the agent is made, then the
connection is dropped instead of answering) and its `drop` fault (dropped before anything is made).
"""

from __future__ import annotations

from pathlib import Path

from services.auth.sessions import Principal
from services.platform.client import PlatformClient
from services.platform.models import AgentListRequest, CreateAgentRequest
from services.studio.jobs import JobManager
from services.studio.library import AgentRecords
from services.studio.lost_answers import NOT_MADE
from tests.studio.test_jobs import LOOK, manager, principal
from tests.support.databases import data_dir_kit
from tests.support.sandbox_server import RunningSandbox


async def _cover_and_request(jobs: JobManager, who: Principal, name: str = 'Mia') -> tuple[str, CreateAgentRequest]:
    cover = await (await jobs.start_cover(who, LOOK)).wait()
    assert cover.status == 'done'
    request = CreateAgentRequest(**LOOK.model_dump(exclude_none=True), coverId=cover.cover_id or '', name=name,
                                 voiceId='voice_f_soft', language='en')
    return cover.id, request


async def _agents_named(client: PlatformClient, sandbox: RunningSandbox, name: str) -> list[str]:
    page = await client.list_agents(sandbox.credentials, AgentListRequest(pageSize=100))
    return [agent.agentId for agent in page.records if agent.name == name]


async def test_a_creation_whose_answer_is_lost_is_found_and_attached_once(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    jobs = manager(tmp_path, sandbox_client)
    who = principal(sandbox)
    cover_job, request = await _cover_and_request(jobs, who)
    sandbox.controller.faults.set('create', 'lost', times=1)
    job = await jobs.start_create(who, request, cover_job_id=cover_job).wait()
    assert job.status == 'done' and job.recovered, job.error_message
    made = await _agents_named(sandbox_client, sandbox, 'Mia')
    assert made == [job.agent_id]  # exactly one agent, and it is the one the job reports
    assert job.agent_name == 'Mia' and request.coverId in (job.cover_url or '')
    cover = jobs.get(who.owner_id, cover_job)
    assert cover is not None and cover.used_for == 'Mia'  # the cover is spent, as after any creation
    entry = jobs._audit.entries(event='agent.created')[0]  # type: ignore[union-attr]
    assert 'answer was lost' in entry.detail


async def test_a_creation_dropped_before_it_was_made_says_try_again_and_makes_none(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    jobs = manager(tmp_path, sandbox_client)
    who = principal(sandbox)
    cover_job, request = await _cover_and_request(jobs, who)
    sandbox.controller.faults.set('create', 'drop', times=1)
    job = await jobs.start_create(who, request, cover_job_id=cover_job).wait()
    assert job.status == 'failed' and not job.recovered
    assert (job.error_message or '').endswith(NOT_MADE)
    assert 'Could not create the agent' in (job.error_message or '')
    assert await _agents_named(sandbox_client, sandbox, 'Mia') == []
    # Trying again makes exactly one.
    again = await jobs.start_create(who, request, cover_job_id=cover_job).wait()
    assert again.status == 'done' and not again.recovered
    assert await _agents_named(sandbox_client, sandbox, 'Mia') == [again.agent_id]


async def test_someone_elses_agent_of_the_same_name_is_never_taken(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    jobs = manager(tmp_path, sandbox_client)
    alice, bob = principal(sandbox, 'alice'), principal(sandbox, 'bob')  # one operator key, two people
    bob_cover, bob_request = await _cover_and_request(jobs, bob)
    bobs = await jobs.start_create(bob, bob_request, cover_job_id=bob_cover).wait()
    assert bobs.status == 'done' and bobs.agent_id
    await AgentRecords(data_dir_kit(tmp_path).db).record(bobs.agent_id, bob)  # as the library's recorder does
    alice_cover, alice_request = await _cover_and_request(jobs, alice)
    sandbox.controller.faults.set('create', 'http502', times=1)  # a proxy's error page: nothing was made
    job = await jobs.start_create(alice, alice_request, cover_job_id=alice_cover).wait()
    assert job.status == 'failed' and job.agent_id is None and (job.error_message or '').endswith(NOT_MADE)
    assert await _agents_named(sandbox_client, sandbox, 'Mia') == [bobs.agent_id]
