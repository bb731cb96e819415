"""The job manager against the sandbox: results in the database, restarts, cancel, limits, failures.

(test_jobs_shared.py has what several instances sharing the database see.)
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image

from services.auth.sessions import Principal
from services.core.audit import AuditLog
from services.core.budget_settings import BudgetSettings
from services.platform.client import PlatformClient
from services.platform.models import CoverRequest, CreateAgentRequest
from services.studio.drafts import DraftStore
from services.studio.image_store import PREVIEW, ImageStore
from services.studio.jobs import INTERRUPTED_MESSAGE, JobManager, JobRefused
from services.studio.limits import GenerationLimits, LimitExceeded
from tests.support.databases import StoreKit, data_dir_kit
from tests.support.sandbox_server import RunningSandbox

LOOK = CoverRequest(gender='female', age='26-35', ethnicity='caucasian', bodyType='slim', hairColor='red',
                    hairStyle='bob', breastSize='small', buttSize='medium')


def principal(sandbox: RunningSandbox, name: str = 'alice') -> Principal:
    return Principal(owner_id=f'account-{name}', user_id=name, display_name=name, mode='account',
                     credentials=sandbox.credentials)


def jobs_on(kit: StoreKit, client: PlatformClient, *, per_user: int = 2, instance: str = 'instance-a',
            drafts: DraftStore | None = None, total: int = 10, budgets: BudgetSettings | None = None) -> JobManager:
    """A job manager as an instance builds it; another call on the same kit is another process (or a restart, with
    the same instance id) on the same database."""
    return JobManager(kit.db, kit.writer, images=ImageStore(kit.db, kit.writer), platform=client,
                      limits=GenerationLimits(kit.db, kit.writer, per_user, total, instance=instance, budgets=budgets,
                                              origin=f'{instance}/test'),
                      audit=AuditLog(kit.db, kit.writer), instance=instance, origin=f'{instance}/test',
                      drafts=drafts or DraftStore(kit.db, kit.writer, origin=f'{instance}/test'))


def manager(data_dir: Path, client: PlatformClient, *, per_user: int = 2) -> JobManager:
    return jobs_on(data_dir_kit(data_dir), client, per_user=per_user)


def written(data_dir: Path) -> None:
    """What the process handed off has reached the database (an orderly stop waits for this too)."""
    assert data_dir_kit(data_dir).writer.flush(10)


async def test_finished_cover_is_a_png_in_the_database_and_audited(tmp_path: Path, sandbox: RunningSandbox,
                                                                   sandbox_client: PlatformClient) -> None:
    jobs = manager(tmp_path, sandbox_client)
    job = await (await jobs.start_cover(principal(sandbox), LOOK)).wait()
    assert job.status == 'done' and job.cover_id and job.usable()
    assert jobs._drafts.get('account-alice').selected_cover_job == job.id  # type: ignore[union-attr]
    assert 29 * 60 < (job.seconds_left() or 0) <= 30 * 60
    png = await jobs.cover_image('account-alice', job.id)
    assert png is not None and Image.open(io.BytesIO(png)).format == 'PNG'
    assert await jobs.cover_image('account-bob', job.id) is None  # only its owner gets it
    entry = jobs._audit.entries(event='cover.generated')[0]  # type: ignore[union-attr]
    assert entry.actor == 'alice' and entry.trace_id == job.trace_id and job.trace_id


async def test_finished_cover_survives_a_restart_until_it_expires(tmp_path: Path, sandbox: RunningSandbox,
                                                                  sandbox_client: PlatformClient) -> None:
    first = manager(tmp_path, sandbox_client)
    job = await (await first.start_cover(principal(sandbox), LOOK)).wait()
    await first.aclose()
    written(tmp_path)
    again = manager(tmp_path, sandbox_client)
    await again.load('account-alice')
    restored = again.get('account-alice', job.id)
    assert restored is not None and restored.status == 'done' and restored.usable()
    assert restored.cover_id == job.cover_id
    assert await again.cover_image('account-alice', job.id) is not None
    assert not restored.usable(now=(restored.expires_at or 0) + 1)  # and then it expires


async def test_a_job_running_when_the_process_stopped_is_interrupted_and_regenerates(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    sandbox.controller.config.latency = (30.0, 30.0)
    crashed = manager(tmp_path, sandbox_client)
    job = await crashed.start_cover(principal(sandbox), LOOK)
    await asyncio.sleep(0.2)
    written(tmp_path)
    # A new process on the same database (the same instance, restarted), while the old one never got to write
    # an ending.
    after_restart = manager(tmp_path, sandbox_client)
    await after_restart.load('account-alice')
    seen = after_restart.get('account-alice', job.id)
    assert seen is not None and seen.status == 'interrupted' and seen.error_message == INTERRUPTED_MESSAGE
    assert seen.cover_request() == LOOK
    crashed.close()
    sandbox.controller.config.latency = (0.0, 0.0)
    fresh = await (await after_restart.regenerate(principal(sandbox), job.id)).wait()
    assert fresh.status == 'done' and fresh.request == seen.request


async def test_cancel_releases_the_limit(tmp_path: Path, sandbox: RunningSandbox,
                                         sandbox_client: PlatformClient) -> None:
    sandbox.controller.config.latency = (30.0, 30.0)
    jobs = manager(tmp_path, sandbox_client, per_user=1)
    job = await jobs.start_cover(principal(sandbox), LOOK)
    with pytest.raises(LimitExceeded) as refused:
        await jobs.start_cover(principal(sandbox), LOOK)
    assert 'limit is 1 per person' in refused.value.user_message
    await jobs.start_cover(principal(sandbox, 'bob'), LOOK)  # someone else is not held up
    assert not jobs.cancel('account-bob', job.id)  # nobody cancels another person's job
    assert jobs.cancel('account-alice', job.id)
    await job.wait()
    assert job.status == 'cancelled'
    written(tmp_path)
    assert await jobs._limits.running('account-alice') == 0
    jobs.close()


async def test_upstream_failure_is_explained_with_trace_id(tmp_path: Path, sandbox: RunningSandbox,
                                                           sandbox_client: PlatformClient) -> None:
    sandbox.controller.faults.set('cover', '10500', times=1)
    jobs = manager(tmp_path, sandbox_client)
    job = await (await jobs.start_cover(principal(sandbox), LOOK)).wait()
    assert job.status == 'failed' and job.error_code == 10500 and job.trace_id
    assert 'problem on its side' in (job.error_message or '')
    written(tmp_path)
    assert await jobs._limits.running() == 0
    assert jobs._audit.entries(event='cover.failed')[0].trace_id == job.trace_id  # type: ignore[union-attr]


async def test_create_refuses_a_known_expired_cover_and_believes_the_platform(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    jobs = manager(tmp_path, sandbox_client)
    who = principal(sandbox)
    cover = await (await jobs.start_cover(who, LOOK)).wait()
    request = CreateAgentRequest(**LOOK.model_dump(exclude_none=True), coverId=cover.cover_id or '', name='Ivy',
                                 voiceId='voice_f_soft', language='en')
    # The platform forgot the cover before our clock says so: its word wins, and the cover is marked expired.
    sandbox.controller.config.cover_ttl_seconds = 0.0
    expired_cover = await (await jobs.start_cover(who, LOOK)).wait()
    late = request.model_copy(update={'coverId': expired_cover.cover_id})
    failed = await jobs.start_create(who, late, cover_job_id=expired_cover.id).wait()
    assert failed.status == 'failed' and failed.error_expired_cover
    assert 'expired' in (failed.error_message or '') and not expired_cover.usable()
    with pytest.raises(JobRefused, match='expired'):
        jobs.start_create(who, late, cover_job_id=expired_cover.id)
    drafts = jobs._drafts
    assert drafts is not None
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

    job = await (await jobs.start_cover(principal(sandbox), LOOK)).wait()
    assert job.status == 'done'
    # Told when it started and when it finished, with the stored cover already in place.
    assert heard[0] == ('running', 'False') and heard[-1] == ('done', 'True')
    assert bob_heard == []  # nobody hears of another person's jobs

    stop_alice()
    stop_broken()
    stop_broken()  # twice is harmless
    assert jobs.listener_count('account-alice') == 0
    count = len(heard)
    await (await jobs.start_cover(principal(sandbox), LOOK)).wait()
    assert len(heard) == count
    stop_bob()
    assert jobs.listener_count() == 0
    jobs.close()


async def test_finished_cover_has_a_display_sized_preview_for_its_owner_only(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    jobs = manager(tmp_path, sandbox_client)
    job = await (await jobs.start_cover(principal(sandbox), LOOK)).wait()
    original, found = await jobs.cover_image('account-alice', job.id), await jobs.cover_preview('account-alice', job.id)
    assert original is not None and found is not None
    preview, media_type = found
    assert media_type == 'image/jpeg' and preview != original
    with Image.open(io.BytesIO(original)) as full, Image.open(io.BytesIO(preview)) as small:
        assert small.format == 'JPEG' and small.width == min(640, full.width)
        assert abs(small.height / small.width - full.height / full.width) < 0.01
    assert len(preview) < len(original)
    assert await jobs.cover_preview('account-bob', job.id) is None
    await jobs.images.delete('account-alice', job.id, PREVIEW)  # a cover stored before previews: the original
    assert await jobs.cover_preview('account-alice', job.id) == (original, 'image/png')
    jobs.close()
