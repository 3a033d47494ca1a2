"""An application finishes under the flow and rule files it started with, even after a publish and
a restart; what is served is the published bundle, never the files on disk (good or broken)."""
from __future__ import annotations

import shutil
from pathlib import Path

from apptools import BRANCH_ONLY_UNDER_60, ROOT, TODAY, follow, publish_edits
from govflow.cli import main as cli_main
from govflow.web import create_app
from walkers import ApiWalker

MAIL = {"pickup_method": "mail", "mail_notice_ack": True, "recipient_region": "440106",
        "recipient_address": "天河路100号3栋501房"}
BRANCH_ONLY = {"rules/pickup.yaml": BRANCH_ONLY_UNDER_60}


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for name in ("flows", "rules", "connectors", "reference", "demo", "renderers"):
        shutil.copytree(ROOT / name, root / name)
    return root


def _app(root: Path, tmp_path: Path):
    return create_app({"PROJECT_DIR": root, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
                       "UPLOAD_DIR": tmp_path / "uploads", "SECRET_KEY": "k" * 40, "TESTING": True,
                       "TODAY": lambda: TODAY})


def _edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_draft_finishes_under_its_rules_after_a_publish_and_a_restart(tmp_path):
    root = _project(tmp_path)
    app = _app(root, tmp_path)
    old = ApiWalker(app.test_client(), app)
    old.walk_to_confirm()
    started = app.extensions["govflow"].env.bundle
    published = publish_edits(app, BRANCH_ONLY)          # policy change: branch pickup only, for everyone
    assert follow(app)
    assert app.extensions["govflow"].env.bundle == published != started

    new = ApiWalker(app.test_client(), app)
    new.walk_to_confirm("rejected_once")          # another person (SMS limits are per phone)
    refused = new.act("pickup", "next", {**MAIL, "branch_id": new.branch()}, expect=422)
    assert "PICK-001" in [e["code"] for e in refused["errors"]]

    restarted = _app(root, tmp_path)                 # a new process: the files on disk are the old ones
    assert restarted.extensions["govflow"].env.bundle == published
    again = ApiWalker(restarted.test_client(), restarted)
    again.id, again.token = old.id, old.token
    assert again.act("pickup", "next", {**MAIL, "branch_id": old.branch()})["page"] == "confirm"
    assert again.act("confirm", "submit")["status"] == "submitted"
    engine = restarted.extensions["govflow"]
    app_record = engine.env.store.applications.get(old.id)
    assert app_record.context["bundle"] == started
    trail = [d for d in engine.env.store.decisions.for_application(old.id) if d.ruleset == "pickup"]
    assert all(d.ruleset_version == app_record.rule_versions["pickup"] for d in trail)


def test_a_file_edited_on_disk_is_not_served_good_or_broken(tmp_path):
    root = _project(tmp_path)
    app = _app(root, tmp_path)
    serving = app.extensions["govflow"].env.bundle
    _edit(root, "flows/sscard_adult.yaml", "title: 社保卡申领\n", "title: 社会保障卡申领\n")   # a good edit
    assert not follow(app)
    flows = app.test_client().get("/api/v1/flows").get_json()["flows"]
    assert next(f["title"] for f in flows if f["id"] == "sscard_adult") == "社保卡申领"
    _edit(root, "flows/sscard_adult.yaml", "next: photo}", "next: phtoo}")                 # a broken one
    restarted = _app(root, tmp_path)          # before: "The server was not started"
    engine = restarted.extensions["govflow"]
    assert engine.env.bundle == serving and engine.bundles.disk_differs
    walker = ApiWalker(restarted.test_client(), restarted)
    walker.create()
    assert walker.verify("mainland_adult")["page"] == "eligibility"


def test_an_empty_database_with_broken_files_does_not_start(tmp_path):
    from govflow.errors import DefinitionError
    root = _project(tmp_path)
    _edit(root, "flows/sscard_adult.yaml", "next: photo}", "next: phtoo}")
    try:
        _app(root, tmp_path)
    except DefinitionError as exc:
        assert any(p.code == "flow.unknown_page" for p in exc.problems)
    else:
        raise AssertionError("started with nothing to serve")


def test_import_of_broken_files_is_a_draft_with_its_problems(tmp_path, monkeypatch, capsys):
    root = _project(tmp_path)
    app = _app(root, tmp_path)
    store = app.extensions["govflow"].env.store
    _edit(root, "flows/sscard_adult.yaml", "next: photo}", "next: phtoo}")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("GOVFLOW_KEY_FILE", str(root / "var" / "keys.json"))
    assert cli_main(["--root", str(root), "import", "--reason", "导入测试", "--author", "alice"]) == 0
    out = capsys.readouterr().out
    assert "草稿 #1" in out and "flows/sscard_adult.yaml:" in out and "flow.unknown_page" in out
    draft = store.drafts.get(1)
    assert draft.author == "alice" and draft.reason == "导入测试" and draft.status == "editing"
    assert [e.action for e in store.drafts.events(1)] == ["imported"]
    assert store.drafts.events(1)[0].detail["errors"] >= 1
    assert app.extensions["govflow"].env.bundle == store.publications.live().version   # nothing published

    out_dir = tmp_path / "exported"
    assert cli_main(["--root", str(root), "export", str(out_dir), "--draft", "1"]) == 0
    assert "next: phtoo}" in (out_dir / "flows/sscard_adult.yaml").read_text("utf-8")
    live_dir = tmp_path / "live"
    assert cli_main(["--root", str(root), "export", str(live_dir)]) == 0
    assert (live_dir / "flows/sscard_adult.yaml").read_text("utf-8") == (ROOT / "flows/sscard_adult.yaml").read_text(
        "utf-8")
