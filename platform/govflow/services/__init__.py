"""Outside systems the procedures talk to, behind small interfaces (see interfaces.py).

`build_services(config, demo_dir)` returns every adapter at once. `SERVICES =
"simulator"` (the default) builds the local simulators fed by demo/ data, so every
branch of the flows runs on one machine. What changes in the simulated world (cancelled
cards, accepted and pending applications, face checks, the SMS outbox) is kept in a
database of the simulators' own, `SIMULATOR_DATABASE_URL` (simstate.py): every worker
process that opens it shares one world, and it survives a restart. The web app defaults it
to a SQLite file next to the main database (var/govflow-simulators.db); without the key,
build_services keeps the world in memory, its own. To reset it: `govflow sim-reset`, or
delete that file while the server is stopped. Real adapters are not part of this package
yet; any other SERVICES value is refused with ServiceConfigError.

Config keys: SERVICES, SIMULATOR_DATABASE_URL, CARD_BACKEND_FAILURE_RATE (0.0),
FACE_TOKEN_TTL_SECONDS (600); the virus scanner's CLAMD_SOCKET, CLAMD_HOST, CLAMD_PORT,
CLAMD_TIMEOUT_SECONDS (scanning.py: clamd when set, otherwise no scan, logged as a WARNING).
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import DefinitionError, Problem
from ..yamlsource import load_file
from .branches_sim import BranchSimulator, load_branches
from .card_backend_sim import CardBackendSimulator
from .face_sim import FaceSimulator
from .interfaces import (
    BranchDirectory,
    CardBackend,
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
MESSAGES_FILE = "simulator_messages.yaml"

__all__ = ["Services", "ServiceConfigError", "ServiceError", "SimState", "build_services", "KNOWN_BACKENDS"]


@dataclass
class Services:
    face: FaceVerification
    registry: Registry
    photos: PhotoReceipts
    branches: BranchDirectory
    card_backend: CardBackend
    sms_gateway: SmsGateway
    scanner: VirusScanner             # uploads are scanned before they are accepted (scanning.py)
    personas: tuple[Persona, ...] = ()   # for the simulator pages and the README
    simulator_state: SimState | None = None   # the simulators' database (None for real adapters)


def build_services(config: dict, demo_dir: Path, *, rng: random.Random | None = None,
                   clock: Callable[[], float] | None = None) -> Services:
    """Build the adapters named by config["SERVICES"]; raises DefinitionError on bad demo data."""
    kind = str(config.get("SERVICES", "simulator"))
    if kind not in KNOWN_BACKENDS:
        raise ServiceConfigError(f"SERVICES = {kind!r} is not available; known: {', '.join(KNOWN_BACKENDS)} "
                                 "(real adapters are not implemented yet)")
    demo_dir = Path(demo_dir)
    personas, problems = load_personas(demo_dir)
    ssn_of = None if any(p.severity == "error" for p in problems) else {p.id: p.person.ssn for p in personas}
    receipts, more = load_receipts(demo_dir, ssn_of)
    branches, even_more = load_branches(demo_dir)
    messages, last = _messages(demo_dir)
    problems += more + even_more + last
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DefinitionError(errors)

    state = SimState.open(str(config.get("SIMULATOR_DATABASE_URL") or MEMORY_URL))
    registry = RegistrySimulator(personas, state)
    backend = CardBackendSimulator(
        messages.get("card_backend", {}),
        reject_first={p.person.ssn for p in personas if p.reject_first_submit},
        failure_rate=float(config.get("CARD_BACKEND_FAILURE_RATE", 0.0)),
        rng=rng,
        registry=registry,
    )
    return Services(
        face=FaceSimulator([p.id for p in personas], float(config.get("FACE_TOKEN_TTL_SECONDS", 600)),
                           clock=clock or time.time, state=state),
        registry=registry,
        photos=PhotoReceiptSimulator(receipts),
        branches=BranchSimulator(branches),
        card_backend=backend,
        sms_gateway=SmsSimulator(clock=time.time, state=state),
        scanner=build_scanner(config, simulated=True),
        personas=tuple(personas),
        simulator_state=state,
    )


def _messages(demo_dir: Path) -> tuple[dict, list[Problem]]:
    source, problems = load_file(demo_dir / MESSAGES_FILE)
    if source is None:
        return {}, problems
    return (source.data if isinstance(source.data, dict) else {}), problems

