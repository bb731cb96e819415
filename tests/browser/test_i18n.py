"""The studio in Chinese and Japanese (issue 15), in a real browser: the language follows the browser until the person
chooses one, the choice is theirs on every device, switching keeps what is typed and what is running, and the pages
and every step of the studio show no English left over and nothing cut off, on a desktop and on a 390 px phone.
"""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from sandbox import catalogue
from tests.browser import studio
from tests.browser.chrome import Browser
from tests.browser.conftest import OpenBrowser
from tests.support.app_fixtures import StartApp

PASSWORD = 'ren-correct-horse-42'
BROWSER_LANGUAGES = {'zh': 'zh-CN,zh', 'ja': 'ja-JP,ja,en'}  # Chromium adds the q-values itself
PHONE = (390, 844)
# Words that are the same in every language: the product's name, codes, formats, and the names of things the
# platform's contract spells in English (field and header names, the parts of the signed string).
ALLOWED = re.compile(r'Agent Studio|traceId|X-[A-Za-z-]+|API|Key|Secret|cURL|HTTP|UTC|JSON|PNG|CSV|JPEG|WebP|'
                     r'YYYY-MM-DD|HH:MM|English|demo-[0-9a-f]+|/v1/[\w/-]+|STUDIO_[A-Z_]+|PLATFORM_[A-Z_]+|'
                     r'method|path|canonical query|canonical body|multipart|base64|spec|name|code')
# Page text without icons (Material icons are ligature words such as "account_circle"), log data in table cells
# (endpoints, the platform's own messages) and technical text set in monospace (headers, bodies, ids).
_READ_WORDS = """
const copy = document.body.cloneNode(true);
copy.querySelectorAll('i, .q-icon, .material-icons, td, .font-mono, script, style').forEach(e => e.remove());
document.body.appendChild(copy); copy.style.position = 'absolute'; copy.style.left = '-99999px';
const text = copy.innerText; copy.remove(); return text;
"""


def english_left(browser: Browser) -> set[str]:
    text = ALLOWED.sub(' ', str(browser.js(_READ_WORDS)))
    return set(re.findall(r'[A-Za-z]{3,}', text))


def assert_translated(browser: Browser, where: str) -> None:
    left = english_left(browser)
    assert not left, f'{where}: English left on the page: {sorted(left)}'


def assert_nothing_cut_off(browser: Browser, where: str) -> None:
    """No label, button or tab whose text is wider than its box (clipped or overflowing), none wider than the
    window."""
    clipped = browser.js('''
        const out = [];
        const width = document.documentElement.clientWidth;
        for (const e of document.querySelectorAll('.q-btn__content, .q-tab__label, .q-field__label, .q-badge,'
                                                   + ' .q-field__native > span, .q-item__label, .text-2xl, .text-lg')) {
          const r = e.getBoundingClientRect();
          if (!r.width || getComputedStyle(e).visibility === 'hidden') continue;
          // An ellipsis is text cut off too, except in a name (a person's or an agent's, shown shortened on purpose).
          const shortened = getComputedStyle(e).textOverflow === 'ellipsis' && e.closest('.bidi-isolate');
          if (e.scrollWidth > e.clientWidth + 1 && !shortened) out.push('clipped: ' + e.innerText.slice(0, 40));
          if (r.right > width + 1) out.push('past the edge: ' + e.innerText.slice(0, 40));
        }
        return out;''')
    assert not clipped, f'{where}: {clipped}'


def as_phone(browser: Browser) -> None:
    """A 390 px phone, emulated: headless Chromium does not make a window narrower than about 500 px, so a window
    size alone would lay the page out for a wider screen than the one claimed."""
    browser.driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {
        'width': PHONE[0], 'height': PHONE[1], 'deviceScaleFactor': 1, 'mobile': True})
    browser.driver.execute_cdp_cmd('Emulation.setTouchEmulationEnabled', {'enabled': True})


def open_user_menu(browser: Browser) -> None:
    browser.click('account_circle')
    browser.wait(lambda: browser.driver.find_elements(By.CSS_SELECTOR, '.q-menu'), 5, 'the user menu did not open')


def switch_language(browser: Browser, endonym: str) -> None:
    open_user_menu(browser)
    browser.click(endonym, exact=True)
    browser.wait_connected(20)


