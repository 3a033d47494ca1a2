"""Everything the engine needs from outside, in one object (built by the app factory or tests)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from ..definitions.model import FlowDef

CHINA = ZoneInfo("Asia/Shanghai")


def china_today() -> date:
    return datetime.now(CHINA).date()


@dataclass
class Env:
    flows: dict[str, FlowDef]
    picklists: Any
    rulebook: Any
    services: Any
    store: Any
    today: Callable[[], date] = field(default=china_today)
    bundle: str | None = None        # version of the definition files these flows and rules came from
    connectors: Any = None           # connectors.runtime.Connectors: the bundle's declarations, reached
    #                                  through the services' implementation (simulator or HTTP)

    def with_definitions(self, definitions, bundle: str) -> "Env":
        """The same services and store, with the flows, rules and connectors of another bundle."""
        return Env(flows=definitions.flows, picklists=definitions.picklists, rulebook=definitions.rulebook,
                   services=self.services, store=self.store, today=self.today, bundle=bundle,
                   connectors=connectors_for(definitions, self.services))


def connectors_for(definitions, services):
    """The definitions' connectors, reached through the services' implementation of them."""
    from ..connectors.runtime import Connectors
    return Connectors(definitions.connectors, services.connector_implementation)
