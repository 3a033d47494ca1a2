"""A bundle against another, file by file, in policy terms (the diffs package): what the staff
pages show before a publish and what a draft's history keeps."""
from __future__ import annotations

import tempfile
from pathlib import Path

from ..catalog import text as msg
from ..diffs import diff_flows, diff_rulesets
from ..diffs import vocabulary as diff_vocabulary
from ..diffs.versions import VersionError, from_file, load_version
from ..say import say


def bundle_diff(old: dict[str, str], new: dict[str, str]) -> list[dict]:
    """Every file that differs: its status and, for flow and rule files, the changes in words."""
    out = []
    with tempfile.TemporaryDirectory(prefix="govflow-staff-") as tmp:
        dirs = {"old": Path(tmp) / "old", "new": Path(tmp) / "new"}
        for key, files in (("old", old), ("new", new)):
            for name, text in files.items():
                (dirs[key] / name).parent.mkdir(parents=True, exist_ok=True)
                (dirs[key] / name).write_text(text, "utf-8")
        vocab = None
        for name in sorted(set(old) | set(new)):
            if old.get(name) == new.get(name):
                continue
            entry: dict = {"name": name, "status": "changed", "changes": [], "note": None}
            out.append(entry)
            if name not in old or name not in new:
                entry["status"] = "added" if name not in old else "removed"
                continue
            if not name.endswith(".yaml") or not name.startswith(("flows/", "rules/")) or name == "rules/facts.yaml":
                entry["note"] = msg("staff.diff.no_detail")
                continue
            vocab = vocab or diff_vocabulary(dirs["new"])
            entry["changes"], entry["note"] = _file_changes(dirs, name, *vocab)
    return out


def _file_changes(dirs: dict, name: str, titles: dict, types: dict):
    try:
        a, b = (load_version(from_file(dirs[k] / name, dirs[k] / "flows"), Path(name).name, k)
                for k in ("old", "new"))
        if a.kind != b.kind:
            raise VersionError(say("publishing.diff.kinds_differ", old=say(f"publishing.diff.kind.{a.kind}"),
                                   old_label=a.label, new=say(f"publishing.diff.kind.{b.kind}"), new_label=b.label))
    except VersionError as exc:
        return [], msg("staff.diff.unreadable", detail=str(exc))
    if a.kind == "rules":
        changes = diff_rulesets(a.data, b.data, titles, types)
    else:
        changes = diff_flows(a.flow, b.flow, titles, types)
    return changes, None if changes else msg("staff.diff.no_policy_change")
