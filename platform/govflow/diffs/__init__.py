"""Readable diffs of flow and rule files: what a change means for citizens, in Chinese.

Policy staff review a change by its effect ("填写项“证件有效截止日期”改为必填"), not by YAML
lines; each change is also data (Change.code) for tests and tools. See docs/flow-format.md.
"""
from __future__ import annotations

from pathlib import Path

from ..say import say
from .change import Change
from .describe import describe_condition, describe_outcome, describe_value, fact_titles, fact_types
from .flow_diff import diff_flows
from .rule_diff import diff_rulesets
from .versions import Version, VersionError, from_file, from_git, git_toplevel, load_version

__all__ = ["Change", "describe_condition", "describe_outcome", "describe_value", "fact_titles", "fact_types",
           "diff_flows", "diff_rulesets", "diff_versions", "diff_paths", "diff_revisions", "VersionError"]


def vocabulary(root: Path) -> tuple[dict, dict]:
    """Fact and field titles and types of the working tree (facts.yaml and every flow)."""
    from ..definitions.loader import FlowLoader
    flows = FlowLoader(Path(root) / "flows").load_all() if (Path(root) / "flows").is_dir() else {}
    return fact_titles(root, flows), fact_types(root, flows)


def diff_versions(old: Version, new: Version, root: Path | None = None) -> list[Change]:
    """Changes between two loaded versions; `root` (the project) gives titles to facts and fields."""
    if old.kind != new.kind:
        raise VersionError(say("publishing.diff.kinds_differ", old=say(f"publishing.diff.kind.{old.kind}"),
                               old_label=old.label, new=say(f"publishing.diff.kind.{new.kind}"), new_label=new.label))
    titles, types = vocabulary(root) if root else ({}, {})
    if old.kind == "rules":
        return diff_rulesets(old.data, new.data, titles, types)
    return diff_flows(old.flow, new.flow, titles, types)


def diff_paths(old: Path, new: Path, root: Path) -> list[Change]:
    """Two files; includes not found next to a file are read from the project's flows/."""
    fallback = Path(root) / "flows"
    a = load_version(from_file(old, fallback), Path(old).name, str(old))
    b = load_version(from_file(new, fallback), Path(new).name, str(new))
    return diff_versions(a, b, root)


def diff_revisions(path: Path, rev_from: str, rev_to: str | None, root: Path) -> list[Change]:
    """One file at two git revisions; without rev_to, the file as it is now (uncommitted edits too)."""
    path = Path(path).resolve()
    name = path.name
    a = load_version(from_git(path, rev_from), name, f"{rev_from}")
    if rev_to:
        b = load_version(from_git(path, rev_to), name, rev_to)
    else:
        git_toplevel(path)      # same error as --from when the file is not in a repository
        b = load_version(from_file(path), name, "working tree")
    return diff_versions(a, b, root)


def diff_command(root: Path, files: list[Path], rev_from: str | None, rev_to: str | None) -> int:
    """`govflow diff FILE --from REV [--to REV]` or `govflow diff OLD NEW`: one sentence a line."""
    try:
        if rev_from and len(files) == 1:
            changes = diff_revisions(files[0], rev_from, rev_to, root)
        elif not rev_from and not rev_to and len(files) == 2:
            changes = diff_paths(files[0], files[1], root)
        else:
            print(say("publishing.diff.usage"))
            return 2
    except VersionError as exc:
        print(say("publishing.error", error=exc))
        return 1
    for change in changes:
        print(change)
    print(say("publishing.diff.count", n=len(changes)) if changes else say("publishing.diff.none"))
    return 0
