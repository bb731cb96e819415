"""The job manager against the sandbox: results on disk, restarts, cancel, limits, failures."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from services.auth.sessions import Principal
from services.core.audit import AuditLog
from services.platform.client import PlatformClient
from services.platform.models import CoverRequest, CreateAgentRequest
from services.studio.drafts import DraftStore
from services.studio.jobs import INTERRUPTED_MESSAGE, JobManager, JobRefused
from services.studio.limits import GenerationLimits, LimitExceeded
from tests.support.sandbox_server import RunningSandbox

LOOK = CoverRequest(gender='female', age='26-35', ethnicity='caucasian', bodyType='slim', hairColor='red',
                    hairStyle='bob', breastSize='small', buttSize='medium')


def principal(sandbox: RunningSandbox, name: str = 'alice') -> Principal:
    return Principal(owner_id=f'account-{name}', user_id=name, display_name=name, mode='account',
                     credentials=sandbox.credentials)


def manager(data_dir: Path, client: PlatformClient, *, per_user: int = 2) -> JobManager:
    return JobManager(data_dir, platform=client, limits=GenerationLimits(per_user, 10),
                      audit=AuditLog(data_dir / 'audit.sqlite3'), drafts=DraftStore(data_dir / 'drafts'))


async def test_finished_cover_is_a_png_on_disk_and_audited(tmp_path: Path, sandbox: RunningSandbox,
                                                           sandbox_client: PlatformClient) -> None:
    jobs = manager(tmp_path, sandbox_client)
    job = await jobs.start_cover(principal(sandbox), LOOK).wait()
    assert job.status == 'done' and job.cover_id and job.usable()
    assert jobs._drafts.get('account-alice').selected_cover_job == job.id  # the new cover chooses itself
    assert 29 * 60 < (job.seconds_left() or 0) <= 30 * 60
    path = jobs.cover_path('account-alice', job.id)
    assert path is not None and Image.open(path).format == 'PNG'
    assert jobs.cover_path('account-bob', job.id) is None  # only its owner gets it
    entry = jobs._audit.entries(event='cover.generated')[0]  # type: ignore[union-attr]
    assert entry.actor == 'alice' and entry.trace_id == job.trace_id and job.trace_id


async def test_finished_cover_survives_a_restart_until_it_expires(tmp_path: Path, sandbox: RunningSandbox,
                                                                  sandbox_client: PlatformClient) -> None:
    first = manager(tmp_path, sandbox_client)
    job = await first.start_cover(principal(sandbox), LOOK).wait()
    first.close()
    again = manager(tmp_path, sandbox_client)
    restored = again.get('account-alice', job.id)
    assert restored is not None and restored.status == 'done' and restored.usable()
    assert restored.cover_id == job.cover_id
    assert again.cover_path('account-alice', job.id) is not None
    assert not restored.usable(now=(restored.expires_at or 0) + 1)  # and then it expires


async def test_a_job_running_when_the_process_stopped_is_interrupted_and_regenerates(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    sandbox.controller.config.latency = (30.0, 30.0)
    crashed = manager(tmp_path, sandbox_client)
    job = crashed.start_cover(principal(sandbox), LOOK)
    await asyncio.sleep(0.2)
    # A new process on the same data directory, while the old one never got to write an ending.
    after_restart = manager(tmp_path, sandbox_client)
    seen = after_restart.get('account-alice', job.id)
    assert seen is not None and seen.status == 'interrupted' and seen.error_message == INTERRUPTED_MESSAGE
    assert seen.cover_request() == LOOK
    crashed.close()
    sandbox.controller.config.latency = (0.0, 0.0)
    fresh = await after_restart.regenerate(principal(sandbox), job.id).wait()
    assert fresh.status == 'done' and fresh.request == seen.request


async def test_cancel_releases_the_limit(tmp_path: Path, sandbox: RunningSandbox,
                                         sandbox_client: PlatformClient) -> None:
    sandbox.controller.config.latency = (30.0, 30.0)
    jobs = manager(tmp_path, sandbox_client, per_user=1)
    job = jobs.start_cover(principal(sandbox), LOOK)
    with pytest.raises(LimitExceeded) as refused:
        jobs.start_cover(principal(sandbox), LOOK)
    assert 'limit is 1 per person' in refused.value.user_message
    jobs.start_cover(principal(sandbox, 'bob'), LOOK)  # someone else is not held up
    assert not jobs.cancel('account-bob', job.id)  # nobody cancels another person's job
    assert jobs.cancel('account-alice', job.id)
    await job.wait()
    assert job.status == 'cancelled'
    assert jobs._limits.running('account-alice') == 0
    jobs.close()


async def test_upstream_failure_is_explained_with_trace_id(tmp_path: Path, sandbox: RunningSandbox,
                                                           sandbox_client: PlatformClient) -> None:
    sandbox.controller.faults.set('cover', '10500', times=1)
    jobs = manager(tmp_path, sandbox_client)
    job = await jobs.start_cover(principal(sandbox), LOOK).wait()
    assert job.status == 'failed' and job.error_code == 10500 and job.trace_id
    assert 'problem on its side' in (job.error_message or '')
    assert jobs._limits.running() == 0
    assert jobs._audit.entries(event='cover.failed')[0].trace_id == job.trace_id  # type: ignore[union-attr]


async def test_create_refuses_a_known_expired_cover_and_believes_the_platform(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    jobs = manager(tmp_path, sandbox_client)
    who = principal(sandbox)
    cover = await jobs.start_cover(who, LOOK).wait()
    request = CreateAgentRequest(**LOOK.model_dump(exclude_none=True), coverId=cover.cover_id or '', name='Ivy',
                                 voiceId='voice_f_soft', language='en')
    # The platform forgot the cover before our clock says so: its word wins, and the cover is marked expired.
    sandbox.controller.config.cover_ttl_seconds = 0.0
    expired_cover = await jobs.start_cover(who, LOOK).wait()
    late = request.model_copy(update={'coverId': expired_cover.cover_id})
    failed = await jobs.start_create(who, late, cover_job_id=expired_cover.id).wait()
    assert failed.status == 'failed' and failed.error_expired_cover
    assert 'expired' in (failed.error_message or '') and not expired_cover.usable()
    with pytest.raises(JobRefused, match='expired'):
        jobs.start_create(who, late, cover_job_id=expired_cover.id)
    drafts = jobs._drafts
    drafts.update(who.owner_id, name='Ivy', voice='voice_f_soft', step='create')
    created = await jobs.start_create(who, request, cover_job_id=cover.id).wait()
    assert created.status == 'done' and created.agent_name == 'Ivy'
    # The job empties the draft for the next character, keeping itself to show, whether or not a tab is open.
    draft = drafts.get(who.owner_id)
    assert (draft.create_job, draft.step, draft.name, draft.voice) == (created.id, 'create', '', None)
    assert cover.used_for == 'Ivy' and not cover.usable()
    with pytest.raises(JobRefused, match='already used for Ivy'):
        jobs.start_create(who, request, cover_job_id=cover.id)


async def test_listeners_hear_every_change_of_their_owner_until_they_unsubscribe(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    jobs = manager(tmp_path, sandbox_client)
    heard: list[tuple[str, str]] = []

    def broken() -> None:
        raise RuntimeError('a page went wrong')

    def alice_listener() -> None:
        job = jobs.jobs_for('account-alice', 'cover')[0]
        heard.append((job.status, str(job.has_image)))

    stop_alice = jobs.subscribe('account-alice', alice_listener)
    stop_broken = jobs.subscribe('account-alice', broken)  # must not fail the job or stop the others
    bob_heard: list[int] = []
    stop_bob = jobs.subscribe('account-bob', lambda: bob_heard.append(1))
    assert jobs.listener_count('account-alice') == 2 and jobs.listener_count() == 3

    job = await jobs.start_cover(principal(sandbox), LOOK).wait()
    assert job.status == 'done'
    # Told when it started and when it finished, with the stored cover already in place.
    assert heard[0] == ('running', 'False') and heard[-1] == ('done', 'True')
    assert bob_heard == []  # nobody hears of another person's jobs

    stop_alice()
    stop_broken()
    stop_broken()  # twice is harmless
    assert jobs.listener_count('account-alice') == 0
    count = len(heard)
    await jobs.start_cover(principal(sandbox), LOOK).wait()
    assert len(heard) == count
    stop_bob()
    assert jobs.listener_count() == 0 and jobs._listeners == {}
    jobs.close()


async def test_finished_cover_has_a_display_sized_preview_for_its_owner_only(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    jobs = manager(tmp_path, sandbox_client)
    job = await jobs.start_cover(principal(sandbox), LOOK).wait()
    original, preview = jobs.cover_path('account-alice', job.id), jobs.cover_preview_path('account-alice', job.id)
    assert original is not None and preview is not None and preview != original
    with Image.open(original) as full, Image.open(preview) as small:
        assert small.format == 'JPEG' and small.width == min(640, full.width)
        assert abs(small.height / small.width - full.height / full.width) < 0.01
    assert preview.stat().st_size < original.stat().st_size
    assert jobs.cover_preview_path('account-bob', job.id) is None
    preview.unlink()  # a cover stored before previews existed: the original stands in
    assert jobs.cover_preview_path('account-alice', job.id) == original
    jobs.close()
