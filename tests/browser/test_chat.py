"""A conversation in a real browser: create an agent, say hello, watch the reply grow, ask for a picture, reload and
find everything; another person gets nothing of it; faults on the conversation endpoints leave it intact."""

from __future__ import annotations

import re

from tests.browser import studio
from tests.browser.chrome import Browser
from tests.browser.conftest import OpenBrowser
from tests.browser.leaks import assert_nowhere
from tests.support.app_fixtures import StartApp

PASSWORD = 'maya-correct-horse-42'
OTHER_PASSWORD = 'noah-battery-staple-17'
# Every text the newest reply shows on its way, with the page's clock, noted by the page itself (not by polling).
WATCH_REPLY = r'''
window.__reply = [];
new MutationObserver(() => {
  const replies = document.querySelectorAll('.chat-reply');
  const text = replies.length ? (replies[replies.length - 1].innerText || '') : '';
  const seen = window.__reply;
  if (text && (!seen.length || seen[seen.length - 1].text !== text)) seen.push({text, at: Date.now()});
}).observe(document.body, {subtree: true, childList: true, characterData: true});
'''
# kind -> words the person is shown (every kind, on every chat endpoint, is driven in tests/studio/test_chat_flow.py;
# these are the ones a browser adds something to: a 502 page's markup, a stream cut in the middle).
FAULTS = {
    'busy': 'The platform is busy',
    'quota': 'used up its allowance',
    'http502': 'HTTP 502',
    'cut': 'broke off in the middle of the reply',
}
NOT_FOR_PEOPLE = re.compile(r'Traceback|Exception\b|httpx\.|Errno|NoneType|<html|<!DOCTYPE', re.IGNORECASE)


def create_agent(browser: Browser, name: str) -> None:
    browser.wait_text('Create a character', timeout=30)
    browser.click('Surprise me')
    browser.wait_text('A random look is ready', timeout=30)
    studio.go_to_step(browser, 'Cover')
    browser.click('Generate cover', timeout=15)
    browser.wait(lambda: studio.cover_image(browser), 30, 'the cover never arrived')
    studio.go_to_step(browser, 'Details')
    browser.fill('Name', name)
    browser.choose_first('Voice')
    studio.go_to_step(browser, 'Create')
    browser.click('Create agent', timeout=15)
    browser.wait_text(f'{name} is ready', timeout=40)


def reply_finished(browser: Browser) -> bool:
    return not browser.has_text('writing…') and bool(browser.js(
        'const r = document.querySelectorAll(".chat-reply"); return r.length && r[r.length - 1].innerText.trim()'))


def chat_picture(browser: Browser) -> bool:
    return any('/media/chat/' in (image.get('src') or '') and image.get('width')
               for image in browser.loaded_images())


def test_say_hello_stream_picture_reload_privacy_and_faults(start_app: StartApp, open_browser: OpenBrowser) -> None:
    app = start_app(SANDBOX_CHAT_PACE='0.06', SANDBOX_CHAT_IMAGE_LATENCY='1', PLATFORM_TIMEOUT='3')
    app.add_user('maya', PASSWORD)
    app.add_user('noah', OTHER_PASSWORD)
    browser = open_browser(app.base_url)
    studio.sign_in_account(browser, 'maya', PASSWORD)
    create_agent(browser, 'Juno')
    browser.shot('created')

    # "Say hello": the chat page opens and greets the agent on the person's behalf.
    browser.click('Say hello')
    browser.wait(lambda: re.fullmatch(r'/agents/[^/]+/chat(\?hello=1)?', browser.path), 15, 'no chat page')
    chat_path = browser.path.split('?')[0]
    browser.js(WATCH_REPLY)
    browser.wait_text('Hello!', timeout=15)
    browser.wait(lambda: reply_finished(browser), 20, 'the reply never finished')
    seen = browser.js('return window.__reply')
    final = seen[-1]['text']
    assert 'Juno' in final
    # It grew piece by piece: the first piece was on screen well before the last had arrived.
    assert len(seen) >= 5 and all(final.startswith(step['text']) for step in seen), seen
    assert seen[-1]['at'] - seen[0]['at'] > 300
    browser.shot('reply-streamed')

    # A chat picture is a server-side job: it shows inline when done.
    browser.fill('Write a message', 'you reading in a park')
    browser.click('Picture')
    browser.wait_text('Drawing', timeout=10)
    browser.wait(lambda: chat_picture(browser), 20, 'the picture never arrived')
    browser.shot('picture')

    # Text stays text: markup in a message never runs.
    browser.fill('Write a message', '<img src=x onerror=alert(1)><b>bold?</b>')
    browser.click('Send', exact=True)
    browser.wait(lambda: reply_finished(browser) and browser.has_text('<b>bold'), 20, 'no echo of the markup')

    # A reload finds the whole conversation, from the server.
    browser.reload()
    browser.wait_text('you reading in a park', timeout=15)
    assert browser.has_text('Hello!') and browser.has_text(final[:40])
    browser.wait(lambda: chat_picture(browser), 15, 'the picture is gone after the reload')
    picture_src = next(i['src'] for i in browser.loaded_images() if '/media/chat/' in (i.get('src') or ''))
    browser.shot('reloaded')

    # Faults on the stream: each is said in words a person can act on, and the conversation goes on.
    for kind, words in FAULTS.items():
        app.set_fault('chat_stream', kind, 1)
        browser.fill('Write a message', f'about {kind}')
        browser.click('Send', exact=True)
        browser.wait_text(words, timeout=15)
        shown = browser.text()
        assert not NOT_FOR_PEOPLE.search(shown), f'{kind} shows internals'
        browser.click('Try again')
        browser.wait(lambda w=words: reply_finished(browser) and not browser.has_text(w), 20,
                     f'no reply after the {kind} fault')
    assert browser.has_text('you reading in a park')  # nothing of the conversation was lost on the way
    browser.shot('after-faults')

    # Another person opening the same address gets nothing of it: their own, empty conversation.
    other = open_browser(app.base_url, name='noah')
    studio.sign_in_account(other, 'noah', OTHER_PASSWORD, then=chat_path)
    other.open(chat_path)
    other.wait_text('Juno', timeout=15)
    assert not other.has_text('Hello!') and not other.has_text('you reading in a park')
    status = other.js('return fetch(arguments[0]).then(r => r.status)', picture_src)
    assert status == 403
    other.shot('someone-else')

    key, secret = app.demo_credentials()
    assert_nowhere([key, secret], browser)
    assert browser.xss_effects() == {'xss': 0, 'alerts': []}
    errors = app.unexpected_errors()
    assert not errors, '\n\n'.join(errors)
