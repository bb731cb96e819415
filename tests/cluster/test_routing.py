"""nginx in front of two instances: sticky by cookie, websockets upgraded, uploads bounded, a dead instance's
browsers sent to the other, app.storage in Redis, and the demo on the one standalone sandbox."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import redis

from deploy.cluster import Cluster
from deploy.nginx import ROUTE_COOKIE
from tests.cluster.people import LOOK_READY, STEP, demo_person, served_by, start_cover


def test_each_browser_is_given_a_route_and_keeps_it(cluster: Cluster) -> None:
    seen: dict[str, set[str]] = {}
    for _ in range(12):
        with httpx.Client(base_url=cluster.url) as browser:
            first = browser.get('/login')
            assert first.status_code == 200
            route = browser.cookies.get(ROUTE_COOKIE)
            assert route and re.fullmatch(r'[0-9a-f]{32}', route), first.headers.get_list('set-cookie')
            answers = {browser.get(path).headers['x-studio-upstream'] for path in ('/login', '/favicon.ico') * 3}
            # Once it has a route, nginx neither hands out another nor moves the browser.
            again = browser.get('/favicon.ico')
            assert not [value for value in again.headers.get_list('set-cookie') if ROUTE_COOKIE in value]
            assert answers == {first.headers['x-studio-upstream']}, answers
            seen.setdefault(first.headers['x-studio-upstream'], set()).add(route)
    # Twelve browsers on two instances: both get some (all on one has a chance of 1 in 2048).
    assert set(seen) == {instance.address for instance in cluster.instances}, seen


async def test_the_demo_runs_through_nginx_on_the_standalone_sandbox(cluster: Cluster) -> None:
    user = await demo_person(cluster, 'demo-through-nginx')
    try:
        home = await served_by(cluster, user)
        # The option tiles' images come from the standalone sandbox, through nginx, at a root-relative address.
        await user.click_card('Female', STEP)
        await user.should_see(LOOK_READY, STEP)
        previews = {str(el['props']['src']) for _, el in user.visible_elements()
                    if str(el.get('props', {}).get('src', '')).startswith('/sandbox/')}
        assert previews, 'no option tile shows a sandbox image'
        image = await user.http.get(sorted(previews)[0])
        assert image.status_code == 200 and image.headers['content-type'] == 'image/png'
        assert 'x-studio-upstream' not in image.headers or image.headers['x-studio-upstream'] not in {
            instance.address for instance in cluster.instances}
        # Its API and fault controls are not reachable through the proxy.
        assert (await user.http.get('/sandbox/_sandbox/faults')).status_code == 404
        assert (await user.http.post('/sandbox/v1/config/options', json={})).status_code == 404

        await start_cover(user, 'Female')
        # The socket's updates arrive through nginx: the finished cover shows without a reload.
        await user.should_see('Chosen cover', STEP)
        assert user.reloads == 0
        assert await served_by(cluster, user) is home
    finally:
        await user.close()
    # The page's websocket went to the instance that built the page (its client id is in the upgrade request;
    # nginx writes a websocket's line when it closes, so it may come a moment after the browser left).
    deadline = time.monotonic() + 10
    while True:
        access = cluster.nginx.access_log.read_text()
        sockets = [line for line in access.splitlines() if f'client_id={user.client_id}' in line and ' 101 ' in line]
        if sockets or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert sockets, f'no websocket upgrade for client {user.client_id} in the access log'
    assert all(f'upstream={home.address}' in line for line in sockets), sockets


async def test_browser_storage_is_in_redis(cluster: Cluster) -> None:
    user = await demo_person(cluster, 'redis-storage')
    try:
        client = redis.Redis.from_url(cluster.redis.url)
        deadline = time.monotonic() + 10
        found: list[bytes] = []
        while not found and time.monotonic() < deadline:
            found = [key for key in client.scan_iter('nicegui:user-*') if b'"sid"' in (client.get(key) or b'')]
            await asyncio.sleep(0.2)
        client.close()
        assert found, 'no user storage with a session id in Redis'
    finally:
        await user.close()


async def test_uploads_are_bounded_by_the_app_first_then_by_nginx(cluster: Cluster) -> None:
    user = await demo_person(cluster, 'uploads')
    try:
        await user.click_card('Male', STEP)
        await user.should_see(LOOK_READY, STEP)
        await user.click('Surprise me', STEP)
        await user.click('Next: Reference photo', STEP)
        # Just over the app's limit (10 MB): nginx lets it through to the instance, whose own words come back.
        response = await user.upload(b'\x89PNG' + b'\0' * int(10.5 * 1024 * 1024), 'big.png')
        assert response.status_code == 413
        assert 'the limit is 10.0 MB' in response.text, response.text[:300]
        # Far over it: nginx refuses before any instance reads it.
        response = await user.upload(b'\0' * (13 * 1024 * 1024), 'huge.png')
        assert response.status_code == 413
        assert '<center>nginx</center>' in response.text, response.text[:300]
    finally:
        await user.close()


def test_a_dead_instance_s_browsers_are_served_by_the_other(healthy: Cluster) -> None:
    cluster = healthy
    with httpx.Client(base_url=cluster.url) as browser:
        first = browser.get('/login')
        home = cluster.instance_at(first.headers['x-studio-upstream'])
        route = browser.cookies.get(ROUTE_COOKIE)
        home.kill()
        started = time.monotonic()
        answer = browser.get('/login')
        # Passive health check: the refused connection is retried on the other instance in the same request.
        assert answer.status_code == 200
        assert cluster.instance_at(answer.headers['x-studio-upstream']) is cluster.other_than(home)
        assert time.monotonic() - started < 5
        assert browser.cookies.get(ROUTE_COOKIE) == route, 'the browser keeps its route'
        home.start()
        # Back after fail_timeout: the browser's hash points at its own instance again.
        deadline = time.monotonic() + cluster.nginx.config.fail_timeout_s + 10
        while cluster.instance_at(browser.get('/favicon.ico').headers['x-studio-upstream']) is not home:
            assert time.monotonic() < deadline, 'the restarted instance got no traffic back'
            time.sleep(0.5)

