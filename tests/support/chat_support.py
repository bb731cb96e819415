"""Helpers for the conversation tests: an agent made on a sandbox through the client, as a person would make one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from services.platform.client import Credentials, PlatformClient
from services.platform.models import CoverRequest, CreateAgentRequest, CreatedAgent

LOOK = CoverRequest(gender='female', age='26-35', ethnicity='east_asian', bodyType='curvy', breastSize='medium',
                    buttSize='large', hairColor='blonde', hairStyle='long_wavy')


async def make_agent(client: PlatformClient, creds: Credentials, name: str = 'Mia', **extra: str) -> CreatedAgent:
    """A custom agent (cover first, then creation), with the details a reply is written from."""
    details = {'personality': 'playful', 'occupation': 'nurse', 'relationship': 'friend', **extra}
    cover, _ = await client.generate_cover(creds, LOOK)
    fields: dict[str, Any] = {**LOOK.model_dump(exclude_none=True), **details}
    agent, _ = await client.create_agent(creds, CreateAgentRequest(**fields, coverId=cover.coverId, name=name,
                                                                   voiceId='voice_f_warm'))
    return agent


async def eventually(check: Callable[[], bool], *, seconds: float = 5.0, what: str = 'condition') -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        await asyncio.sleep(0.02)