def html_lang(browser: Browser) -> str:
    return str(browser.js('return document.documentElement.lang'))


@pytest.mark.parametrize('language', ['zh', 'ja'])
def test_pages_in_chinese_and_japanese_show_no_english(start_app: StartApp, open_browser: OpenBrowser,
                                                      language: str) -> None:
    app = start_app(SANDBOX_LATENCY='0')
    for window, label in (((1280, 1000), 'desktop'), (PHONE, 'phone')):
        browser = open_browser(app.base_url, name=f'{language}-{label}', window=window,
                               language=BROWSER_LANGUAGES[language])
        if window == PHONE:
            as_phone(browser)
        browser.open('/login')
        assert browser.js('return document.documentElement.clientWidth') == window[0]
        browser.wait_text('Agent Studio')
        assert html_lang(browser) == {'zh': 'zh-Hans', 'ja': 'ja'}[language]
        assert_translated(browser, f'{label} sign-in')
        assert_nothing_cut_off(browser, f'{label} sign-in')
        browser.shot(f'{language}-{label}-sign-in')

        browser.click({'zh': '沙盒演示', 'ja': 'サンドボックスのデモ'}[language], exact=True)
        browser.click({'zh': '进入沙盒演示', 'ja': 'サンドボックスのデモを開く'}[language])

        def signed_in(b: Browser = browser) -> bool:  # bound now: `browser` is the loop's
            return not b.path.startswith('/login')

        browser.wait(signed_in, 20, 'the demo did not start')
        browser.open('/agents')
        browser.wait_text({'zh': '还没有智能体', 'ja': 'エージェントはまだありません'}[language], timeout=20)
        assert_translated(browser, f'{label} agents')
        assert_nothing_cut_off(browser, f'{label} agents')
        browser.shot(f'{language}-{label}-agents')

        open_user_menu(browser)
        browser.wait_text({'zh': '退出登录', 'ja': 'サインアウト'}[language])
        assert_translated(browser, f'{label} user menu')
        browser.shot(f'{language}-{label}-user-menu')

        browser.open('/requests')
        browser.wait_text({'zh': '请求记录', 'ja': 'リクエスト'}[language], timeout=20)
        assert_translated(browser, f'{label} requests')
        browser.shot(f'{language}-{label}-requests')

        browser.open('/logout')
        browser.wait_text({'zh': '要退出 Agent Studio 吗？', 'ja': 'Agent Studio からサインアウトしますか？'}[language])
        assert_translated(browser, f'{label} sign-out')
        assert_nothing_cut_off(browser, f'{label} sign-out')

        browser.open('/studio')
        browser.wait_text({'zh': '创建角色', 'ja': 'キャラクターを作成'}[language], timeout=20)
        browser.shot(f'{language}-{label}-studio')


def test_the_sign_in_page_follows_the_browser_until_a_language_is_chosen(start_app: StartApp,
                                                                         open_browser: OpenBrowser) -> None:
    app = start_app()
    french = open_browser(app.base_url, name='french', language='fr-FR,fr,ja')
    french.open('/login')
    french.wait_text('サインイン')  # French is not offered; Japanese comes next in what it asks for
    english = open_browser(app.base_url, name='english', language='de-DE,de')
    english.open('/login')
    english.wait_text('Sign in to build characters')  # nothing it asks for is offered: English

    # Chosen on the sign-in page, with a username half typed: the page changes, the typing stays, no password.
    english.click('Tool account', exact=True)
    english.fill('Username', 'ren')
    english.fill('Password', PASSWORD)
    _choose_language_select(english, '中文')
    english.wait_text('登录后即可在内置沙盒中创建角色。', timeout=15)
    english.click('工具账号', exact=True)
    assert english.field_value('用户名') == 'ren'
    assert english.field_value('密码') == ''
    english.reload()
    english.wait_text('登录后即可在内置沙盒中创建角色。')  # this browser's choice, kept


def _choose_language_select(browser: Browser, endonym: str) -> None:
    select = browser.wait(lambda: browser.visible(browser.driver.find_elements(
        By.CSS_SELECTOR, '.q-select[aria-label], .q-field')), 5, 'no language select')
    box = next(element for element in select if 'English' in (element.text or '') or '中文' in (element.text or ''))
    box.click()
    option = browser.wait(lambda: next((o for o in browser.visible(browser.driver.find_elements(
        By.CSS_SELECTOR, '.q-menu .q-item')) if (o.text or '').strip() == endonym), None), 5, 'no option')
    option.click()
    browser.wait_connected(20)


