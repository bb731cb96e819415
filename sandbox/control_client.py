"""The app's side of a standalone sandbox's /_sandbox/keys: a key of its own for each demo visitor, over HTTP.

The embedded sandbox is asked in-process (EmbeddedSandbox.issue_key). When several app instances share one
standalone sandbox for the demo, each asks that sandbox instead, with this client; the sandbox answers only
programs on its own machine that send the control header (sandbox/routes/guard.py).
"""

from __future__ import annotations

import httpx

from services.core.secret import Secret

from .routes.guard import CONTROL_HEADERS


class SandboxKeysError(Exception):
    pass


class SandboxKeys:
    """Issue and revoke visitor keys on the sandbox at `base_url` (its root, e.g. http://127.0.0.1:8601)."""

    def __init__(self, base_url: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None):
        self.url = base_url.rstrip('/') + '/_sandbox/keys'
        self._http = httpx.AsyncClient(timeout=timeout, headers=CONTROL_HEADERS, transport=transport)

    async def issue_key(self, label: str) -> tuple[str, Secret]:
        response = await self._http.post(self.url, json={'label': label})
        if response.status_code != 201:
            raise SandboxKeysError(f'the sandbox issued no key: HTTP {response.status_code} {response.text[:200]}')
        body = response.json()
        return str(body['apiKey']), Secret(str(body['apiSecret']))

    async def revoke_key(self, api_key: str) -> dict[str, int] | None:
        response = await self._http.delete(self.url, params={'apiKey': api_key})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SandboxKeysError(f'the sandbox did not revoke the key: HTTP {response.status_code}')
        deleted: dict[str, int] = response.json()['deleted']
        return deleted

    async def issued_keys(self) -> list[tuple[str, str, float]]:
        """(key, label, issued at) of every visitor key the sandbox accepts (its GET answers no secrets)."""
        response = await self._http.get(self.url)
        if response.status_code != 200:
            raise SandboxKeysError(f'the sandbox did not list its keys: HTTP {response.status_code}')
        return [(str(key['apiKey']), str(key['label']), float(key['createdAt'])) for key in response.json()['keys']]

    async def aclose(self) -> None:
        await self._http.aclose()
