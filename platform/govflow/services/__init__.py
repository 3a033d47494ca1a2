"""Outside systems the procedures talk to, behind small interfaces (see interfaces.py).

`build_services(config, demo_dir, catalog)` returns every adapter at once. `SERVICES =
"simulator"` (the default) builds the local simulators fed by demo/ data, so every
branch of the flows runs on one machine. The outside systems declared in connectors/*.yaml
are reached through one implementation of them all: CONNECTORS = "simulator" (the default,
connectors/simulator.py: the declarations' `simulator:` blocks over the demo world) or "http"
(connectors/http.py). What changes in the simulated world (the records the operations
change, face checks, the SMS outbox) is kept in a
database of the simulators' own, `SIMULATOR_DATABASE_URL` (simstate.py): every worker
process that opens it shares one world, and it survives a restart. The web app defaults it
to a SQLite file next to the main database (var/govflow-simulators.db); without the key,
build_services keeps the world in memory, its own. To reset it: `govflow sim-reset`, or
delete that file while the server is stopped. Any other SERVICES value is refused with
ServiceConfigError.

Config keys: SERVICES, CONNECTORS, SIMULATOR_DATABASE_URL, SIMULATOR_FAILURE_RATE (0.0),
FACE_TOKEN_TTL_SECONDS (600); the virus scanner's CLAMD_SOCKET, CLAMD_HOST, CLAMD_PORT,
CLAMD_TIMEOUT_SECONDS (scanning.py: clamd when set, otherwise no scan, logged as a WARNING).
"""
from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..connectors.loader import load_connectors
from ..connectors.model import Catalog, Implementation
from ..errors import DefinitionError
from .branches_sim import BranchSimulator, load_branches
from .face_sim import FaceSimulator
from .interfaces import (
    BranchDirectory,
    FaceVerification,
    PhotoReceipts,
    Registry,
    ServiceConfigError,
    ServiceError,
    SmsGateway,
    VirusScanner,
)
from .personas import Persona, load_personas
from .photos_sim import PhotoReceiptSimulator, load_receipts
from .registry_sim import RegistrySimulator
from .scanning import build_scanner
from .simstate import MEMORY_URL, SimState
from .sms_sim import SmsSimulator

KNOWN_BACKENDS = ("simulator",)

__all__ = ["Services", "ServiceConfigError", "ServiceError", "SimState", "build_services", "KNOWN_BACKENDS"]


@dataclass
class Services:
    face: FaceVerification
    people: Registry                  # who is who: persons, guardianships, system photos
    photos: PhotoReceipts
    branches: BranchDirectory
    connector_implementation: Implementation   # connectors/*.yaml: the simulator, or the HTTP adapter
    sms_gateway: SmsGateway
    scanner: VirusScanner             # uploads are scanned before they are accepted (scanning.py)
    personas: tuple[Persona, ...] = ()   # for the simulator pages and the README
    simulator_state: SimState | None = None   # the simulators' database (None for real adapters)


def build_services(config: dict, demo_dir: Path, catalog: Catalog | None = None, *,
                   rng: random.Random | None = None, clock: Callable[[], float] | None = None) -> Services:
    """Build the adapters named by config["SERVICES"]; raises DefinitionError on bad demo data.
    `catalog`: the connectors (by default those of the project holding `demo_dir`); CONNECTORS =
    "simulator" (the default) or "http" (connectors/http.py, each connector's base URL setting)."""
    kind = str(config.get("SERVICES", "simulator"))
    if kind not in KNOWN_BACKENDS:
        raise ServiceConfigError(f"SERVICES = {kind!r} is not available; known: {', '.join(KNOWN_BACKENDS)} "
                                 "(real adapters are not implemented yet)")
    demo_dir = Path(demo_dir)
    personas, problems = load_personas(demo_dir)
    ssn_of = None if any(p.severity == "error" for p in problems) else {p.id: p.person.ssn for p in personas}
    receipts, more = load_receipts(demo_dir, ssn_of)
    branches, even_more = load_branches(demo_dir)
    problems += more + even_more
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DefinitionError(errors)

    state = SimState.open(str(config.get("SIMULATOR_DATABASE_URL") or MEMORY_URL))
    if catalog is None:
        catalog = _catalog(demo_dir.parent)
    implementation = _implementation(config, catalog, personas, state, rng)
    return Services(
        face=FaceSimulator([p.id for p in personas], float(config.get("FACE_TOKEN_TTL_SECONDS", 600)),
                           clock=clock or time.time, state=state),
        people=RegistrySimulator(personas),
        photos=PhotoReceiptSimulator(receipts),
        branches=BranchSimulator(branches),
        connector_implementation=implementation,
        sms_gateway=SmsSimulator(clock=time.time, state=state),
        scanner=build_scanner(config, simulated=True),
        personas=tuple(personas),
        simulator_state=state,
    )


def _catalog(root: Path) -> Catalog:
    catalog, problems = load_connectors(root)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DefinitionError(errors)
    return catalog


def _implementation(config: dict, catalog: Catalog, personas, state: SimState, rng) -> Implementation:
    kind = str(config.get("CONNECTORS", "simulator"))
    if kind == "http":
        from ..connectors.http import HttpImplementation
        return HttpImplementation(catalog, {**os.environ, **config})   # e.g. REGISTRY_URL from the environment
    if kind != "simulator":
        raise ServiceConfigError(f"CONNECTORS = {kind!r} is not available; known: simulator, http")
    from ..connectors.simulator import build_simulator
    return build_simulator(catalog, personas, state, config, rng=rng)