def test_switching_keeps_what_is_typed_and_what_is_running_and_the_choice_follows_the_person(
        start_app: StartApp, open_browser: OpenBrowser) -> None:
    app = start_app(SANDBOX_LATENCY='12')
    app.add_user('ren', PASSWORD)
    browser = open_browser(app.base_url)
    studio.sign_in_account(browser, 'ren', PASSWORD)

    # A cover generation running in the studio.
    studio.choose_gender(browser, 'female')
    studio.pick_look(browser)
    studio.go_to_step(browser, 'Cover')
    browser.wait_text('Generate cover', timeout=15)
    browser.click('Generate cover')
    browser.wait_text(studio.GENERATING, timeout=15)

    # A search half typed in the agents library, then the switch.
    browser.open('/agents')
    browser.wait_text('New agent', timeout=15)
    search = browser.wait(lambda: next((e for e in browser.visible(browser.driver.find_elements(
        By.CSS_SELECTOR, 'input')) if e.get_attribute('placeholder') == 'Search by name'), None), 10, 'no search')
    search.send_keys('Mi')
    browser.wait(lambda: 'Mi' in (search.get_attribute('value') or ''), 5, 'typing did not reach the field')
    switch_language(browser, '日本語')
    browser.wait_text('新しいエージェント', timeout=15)
    assert html_lang(browser) == 'ja'
    # Found afresh each time: the find bar may be redrawn once the search runs again.
    browser.wait(lambda: any(e.get_attribute('placeholder') == '名前で検索' and e.get_attribute('value') == 'Mi'
                             for e in browser.visible(browser.driver.find_elements(By.CSS_SELECTOR, 'input'))),
                 10, 'the typed search was lost')

    # The generation went on through the switch and arrives in the Japanese page.
    browser.open('/studio')
    browser.wait_text('キャラクターを作成', timeout=15)
    studio.go_to_step(browser, 'カバー')
    browser.wait(lambda: studio.cover_image(browser), 60, 'the cover generated across the switch never arrived')
    browser.shot('ja-cover-after-switch')

    # The choice is the person's: another browser that asks for English shows Japanese once they sign in.
    other = open_browser(app.base_url, name='other-device')
    studio.sign_in_account(other, 'ren', PASSWORD)  # its sign-in page reads English: the browser asks for it
    other.wait_text('キャラクターを作成', timeout=15)
    assert html_lang(other) == 'ja'


# The studio's steps as a Chinese and a Japanese reader meet them: what to wait for and click, in their words.
STUDIO_WORDS = {
    'zh': {'demo-tab': '沙盒演示', 'demo': '进入沙盒演示', 'title': '创建角色', 'who': '要创建什么样的角色？',
           'female': '女性', 'to-choose': '待选择', 'all-chosen': '已全部选择', 'next-photo': '下一步：参考照片',
           'face-found': '已检测到人脸', 'next-cover': '下一步：封面', 'generate': '生成封面', 'valid': '有效期还剩',
           'next-details': '下一步：详情', 'name': '名称', 'voice': '音色', 'next-create': '下一步：创建',
           'review': '确认并创建', 'create': '创建智能体', 'ready': '已就绪'},
    'ja': {'demo-tab': 'サンドボックスのデモ', 'demo': 'サンドボックスのデモを開く', 'title': 'キャラクターを作成',
           'who': 'どんなキャラクターを作りますか？', 'female': '女性', 'to-choose': '未選択',
           'all-chosen': 'すべて選択しました', 'next-photo': '次へ：参考写真', 'face-found': '顔を検出',
           'next-cover': '次へ：カバー', 'generate': 'カバー画像を生成', 'valid': '有効。',
           'next-details': '次へ：詳細', 'name': '名前', 'voice': 'ボイス', 'next-create': '次へ：作成',
           'review': '確認して作成', 'create': 'エージェントを作成', 'ready': 'の準備ができました'},
}
CHARACTER = '小雪'  # the character's name: a name, and one that is not English


