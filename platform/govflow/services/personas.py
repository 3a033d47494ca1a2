"""Demo personas (demo/personas.yaml): the people the simulators know.

Reading them is separate from the simulators so that the face page, the README and the
tests see the same list. Problems come back with file and line, like flow files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..errors import Problem
from ..yamlsource import Source, load_file
from .interfaces import Person

PERSONAS_FILE = "personas.yaml"
_PERSON_KEYS = ("name", "id_type", "id_number", "ssn", "residency", "birth_date", "sex", "phone")
# the keys of a persona that are not the record of a simulated system (`worlds`)
_OWN_KEYS = ("id", "title", "initials", "person", "system_photo", "guardians", "simulate")
# what proves a guardianship in the registry: 户籍 (户口簿), 出生医学证明, or a guardianship record
# (监护关系证明: 指定监护 民法典 第三十一条, or the order of 第二十七条 when the parents cannot act)
GUARDIANSHIP_BASES = ("household_register", "birth_medical_certificate", "guardianship_record")


@dataclass(frozen=True)
class Persona:
    id: str
    title: str
    initials: str
    person: Person
    system_photo: bool
    guardians: tuple[tuple[str, str, str], ...] = ()   # (guardian persona id, GB/T 4761 code, basis)
    # every other block of the persona: the record each simulated system (a connector's `world:`)
    # holds of this person, as written (connectors/simulator.py reads them)
    worlds: dict = field(default_factory=dict, compare=False, hash=False)
    refuse_first: tuple[str, ...] = ()      # `simulate: {refuse_first: [operation ...]}`


_READ: dict[tuple, tuple[tuple[Persona, ...], tuple[Problem, ...]]] = {}


def load_personas(demo_dir: Path) -> tuple[list[Persona], list[Problem]]:
    """The personas of demo_dir/personas.yaml and the problems found; read once per version of
    the file (each scenario run builds its app anew: reading 12 KB of YAML each time cost more
    than the walk)."""
    path = Path(demo_dir) / PERSONAS_FILE
    try:
        stat = path.stat()
        key: tuple = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = (str(path), None, None)
    if key not in _READ:
        personas, problems = _read_personas(path)
        _READ[key] = (tuple(personas), tuple(problems))
    personas_read, problems_read = _READ[key]
    return list(personas_read), list(problems_read)


def _read_personas(path: Path) -> tuple[list[Persona], list[Problem]]:
    source, problems = load_file(path)
    if source is None:
        return [], problems
    items = source.data.get("personas") if isinstance(source.data, dict) else None
    if not isinstance(items, list):
        return [], problems + [source.problem((), "persona.shape", "personas.yaml needs a 'personas' list")]
    personas: list[Persona] = []
    seen: set[str] = set()
    index: dict[str, int] = {}              # persona id -> its place in the file (for the line)
    for i, item in enumerate(items):
        persona = _persona(source, ("personas", i), item, problems)
        if persona is None:
            continue
        if persona.id in seen or persona.person.ssn in {p.person.ssn for p in personas}:
            problems.append(source.problem(("personas", i, "id"), "persona.duplicate",
                                           f"persona id or ssn of '{persona.id}' is used twice"))
            continue
        seen.add(persona.id)
        index[persona.id] = i
        personas.append(persona)
    for p in personas:
        for guardian, _, _ in p.guardians:
            if guardian not in seen or guardian == p.id:
                problems.append(source.problem(("personas", index[p.id], "guardians"),
                                               "persona.unknown_guardian",
                                               f"{p.id}: guardians names unknown persona '{guardian}'"))
    return personas, problems


def _guardians(source: Source, path: tuple, items, problems: list) -> tuple[tuple[str, str, str], ...] | None:
    out = []
    for j, g in enumerate(items or []):
        if not isinstance(g, dict) or not g.get("persona") or not g.get("relationship") \
                or g.get("basis") not in GUARDIANSHIP_BASES:
            problems.append(source.problem(path + (j,), "persona.guardian",
                                           "a guardian needs persona, relationship (GB/T 4761 code) and basis "
                                           f"({', '.join(GUARDIANSHIP_BASES)})"))
            return None
        out.append((str(g["persona"]), str(g["relationship"]), str(g["basis"])))
    return tuple(out)


def _persona(source: Source, path: tuple, item, problems: list) -> Persona | None:
    if not isinstance(item, dict) or not item.get("id") or not isinstance(item.get("person"), dict):
        problems.append(source.problem(path, "persona.shape", "a persona needs id and person"))
        return None
    data = item["person"]
    missing = [k for k in _PERSON_KEYS if data.get(k) in (None, "")]
    if missing:
        problems.append(source.problem(path + ("person",), "persona.key_missing",
                                       f"person lacks {', '.join(missing)}"))
        return None
    if not isinstance(data["birth_date"], date):
        problems.append(source.problem(path + ("person", "birth_date"), "persona.date",
                                       "birth_date must be a date such as 1990-03-07"))
        return None
    person = Person(person_id=str(item["id"]), name=str(data["name"]), ssn=str(data["ssn"]),
                    id_type=str(data["id_type"]), id_number=str(data["id_number"]),
                    residency=str(data["residency"]), birth_date=data["birth_date"],
                    sex=str(data["sex"]), phone=str(data["phone"]))
    refuse_first = _refuse_first(source, path + ("simulate",), item.get("simulate"), problems)
    if refuse_first is None:
        return None
    guardians = _guardians(source, path + ("guardians",), item.get("guardians"), problems)
    if guardians is None:
        return None
    return Persona(id=person.person_id, title=str(item.get("title", "")), initials=str(item.get("initials", "")),
                   person=person, system_photo=bool(item.get("system_photo", False)), guardians=guardians,
                   refuse_first=refuse_first,
                   worlds={k: v for k, v in item.items() if k not in _OWN_KEYS and isinstance(v, dict)})


def _refuse_first(source: Source, path: tuple, block, problems: list) -> tuple[str, ...] | None:
    """`simulate: {refuse_first: [operation ...]}`: which operations refuse this person's first call."""
    if block is None:
        return ()
    names = block.get("refuse_first", []) if isinstance(block, dict) else None
    if not isinstance(block, dict) or set(block) - {"refuse_first"} or not isinstance(names, list) \
            or not all(isinstance(n, str) and n for n in names):
        problems.append(source.problem(path, "persona.simulate",
                                       "simulate takes refuse_first: a list of operation names"))
        return None
    return tuple(names)
