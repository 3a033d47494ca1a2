"""An application finishes under the flow and rule files it started with, even after an edit;
in development a good edit is served to new applications and a broken one is refused."""
from __future__ import annotations

import shutil
from pathlib import Path

from apptools import ROOT, TODAY
from govflow.web import create_app
from walkers import ApiWalker

MAIL = {"pickup_method": "mail", "mail_notice_ack": True, "recipient_region": "440106",
        "recipient_address": "天河路100号3栋501房"}


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for name in ("flows", "rules", "reference", "demo", "renderers"):
        shutil.copytree(ROOT / name, root / name)
    return root


def _app(root: Path, tmp_path: Path):
    app = create_app({"PROJECT_DIR": root, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
                      "UPLOAD_DIR": tmp_path / "uploads", "SECRET_KEY": "k" * 40, "TESTING": True,
                      "TODAY": lambda: TODAY})
    app.extensions["govflow"].bundles.min_interval = 0
    return app


def _edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def _reload(app) -> bool:
    engine = app.extensions["govflow"]
    if engine.bundles.reload_if_changed():
        engine.adopt(engine.bundles.current, engine.bundles.current_version)
        return True
    return False


def test_draft_finishes_under_its_rules_after_an_edit_and_a_restart(tmp_path):
    root = _project(tmp_path)
    app = _app(root, tmp_path)
    old = ApiWalker(app.test_client(), app)
    old.walk_to_confirm()
    started = app.extensions["govflow"].env.bundle
    # policy change: branch pickup only, for everyone
    _edit(root, "rules/pickup.yaml", "in: [hk, macau, taiwan]", "in: [hk, macau, taiwan, mainland]")
    assert not _reload(app)                          # its own example now fails: refused
    assert app.extensions["govflow"].bundles.last_problems[0].code.startswith("rule.example")
    _edit(root, "rules/pickup.yaml", "      - given: {identity: {residency: mainland}}\n        fires: []",
          "      - given: {identity: {residency: mainland}}\n        fires: [PICK-001]\n"
          "      - given: {identity: {residency: foreign}}\n        fires: []")
    assert _reload(app)
    assert app.extensions["govflow"].env.bundle != started

    new = ApiWalker(app.test_client(), app)
    new.walk_to_confirm("rejected_once")          # another person (SMS limits are per phone)
    refused = new.act("pickup", "next", {**MAIL, "branch_id": new.branch()}, expect=422)
    assert "PICK-001" in [e["code"] for e in refused["errors"]]

    restarted = _app(root, tmp_path)                 # a new process: only the archive knows the old files
    again = ApiWalker(restarted.test_client(), restarted)
    again.id, again.token = old.id, old.token
    assert again.act("pickup", "next", {**MAIL, "branch_id": old.branch()})["page"] == "confirm"
    assert again.act("confirm", "submit")["status"] == "submitted"
    engine = restarted.extensions["govflow"]
    app_record = engine.env.store.applications.get(old.id)
    assert app_record.context["bundle"] == started
    trail = [d for d in engine.env.store.decisions.for_application(old.id) if d.ruleset == "pickup"]
    assert all(d.ruleset_version == app_record.rule_versions["pickup"] for d in trail)


def test_broken_edit_is_refused_and_the_last_good_version_keeps_serving(tmp_path):
    root = _project(tmp_path)
    app = _app(root, tmp_path)
    serving = app.extensions["govflow"].env.bundle
    _edit(root, "flows/sscard_adult.yaml", "next: photo}", "next: phtoo}")
    assert not _reload(app)
    problems = app.extensions["govflow"].bundles.last_problems
    assert problems and problems[0].file == "flows/sscard_adult.yaml" and problems[0].code == "flow.unknown_page"
    assert app.extensions["govflow"].env.bundle == serving
    walker = ApiWalker(app.test_client(), app)
    walker.create()
    assert walker.verify("mainland_adult")["page"] == "eligibility"


def test_reload_happens_on_a_request_in_development(tmp_path):
    root = _project(tmp_path)
    app = create_app({"PROJECT_DIR": root, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
                      "UPLOAD_DIR": tmp_path / "uploads", "SECRET_KEY": "k" * 40, "RELOAD_DEFINITIONS": True})
    engine = app.extensions["govflow"]
    engine.bundles.min_interval = 0
    before = engine.env.flows["sscard_adult"].title
    _edit(root, "flows/sscard_adult.yaml", "title: 社保卡申领\n", "title: 社会保障卡申领\n")
    flows = app.test_client().get("/api/v1/flows").get_json()["flows"]
    assert next(f["title"] for f in flows if f["id"] == "sscard_adult") == "社会保障卡申领" != before
