"""A JSON Schema with its local `$ref`s written out in place, for faster validation.

jsonschema resolves every `{"$ref": "#/$defs/..."}` each time it meets one (through the
`referencing` registry): for a rule file of 1,000 rules that was two thirds of the validation
time. The same schema with each definition copied where it is used validates the same documents
with the same errors (same keyword, message, instance and `properties`), three times faster.
A recursive definition (a condition inside a condition) is written out RECURSION_DEPTH levels deep
and keeps its `$ref` below.
"""
from __future__ import annotations

PREFIX = "#/$defs/"
RECURSION_DEPTH = 3         # `all: [{any: [test, ...]}, ...]` is written out; deeper nestings use the $ref


def inline_refs(schema: dict) -> dict:
    """`schema` with `#/$defs/NAME` references replaced by copies of the definitions (the `$defs`
    stay, so references kept for recursion and `schema["$defs"]` still work)."""
    defs = schema.get("$defs", {})

    def walk(node, stack: tuple):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if len(node) == 1 and isinstance(ref, str) and ref.startswith(PREFIX) and ref[len(PREFIX):] in defs:
                name = ref[len(PREFIX):]
                return node if stack.count(name) >= RECURSION_DEPTH else walk(defs[name], stack + (name,))
            return {key: walk(value, stack) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item, stack) for item in node]
        return node

    out = walk({k: v for k, v in schema.items() if k != "$defs"}, ())
    out["$defs"] = {name: walk(value, (name,)) for name, value in defs.items()}
    return out
