"""An agent creation whose answer was lost: did the platform make the agent anyway?

Creation is not idempotent and has no request id the platform would recognise, so when the answer never arrives (a
timeout, the connection dropped after the request went out, a 5xx from a proxy in front of a platform that did the
work) "try again" may make a second agent. Before saying so, the create job looks in the key's agent list
(docs/platform-api.md, POST /v1/agent/list) for the agent this request would have made: the same name, created
since shortly before the request was sent, and, when the list's cover URL names it, the same cover (the platform
takes each cover once, so that one is certain). Agents the studio already knows someone made (`agent_records`) are
never taken: two people on one operator key may well both call an agent "Mia" within a minute.

The list's shape and its order are assumed by the contract, so this reads a few pages whatever their order, and a
list that fails is just "not found": the person then hears what went wrong, as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from services.core.db import Database
from services.core.db.schema import agent_records
from services.platform.client import Credentials, PlatformClient
from services.platform.errors import PlatformError, ProtocolError, TransportError
from services.platform.models import AgentListRequest, AgentRecord, CreateAgentRequest, CreatedAgent

log = logging.getLogger(__name__)

NOT_MADE = ' The studio looked in your agents: it was not made, so trying again will not make a duplicate.'
NOT_CHECKED = (' The studio could not check whether the agent was made anyway: look in Agents before trying again, '
               'or the platform may make a second one.')

PAGES = 3
PAGE_SIZE = 100
CLOCK_SLACK = 120.0  # the platform's clock may differ from ours (the signature allows minutes of skew)


def _claimed(connection: Connection, agent_ids: list[str]) -> set[str]:
    """Of these agents, those the studio already recorded someone as having made (library.py's agent_records)."""
    return set(connection.execute(select(agent_records.c.agent_id)
                                  .where(agent_records.c.agent_id.in_(agent_ids))).scalars())


def answer_lost(error: PlatformError) -> bool:
    """Failures after which the platform may have done the work: no answer, or a server error instead of one."""
    return isinstance(error, TransportError) or (isinstance(error, ProtocolError) and (error.status or 0) >= 500)


def _created_at(agent: AgentRecord) -> float | None:
    value = agent.createdAt
    if value is None or value == '':
        return None
    try:
        if isinstance(value, int) or str(value).isdigit():
            number = int(value)
            return number / 1000 if number > 10**11 else float(number)
        moment = datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    except (ValueError, OverflowError, OSError):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def matches(agent: AgentRecord, request: CreateAgentRequest, sent_at: float) -> bool:
    if agent.name != request.name:
        return False
    created = _created_at(agent)
    if created is None or created < sent_at - CLOCK_SLACK:
        return False
    # The cover is named in the URL on the sandbox; a real CDN URL may not say, and then name and time decide.
    return not agent.coverUrl or request.coverId in agent.coverUrl or not _names_a_cover(agent.coverUrl)


def _names_a_cover(url: str) -> bool:
    """Whether a cover URL carries some cover id (a UUID-like path part), so a different one rules the agent out."""
    last = url.rstrip('/').rsplit('/', 1)[-1].split('.', 1)[0]
    return len(last) >= 16 and all(ch.isalnum() or ch == '-' for ch in last)


@dataclass(frozen=True)
class Lookup:
    agent: CreatedAgent | None  # the agent this creation made
    checked: bool  # the list was read (so None above means: it was not made, or not recognisably)

    @property
    def advice(self) -> str:
        """What to add to the failure the person sees."""
        return NOT_MADE if self.checked else NOT_CHECKED


async def find_created(platform: PlatformClient, db: Database, credentials: Credentials,
                       request: CreateAgentRequest, sent_at: float) -> Lookup:
    """The agent this creation made, if the list shows exactly one that fits and nobody has claimed it."""
    candidates: list[AgentRecord] = []
    for number in range(1, PAGES + 1):
        try:
            page = await platform.list_agents(credentials, AgentListRequest(pageNumber=number, pageSize=PAGE_SIZE,
                                                                            language=request.language))
        except PlatformError as error:
            log.warning('looking for an agent whose creation answer was lost: the list failed (%s)', error)
            return Lookup(None, checked=False)
        candidates += [agent for agent in page.records if matches(agent, request, sent_at)]
        if len(page.records) < PAGE_SIZE or number * PAGE_SIZE >= page.total:
            break
    if not candidates:
        return Lookup(None, checked=True)
    claimed = await db.read(_claimed, [agent.agentId for agent in candidates])
    free = [agent for agent in candidates if agent.agentId not in claimed]
    certain = [agent for agent in free if agent.coverUrl and request.coverId in agent.coverUrl]
    found = certain or free
    if len(found) > 1:
        log.warning('an agent creation answer was lost and %d agents named alike were made since; none is taken',
                    len(found))
        return Lookup(None, checked=False)  # which one is ours cannot be told: the person must look
    if not found:
        return Lookup(None, checked=True)
    agent = found[0]
    return Lookup(CreatedAgent(agentId=agent.agentId, name=agent.name, coverUrl=agent.coverUrl), checked=True)
