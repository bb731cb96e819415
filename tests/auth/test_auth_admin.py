"""The audit log page: admins only, filtering, paging and a CSV export that spreadsheets cannot be tricked by."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from runtime import runtime
from tests.support.auth_support import accounts_env, add_account, sign_in
from tests.support.studio_support import close_tab


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    accounts_env(monkeypatch, tmp_path)
    add_account(tmp_path, 'root', admin=True)


def seed() -> None:
    assert runtime.audit is not None
    for i in range(60):
        runtime.audit.record('cover.generated', actor='alice', detail=f'job {i}', trace_id=f'trace-{i:02d}')
    for i in range(10):
        runtime.audit.record('agent.created', actor='bob', detail=f'agent {i}', trace_id=f'bobtrace-{i}')
    runtime.audit.record('agent.created', actor='=HYPERLINK("http://x")', detail='+cmd|calc', trace_id=None)


async def position(user: User, text: str) -> None:
    await user.should_see(marker='page-position', retries=50)
    for _ in range(100):
        label = next(iter(user.find(marker='page-position').elements))
        if isinstance(label, ui.label) and label.text == text:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f'expected the position {text!r}, saw {label.text!r}')


def table_rows(user: User) -> list[dict]:
    return next(iter(user.find(kind=ui.table).elements)).rows


async def test_an_admin_filters_pages_and_exports(user: User) -> None:
    await sign_in(user, 'root', path='/login?redirect_to=/admin')
    await user.should_see('Audit log', retries=50)
    seed()
    user.find(marker='filter-apply').click()
    await position(user, '1–50 of 72')  # 71 seeded + root's own sign-in
    user.find(marker='page-next').click()
    await position(user, '51–72 of 72')

    user.find(marker='filter-actor').type('bob')
    user.find(marker='filter-apply').click()
    await position(user, '1–10 of 10')
    assert {row['actor'] for row in table_rows(user)} == {'bob'}

    user.find(marker='filter-actor').clear()
    user.find(marker='filter-text').type('trace-5')
    user.find(marker='filter-apply').click()
    await position(user, '1–11 of 11')  # trace-50..59 and bobtrace-5

    user.find(marker='filter-since').type('not a date')
    user.find(marker='filter-apply').click()
    await user.should_see('is not a date like', retries=20)
    user.find(marker='filter-since').clear()

    user.find(marker='filter-text').clear()
    user.find(marker='audit-export').click()
    response = await user.download.next(timeout=5)
    assert response.status_code == 200
    assert response.headers['content-type'].startswith('text/csv')
    rows = list(csv.reader(io.StringIO(response.content.decode('utf-8-sig'))))
    assert rows[0] == ['id', 'time_utc', 'event', 'actor', 'detail', 'trace_id']
    assert len(rows) == 1 + 72
    injected = next(r for r in rows if 'HYPERLINK' in r[3])
    assert injected[3].startswith("'=") and injected[4].startswith("'+")  # not evaluated as formulas
    assert runtime.audit is not None and runtime.audit.entries(event='audit.exported')


async def test_the_export_url_answers_401_to_strangers(user: User) -> None:
    await user.open('/login')
    response = await user.http_client.get('/admin/audit.csv')
    assert response.status_code == 401


async def test_an_admin_signs_someone_else_out(user: User, create_user: Callable[[], User], tmp_path: Path) -> None:
    add_account(tmp_path, 'alice')
    alice = create_user()
    await sign_in(alice, 'alice', path='/login?redirect_to=/logout')
    await alice.should_see('Sign out of Agent Studio?', retries=100)
    (alice_session,) = runtime.sessions.sessions_for('account-alice')
    # NiceGUI's simulation routes a redirect to whichever simulated browser last sent an update; with
    # alice's page still open, root's post-sign-in redirect to /admin can land on alice (403).
    close_tab(alice)

    await sign_in(user, 'root', path='/login?redirect_to=/admin')
    await user.should_see(marker='active-sessions', retries=100)
    assert len(user.find(marker='active-session').elements) == 2
    page_html = (await user.http_client.get('/admin')).text
    assert alice_session.sid not in page_html  # a session id is a bearer token: never sent to any browser
    user.find(marker='end-session').click()
    await user.should_see('Signed alice out.', retries=50)
    assert runtime.sessions.peek(alice_session.sid) is None
    assert (await alice.http_client.get('/logout', follow_redirects=False)).status_code == 303
    assert runtime.audit is not None
    (entry,) = runtime.audit.entries(event='auth.session_ended')
    assert entry.actor == 'root' and 'alice' in entry.detail