def platform_english(language: str) -> set[str]:
    """The words of the options the platform itself sends in English for `language` (the sandbox leaves some
    translations out on purpose, as the contract allows): its words, not the studio's."""
    return {word for choices in catalogue.CATALOGUE.values() for choice in choices if language not in choice.labels
            for word in re.findall(r'[A-Za-z]{3,}', choice.label(language))}


@pytest.mark.parametrize('language', ['zh', 'ja'])
@pytest.mark.parametrize('device', ['desktop', 'phone'])
def test_every_studio_step_in_chinese_and_japanese_shows_no_english(start_app: StartApp, open_browser: OpenBrowser,
                                                                    language: str, device: str) -> None:
    words = STUDIO_WORDS[language]
    app = start_app(SANDBOX_LATENCY='0')
    browser = open_browser(app.base_url, name=f'{language}-{device}', language=BROWSER_LANGUAGES[language],
                           window=(1280, 1000) if device == 'desktop' else PHONE)
    if device == 'phone':
        as_phone(browser)
    browser.open('/login')
    assert browser.js('return document.documentElement.clientWidth') == (1280 if device == 'desktop' else PHONE[0])
    browser.click(words['demo-tab'], exact=True)
    browser.click(words['demo'])
    browser.wait(lambda: not browser.path.startswith('/login'), 20, 'the demo did not start')
    browser.open('/studio')
    browser.wait_text(words['title'], timeout=20)
    # The file's name and the platform's own English labels are not the studio's words.
    allowed = platform_english(language) | {'astronaut', 'png'}

    def check(step: str) -> None:
        where = f'{language} {device} {step}'
        # The stepper slides the new step in from the side: measured mid-slide, every line is past the edge.
        # A step is drawn when first shown, so the slide may start a moment after its content is there: wait until
        # the step's content sits inside the stepper, not only until no slide is running.
        browser.wait(lambda: browser.js('''
            if (document.querySelector('[class*="q-transition--"]')) return false;
            const box = document.querySelector('.q-stepper__content');
            const body = [...document.querySelectorAll('.studio-step-body')].find(b => b.offsetParent !== null);
            if (!box || !body) return true;
            const outer = box.getBoundingClientRect(), inner = body.getBoundingClientRect();
            return inner.left >= outer.left - 1 && inner.right <= outer.right + 1;'''), 5,
                     'the step never stopped sliding')
        left = english_left(browser) - allowed
        assert not left, f'{where}: English left on the page: {sorted(left)}'
        assert_nothing_cut_off(browser, where)
        browser.shot(f'{language}-{device}-{step}')

    browser.wait_text(words['who'], timeout=15)
    check('look-gender')
    # The tile reads its icon's ligature too ("female 女性"): found by how its text ends, as studio.choose_gender does.
    tile = browser.wait(lambda: next((t for t in browser.visible(browser.driver.find_elements(
        By.CSS_SELECTOR, '.studio-tile')) if (t.text or '').strip().endswith(words['female'])), None), 10, 'no tile')
    tile.click()
    browser.wait(lambda: studio.look_grids(browser), 20, 'the options did not load')
    check('look-options')
    studio.pick_look(browser, to_choose=words['to-choose'])
    browser.wait_text(words['all-chosen'], timeout=10)
    check('look-chosen')

    browser.click(words['next-photo'])
    browser.wait(lambda: browser.driver.find_elements(By.CSS_SELECTOR, '.studio-drop'), 10, 'no drop zone')
    check('photo')
    studio.upload_photo(browser, studio.ASTRONAUT)
    browser.wait_text(words['face-found'], timeout=30)
    check('photo-face-found')

    browser.click(words['next-cover'])
    browser.click(words['generate'], timeout=15)
    browser.wait(lambda: studio.cover_image(browser), 60, 'no cover arrived')
    browser.wait_text(words['valid'], timeout=10)
    check('cover')

    browser.click(words['next-details'])
    # On a phone the step opens scrolled down, its Name field under the header bar: brought into view first.
    name = browser.wait(lambda: browser.field(words['name']), 10, 'no name field')
    browser.js('arguments[0].scrollIntoView({block: "center"})', name)
    browser.fill(words['name'], CHARACTER)
    browser.choose_first(words['voice'])
    check('details')

    browser.click(words['next-create'])
    browser.wait_text(words['review'], timeout=10)
    check('create-review')
    browser.click(words['create'], timeout=15)
    browser.wait_text(words['ready'], timeout=60)
    check('created')
