"""The HTTP connection pools one PlatformClient sends through: one for quick calls and streams, and SLOW_POOLS
small ones, taken in turn, for the calls that wait minutes (covers, creations).

Covers and creations hold their connection 30-300 s each, so at a busy moment hundreds are open at once.
httpcore's pool walks every connection it holds on each request and each answer: one pool of 200 waiting covers
made each completion cost ~5 ms of the event loop (bench figure 2). Spread over several pools of their own, each
walk is short; quick calls keep the shared pool and its warm connections.

Requests are built with absolute URLs (the client's base URL may be changed, as tests of a moved platform do), so
no pool knows a base URL.
"""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

SLOW_POOLS = 8
QUICK_CONNECTIONS, QUICK_KEEPALIVE = 400, 50
# Idle pooled connections are dropped well before a server's own keep-alive timeout (uvicorn: 5 s) runs
# out. At equal timeouts a request can go out on a socket the server is closing: it dies unanswered, and
# cover generation, which is never retried, fails for no reason a person could act on.
KEEPALIVE_EXPIRY = 2.0


class Pools:
    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.transport = transport
        self._quick: httpx.AsyncClient | None = None
        self._slow: list[httpx.AsyncClient] = []
        self._turn = 0

    @property
    def quick(self) -> httpx.AsyncClient:
        """The pool for quick calls and streams (opened anew after aclose)."""
        if self._quick is None or self._quick.is_closed:
            self._quick = self._new(QUICK_CONNECTIONS, QUICK_KEEPALIVE)
        return self._quick

    def slow(self) -> httpx.AsyncClient:
        """One of the SLOW_POOLS pools for calls that wait minutes, in turn. A transport given (tests, the
        sandbox in process) is one pool whatever is done here, so the quick pool is used as it is."""
        if self.transport is not None:
            return self.quick
        if not self._slow or any(client.is_closed for client in self._slow):
            self._slow = [self._new(QUICK_CONNECTIONS // SLOW_POOLS, QUICK_KEEPALIVE // SLOW_POOLS)
                          for _ in range(SLOW_POOLS)]
        self._turn = (self._turn + 1) % SLOW_POOLS
        return self._slow[self._turn]

    @property
    def slow_pools(self) -> tuple[httpx.AsyncClient, ...]:
        return tuple(self._slow)

    async def aclose(self) -> None:
        for client in [*([self._quick] if self._quick is not None else []), *self._slow]:
            await client.aclose()
        self._slow = []

    def _new(self, max_connections: int, max_keepalive: int) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.transport,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_keepalive,
                                keepalive_expiry=KEEPALIVE_EXPIRY),
            headers={'User-Agent': 'AgentStudio/0.1'},
            # One client serves every person: a cookie the platform (or a balancer in front of it) sets on one
            # person's answer must never ride along on someone else's request, so none is kept at all.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])))
