"""The studio's small services: signed preview URLs, cover previews, the options cache, the per-owner draft
store, and the studio page's subscription to its person's jobs."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from nicegui.testing import User
from PIL import Image

from runtime import runtime
from services.core.secret import Secret
from services.platform.client import Credentials
from services.platform.models import Option, Options
from services.studio.drafts import DraftStore
from services.studio.media_store import make_preview, preview_from_data_url
from services.studio.options_cache import OptionsCache
from services.studio.preview_urls import MEDIA_PREFIX, PreviewDenied, PreviewSigner
from tests.support.databases import StoreKit
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    FEMALE_LOOK,
    FIXTURES,
    StudioEnv,
    choose_look,
    click,
    close_tab,
    eventually,
    go_to_step,
    open_studio,
    see,
    studio_env,
)

SECRET = 'x' * 40


def token_of(url: str) -> str:
    return url.removeprefix(MEDIA_PREFIX + '/').split('?')[0]


def test_preview_url_round_trip_for_its_owner() -> None:
    signer = PreviewSigner(SECRET, max_age=60)
    url = signer.url('demo-alice', 'cover', 'abc123', version='2')
    assert url.startswith('/media/') and url.endswith('?v=2')
    target = signer.verify(token_of(url), 'demo-alice')
    assert (target.owner_id, target.kind, target.item_id) == ('demo-alice', 'cover', 'abc123')


def test_preview_url_of_another_owner_is_forbidden() -> None:
    signer = PreviewSigner(SECRET, max_age=60)
    token = token_of(signer.url('demo-alice', 'cover', 'abc123'))
    with pytest.raises(PreviewDenied) as denied:
        signer.verify(token, 'demo-bob')
    assert denied.value.status == 403
    with pytest.raises(PreviewDenied) as anonymous:
        signer.verify(token, None)
    assert anonymous.value.status == 403


def test_expired_or_forged_preview_url_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    import itsdangerous.timed

    signer = PreviewSigner(SECRET, max_age=60)
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, 'time', lambda: real_time() - 120)
    stale = token_of(signer.url('demo-alice', 'cover', 'abc123'))  # signed two minutes ago
    monkeypatch.undo()
    with pytest.raises(PreviewDenied) as expired:
        signer.verify(stale, 'demo-alice')
    assert expired.value.status == 403 and 'expired' in expired.value.reason
    forged = PreviewSigner('y' * 40, max_age=60).url('demo-alice', 'cover', 'abc123')
    with pytest.raises(PreviewDenied) as bad:
        signer.verify(token_of(forged), 'demo-alice')
    assert bad.value.status == 404


CREDS = Credentials('key-one-123', Secret('secret-one-123'), 'u1')
OTHER = Credentials('key-two-456', Secret('secret-two-456'), 'u1')


class CountingFetch:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, str]] = []
        self.release = asyncio.Event()
        self.fail_next = False

    async def __call__(self, creds: Credentials, namespace: str, gender: str | None, language: str) -> Options:
        self.calls.append((creds.api_key, gender, language))
        await self.release.wait()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError('upstream down')
        return {'Age': [Option(code='18-25', label=f'{gender}-{language}')]}


async def test_options_cache_coalesces_and_reuses() -> None:
    fetch = CountingFetch()
    now = [0.0]
    cache = OptionsCache(fetch, ttl=300, clock=lambda: now[0])
    waiting = [asyncio.create_task(cache.get(CREDS, gender='female', language='en')) for _ in range(5)]
    await asyncio.sleep(0)
    fetch.release.set()
    results = await asyncio.gather(*waiting)
    assert len(fetch.calls) == 1
    assert all(r['Age'][0].label == 'female-en' for r in results)
    await cache.get(CREDS, gender='female', language='en')
    assert len(fetch.calls) == 1
    # Different gender, language or key are different entries.
    await cache.get(CREDS, gender='male', language='en')
    await cache.get(CREDS, gender='female', language='ja')
    await cache.get(OTHER, gender='female', language='en')
    assert len(fetch.calls) == 4
    now[0] = 301.0  # past the lifetime: asked again
    await cache.get(CREDS, gender='female', language='en')
    assert len(fetch.calls) == 5


async def test_options_cache_does_not_keep_failures() -> None:
    fetch = CountingFetch()
    fetch.release.set()
    fetch.fail_next = True
    cache = OptionsCache(fetch, ttl=300)
    with pytest.raises(RuntimeError):
        await cache.get(CREDS, gender='male')
    options = await cache.get(CREDS, gender='male')
    assert options['Age'][0].label == 'male-en'
    assert len(fetch.calls) == 2


def drafts_on(kit: StoreKit, origin: str = 'instance-a') -> DraftStore:
    return DraftStore(kit.db, kit.writer, origin=origin)


async def test_draft_store_persists_per_owner_and_survives_restart(any_kit: StoreKit) -> None:
    store = drafts_on(any_kit)
    draft = await store.load('demo-alice')
    draft.gender = 'female'
    draft.look['Age'] = '18-25'
    draft.name = 'Mia'
    version = store.save('demo-alice')
    assert version == 1
    assert (await store.load('demo-bob')).name == ''
    assert await any_kit.writer.drain(10)
    again = await drafts_on(any_kit, 'restarted').load('demo-alice')
    assert (again.gender, again.look, again.name, again.version) == ('female', {'Age': '18-25'}, 'Mia', 1)


async def test_draft_derived_from_survives_a_restart_and_is_reset(any_kit: StoreKit) -> None:
    store = drafts_on(any_kit)
    await store.load('demo-alice')
    store.update('demo-alice', name='Mia 2', derived_from='agent-mia')
    assert await any_kit.writer.drain(10)
    other = drafts_on(any_kit, 'instance-b')  # another instance, or this one restarted
    assert (await other.load('demo-alice')).derived_from == 'agent-mia'
    other.clear('demo-alice')  # 'Start over', or the agent was created
    assert await any_kit.writer.drain(10)
    assert (await drafts_on(any_kit, 'instance-c').load('demo-alice')).derived_from is None


async def test_draft_clear_resets_in_place(any_kit: StoreKit) -> None:
    store = drafts_on(any_kit)
    draft = await store.load('demo-alice')
    store.update('demo-alice', gender='male', name='Leo', options_language='ja')
    store.clear('demo-alice', create_job='job-1')
    assert store.get('demo-alice') is draft  # open tabs keep working on the same object
    assert (draft.gender, draft.name, draft.create_job, draft.options_language) == (None, '', 'job-1', 'ja')
    assert draft.missing_look() == ['Gender']


async def test_damaged_draft_starts_over(any_kit: StoreKit) -> None:
    from sqlalchemy import insert

    from services.core.db.schema import drafts

    await any_kit.db.run(lambda c: c.execute(insert(drafts).values(owner_id='demo-alice', version=4,
                                                                   data={'step': 17, 'look': 'not a dict'},
                                                                   updated_at=1.0)))
    store = drafts_on(any_kit)
    draft = await store.load('demo-alice')
    assert draft.gender is None and draft.step == 'look'
    store.update('demo-alice', name='Again')  # the next save replaces the damaged row
    assert await any_kit.writer.drain(10)
    assert (await drafts_on(any_kit, 'other').load('demo-alice')).name == 'Again'


async def test_long_untouched_drafts_are_dropped(any_kit: StoreKit) -> None:
    import time

    from sqlalchemy import update

    from services.core.db.schema import drafts

    store = drafts_on(any_kit)
    await store.load('demo-old')
    await store.load('demo-new')
    store.update('demo-old', name='Gone')
    store.update('demo-new', name='Kept')
    assert await any_kit.writer.drain(10)
    month_ago = time.time() - 31 * 24 * 3600
    await any_kit.db.run(lambda c: c.execute(update(drafts).where(drafts.c.owner_id == 'demo-old')
                                             .values(updated_at=month_ago)))
    assert await store.purge() == 1
    fresh = drafts_on(any_kit, 'restarted')
    assert (await fresh.load('demo-old')).name == ''
    assert (await fresh.load('demo-new')).name == 'Kept'


def test_drafts_of_an_older_version_are_imported_once(tmp_path: Path) -> None:
    import json

    from tests.support.databases import data_dir_kit

    folder = tmp_path / 'drafts'
    folder.mkdir()
    (folder / 'demo-alice.json').write_text(json.dumps({'gender': 'female', 'name': 'Mia', 'version': 7}))
    (folder / 'demo-broken.json').write_text('{not json')
    kit = data_dir_kit(tmp_path)
    assert drafts_on(kit).import_legacy(tmp_path) == 1
    assert not folder.exists() and (tmp_path / 'drafts.imported').is_dir()
    draft = drafts_on(kit, 'later').get('demo-alice')
    assert (draft.gender, draft.name, draft.version) == ('female', 'Mia', 7)


def test_preview_url_does_not_carry_the_owner_id() -> None:
    import base64

    url = PreviewSigner(SECRET, max_age=60).url('account-alice', 'cover', 'abc123')
    payload = token_of(url).split('.')[0]
    decoded = base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4))
    assert b'alice' not in decoded and b'abc123' in decoded


def test_cover_preview_kind_is_signed_and_owner_bound() -> None:
    signer = PreviewSigner(SECRET, max_age=60)
    token = token_of(signer.url('demo-alice', 'cover-preview', 'abc123'))
    assert signer.verify(token, 'demo-alice').kind == 'cover-preview'
    with pytest.raises(PreviewDenied) as denied:
        signer.verify(token, 'demo-bob')
    assert denied.value.status == 403


def test_preview_is_a_jpeg_640_wide_never_enlarged_and_flattened() -> None:
    with Image.open(FIXTURES / 'astronaut.png') as source:
        big = source.convert('RGBA').resize((source.width * 3, source.height * 4))
    big.paste((0, 0, 0, 0), (0, 0, 200, 200))  # a transparent corner becomes white, not black
    raw = io.BytesIO()
    big.save(raw, 'PNG')
    with Image.open(io.BytesIO(make_preview(raw.getvalue()))) as preview:
        assert preview.format == 'JPEG' and preview.mode == 'RGB'
        assert preview.width == 640 and preview.height == round(big.height * 640 / big.width)
        assert min(preview.getpixel((10, 10))) > 200  # type: ignore[arg-type]
    small = (FIXTURES / 'chelsea.png').read_bytes()
    with Image.open(io.BytesIO(small)) as original, Image.open(io.BytesIO(make_preview(small))) as preview:
        assert preview.size == original.size


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)  # before the user fixture loads the app


def test_preview_from_a_data_url_or_none_when_it_cannot_be_made() -> None:
    data = base64.b64encode((FIXTURES / 'coffee.png').read_bytes()).decode()
    preview = preview_from_data_url(f'data:image/png;base64,{data}')
    assert preview is not None and preview.startswith(b'\xff\xd8')
    assert preview_from_data_url('data:image/png;base64,bm90IGFuIGltYWdl') is None  # "not an image"
    assert preview_from_data_url('nonsense') is None


async def test_studio_page_listens_to_its_jobs_while_open_and_stops_when_closed(
        env: StudioEnv, create_user: Callable[[], User]) -> None:
    env.sandbox.controller.config.latency = (1.0, 1.0)
    alice = create_user()
    await open_studio(alice)
    jobs = runtime.jobs
    assert jobs.listener_count('account-alice') == 1
    await choose_look(alice, 'female', FEMALE_LOOK)
    await go_to_step(alice, 'cover')
    click(alice, 'generate-cover')
    await see(alice, 'cover-preview', seconds=20)
    job = jobs.jobs_for('account-alice', 'cover')[0]
    # The panel shows the display-sized copy, and links the original.
    preview = next(iter(alice.find(marker='cover-preview').elements))
    response = await alice.http_client.get(preview.source)
    assert response.status_code == 200 and response.headers['content-type'] == 'image/jpeg'
    assert response.content.startswith(b'\xff\xd8')
    full = next(iter(alice.find(marker='cover-full-size').elements))
    original = await alice.http_client.get(full.props['href'])
    assert original.headers['content-type'] == 'image/png' and len(original.content) > len(response.content)
    assert job.status == 'done'
    close_tab(alice)
    await eventually(lambda: jobs.listener_count() == 0, what='the closed page to stop listening')

    bob = create_user()
    await open_studio(bob, 'bob')
    assert jobs.listener_count('account-bob') == 1 and jobs.listener_count('account-alice') == 0
    theirs = await bob.http_client.get(preview.source)
    assert theirs.status_code == 403  # the preview is as private as the original
    close_tab(bob)
    assert jobs.listener_count() == 0
