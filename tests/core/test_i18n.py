"""services/core/i18n.py and the person's language setting: what is chosen from a browser's Accept-Language, whose
language a message is worded in (a page's, a task's), plural forms and formats, and the setting kept per owner."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.auth.preferences import Preferences
from services.core import i18n
from services.core.db import Database
from services.core.i18n import _, ngettext, use_language
from services.studio import rules


@pytest.mark.parametrize(('header', 'chosen'), [
    ('ja-JP,ja;q=0.9,en;q=0.8', 'ja'),
    ('de-DE,zh;q=0.5', 'zh'),
    ('fr;q=1, ja;q=0.8, en;q=0.5', 'ja'),
    ('en;q=0.2, zh-TW;q=0.9', 'zh'),  # by q-value, not by position; Traditional Chinese reads the zh catalog
    ('ja;q=0, en', 'en'),  # q=0 means "not this one"
    ('de-DE,fr', None),
    ('', None),
    (None, None),
    ('garbage;;;,*', None),
])
def test_negotiate_follows_q_values(header: str | None, chosen: str | None) -> None:
    assert i18n.negotiate(header) == chosen
    assert rules.preferred_language(header) == (chosen or 'en')


def test_messages_are_worded_in_the_current_language() -> None:
    assert _('Sign in') == 'Sign in'
    with use_language('zh'):
        assert _('Sign in') == '登录'
        with use_language('ja'):
            assert _('Sign in') == 'サインイン'
        doing = i18n.pgettext('action', 'generate the cover')
        assert _('The platform could not {action}: {said}.').format(action=doing, said='x') == '平台无法生成封面：x。'
    with use_language('xx'):  # not an interface language: the current one stays
        assert _('Sign in') == 'Sign in'


def test_plurals_and_formats() -> None:
    assert ngettext('{count} agent', '{count} agents', 1).format(count=1) == '1 agent'
    assert ngettext('{count} agent', '{count} agents', 3).format(count=3) == '3 agents'
    with use_language('ja'):
        assert ngettext('{count} agent', '{count} agents', 3).format(count=3) == 'エージェント 3 件'
        assert i18n.format_list(['a', 'b', 'c']) == 'a、b、c'
    with use_language('zh'):
        assert i18n.format_minute(1_796_161_140.0) == '2026年12月1日 21:39'  # UTC
        assert i18n.format_number(12345.5) == '12,345.5'


async def test_a_task_is_worded_in_the_language_of_whoever_started_it() -> None:
    async def words() -> str:
        await asyncio.sleep(0)
        return _('Cancelled.')

    with use_language('ja'):
        task = asyncio.get_running_loop().create_task(words(), context=i18n.task_context())
    assert i18n.current_language() == 'en'  # the starter's language did not leak out
    assert await task == 'キャンセルしました。'


async def test_the_language_setting_is_kept_per_owner(tmp_path: Path) -> None:
    db = Database(f'sqlite:///{tmp_path / "studio.sqlite3"}')
    db.upgrade()
    try:
        preferences = Preferences(db)
        assert preferences.language('account-ren') is None
        await preferences.set_language('account-ren', 'ja')
        assert preferences.language('account-ren') == 'ja'
        assert Preferences(db).language('account-ren') == 'ja'  # from the database, not the memory of one instance
        assert Preferences(db).language('account-other') is None
        with pytest.raises(ValueError):
            await preferences.set_language('account-ren', 'fr')
    finally:
        db.close()
