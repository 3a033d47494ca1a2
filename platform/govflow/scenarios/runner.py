"""Running one scenario: the journey engine driven over the JSON API with Flask's test client.

Like a mobile app would: create an application, post each page's answers to its action, hand
face verification to the simulator, upload generated JPEGs, read SMS codes from the simulator's
outbox. Every step is compared with what the scenario expects; the first difference raises
ScenarioFailure naming the file, the scenario and the step (with their lines).
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import NoReturn

from ..say import names, say
from .loader import Scenario, Step

OK = ("ok", "submitted")


class ScenarioFailure(AssertionError):
    def __init__(self, scenario: Scenario, step: Step | None, message: str, page_title: str | None = None):
        self.scenario, self.step, self.reason = scenario, step, message
        self.file, self.line = scenario.file, step.line if step else scenario.line
        at = step.label(page_title) if step else say("scenarios.failure.outcome")
        self.what = say("scenarios.failure.what", name=scenario.name, line=scenario.line, at=at, message=message)
        super().__init__(say("scenarios.failure", where=f"{self.file}:{self.line}", what=self.what))


def jpeg(width: int = 640, height: int = 400, color=(200, 180, 150)) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG")
    return buf.getvalue()


def make_app(root: Path, workdir: Path, definitions=None, today: dt.date | None = None):
    from ..store.crypto import development_keyring
    from ..web import create_app
    config = {"PROJECT_DIR": Path(root), "DATABASE_URL": f"sqlite:///{Path(workdir) / 'scenario.db'}",
              "SIMULATOR_DATABASE_URL": f"sqlite:///{Path(workdir) / 'simulators.db'}",
              "UPLOAD_DIR": Path(workdir) / "uploads", "SECRET_KEY": "scenario-" + "x" * 32, "TESTING": True,
              "SERVICES": "simulator", "KEYRING": development_keyring(Path(workdir))}
    if definitions is not None:
        config["DEFINITIONS"] = definitions
    if today is not None:
        config["TODAY"] = lambda: today
    return create_app(config)


def run_scenario(scenario: Scenario, root: Path, workdir: Path, definitions=None) -> None:
    app = make_app(root, workdir, definitions, scenario.today)
    ScenarioRunner(app).run(scenario)


class ScenarioRunner:
    def __init__(self, app) -> None:
        self.app = app
        self.client = app.test_client()
        self.journey = app.extensions["govflow"]
        self.scenario: Scenario | None = None
        self.step: Step | None = None
        self.persona = ""

    # -- the walk -------------------------------------------------------------------------------
    def run(self, scenario: Scenario) -> None:
        self.scenario, self.step, self.persona = scenario, None, scenario.persona
        if scenario.persona not in {p.id for p in self.journey.env.services.personas}:
            self.fail(say("scenarios.unknown_persona", persona=scenario.persona))
        r = self.client.post("/api/v1/applications", json={"flow": scenario.flow})
        if r.status_code != 201:
            self.fail(say("scenarios.cannot_start", flow=scenario.flow, answer=r.get_json()))
        body = r.get_json()
        self.id, self.token, self.flow, self.at = body["id"], body["token"], body["flow"], body["page"]
        self.seen = [self.id]
        self.codes: dict[tuple, str] = {}
        for step in scenario.steps:
            self.step = step
            self.run_step(step)
        self.step = None
        self.check_outcome(scenario.outcome)

    def fail(self, message: str) -> NoReturn:
        assert self.scenario is not None, message
        raise ScenarioFailure(self.scenario, self.step, message, self._title(self.step.page if self.step else None))

    def _title(self, page_id: str | None, flow_id: str | None = None) -> str | None:
        """The title of a page of the current (or named) flow, for the failure texts; None when unknown."""
        flow_id = flow_id or getattr(self, "flow", None) or (self.scenario.flow if self.scenario else None)
        flow = self.journey.env.flows.get(flow_id) if flow_id else None
        page = flow.page(page_id) if flow is not None and page_id else None
        return getattr(page, "title", None) or None

    def _page_name(self, page_id, flow_id: str | None = None) -> str:
        if not page_id:
            return say("scenarios.no_page_shown")
        title = self._title(page_id, flow_id)
        return say("scenarios.page_titled", page=page_id, title=title) if title else say("scenarios.page", page=page_id)

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, tail: str = "") -> str:
        return f"/api/v1/applications/{self.id}{tail}"

    def run_step(self, step: Step) -> None:
        ran_on = (self.id, step.page)
        if step.follow_redirect:
            r = self.client.post(self.url("/redirect"), headers=self.headers)
        else:
            if step.page != self.at and not step.return_to:
                self.fail(say("scenarios.wrong_page", at=self._page_name(self.at), flow=self.flow,
                              page=self._page_name(step.page)))
            page = self._page_def(step.page)
            action = step.action or page.actions[0].id
            if page.action(action) is None:
                self.fail(say("scenarios.no_action", page=self._page_name(step.page), action=action,
                              actions=names(a.id for a in page.actions)))
            data = self.resolve(page, step.answers)
            query = {"return_to": step.return_to} if step.return_to else {}
            r = self.client.post(self.url(f"/pages/{step.page}/actions/{action}"), json=data,
                                 headers=self.headers, query_string=query)
            if r.status_code == 202 and (r.get_json() or {}).get("handoff"):
                r = self.face(r.get_json()["handoff"], step.face == "pass")
        body = r.get_json() or {}
        self.compare(step.expect, body)
        if body.get("application"):
            if body["application"] not in self.seen:
                self.seen.append(body["application"])
            self.id = body["application"]
        self.flow = body.get("flow", self.flow)
        self.at = body.get("page", self.at)
        if "options" in step.expect:
            self.check_options(ran_on, step.expect["options"])

    def face(self, handoff: dict, passed: bool):
        """The simulator's page (its `url`), then the token back to the API."""
        r = self.client.post(handoff["url"], json={"persona": self.persona, "passed": passed})
        if r.status_code != 200:
            self.fail(say("scenarios.face_refused", persona=self.persona, answer=r.get_json()))
        return self.client.post(self.url("/verification"), json={"token": handoff["token"]}, headers=self.headers)

    # -- answers --------------------------------------------------------------------------------
    def _page_def(self, page_id: str | None):
        page = self.journey.env.flows[self.flow].page(page_id)
        if page is None:
            self.fail(say("scenarios.no_page", flow=self.flow, page=page_id))
        return page

    def resolve(self, page, answers: dict) -> dict:
        """Answers as JSON; `<image>`, `<phone>`, `<branch>`, `<branch:关键字>` and `<sms>` filled in."""
        data = {}
        for name, value in answers.items():
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif value == "<image>":
                value = self.upload(name)
            elif value == "<phone>":
                value = self.persona_phone()
            elif isinstance(value, str) and (value == "<branch>" or value.startswith("<branch:")):
                value = self.branch(value[8:-1] if value.startswith("<branch:") else self._branch_keyword())
            data[name] = value
        for name, value in data.items():
            if value == "<sms>":
                data[name] = self.sms_code(page, name, data)
        return data

    def upload(self, slot: str) -> str:
        r = self.client.post(self.url("/uploads"), headers=self.headers,
                             data={"slot": slot, "file": (io.BytesIO(jpeg()), "image.jpg")})
        if r.status_code != 201:
            self.fail(say("scenarios.upload_refused", slot=slot, answer=r.get_json()))
        return r.get_json()["id"]

    def persona_phone(self) -> str:
        return next(p.person.phone for p in self.journey.env.services.personas if p.id == self.persona)

    def _branch_keyword(self) -> str:
        keyword = self.scenario.branch_keyword if self.scenario else None
        if not keyword:
            self.fail(say("scenarios.no_branch_keyword"))
        return str(keyword)

    def branch(self, keyword: str) -> str:
        found = self.client.get("/api/v1/branches", query_string={"q": keyword}).get_json()["branches"]
        if not found:
            self.fail(say("scenarios.no_branch", keyword=keyword))
        return found[0]["id"]

    def sms_code(self, page, field: str, data: dict) -> str:
        spec = page.fields.get(field)
        phone_field = spec.sms_phone_field if spec else None
        if not phone_field:
            self.fail(say("scenarios.not_sms_field", field=field))
        phone = data.get(phone_field)
        if not phone:
            self.fail(say("scenarios.sms_needs_phone", field=field, phone_field=phone_field))
        key = (self.id, page.id, field, phone)
        if key in self.codes:      # a code already sent in this scenario is used again (one SMS a minute)
            return self.codes[key]
        r = self.client.post(self.url(f"/pages/{page.id}/sms"), headers=self.headers,
                             json={"field": field, "phone": phone})
        if r.status_code != 200:
            self.fail(say("scenarios.sms_not_sent", field=field, answer=r.get_json()))
        text = self.journey.env.services.sms_gateway.outbox()[-1].text
        self.codes[key] = "".join(ch for ch in text if ch.isdigit())[:6]
        return self.codes[key]

    # -- expectations ---------------------------------------------------------------------------
    def compare(self, expect: dict, body: dict) -> None:
        status = body.get("step", body.get("status"))
        if not isinstance(status, str):      # a problem+json answer carries the HTTP status; a step's own in `step`
            status = "invalid" if status == 422 else f"HTTP {status} ({body.get('title', '')})"
        errors = {e["path"]: e["code"] for e in body.get("errors", []) if e.get("path")}
        messages = {e["path"] or "-": e["message"] for e in body.get("errors", [])}
        popup = body.get("popup") or {}
        got = (say("scenarios.got", status=_status(status), page=self._page_name(body.get("page"), body.get("flow")))
               + (say("scenarios.got.errors", errors=errors) if errors else "")
               + (say("scenarios.got.popup", rule=popup.get("rule_id") or "", message=popup.get("message", ""))
                  if popup else "")
               + (say("scenarios.got.messages", msgs="；".join(f"{k}: {v}" for k, v in messages.items()))
                  if messages else ""))
        if "status" in expect:
            wanted = [expect["status"]]
        elif "errors" in expect:
            wanted = ["invalid"]
        elif "popup" in expect:
            wanted = ["refused", "redirect"]
        else:
            wanted = list(OK)
        if status not in wanted:
            self.fail(say("scenarios.expected_status", wanted=say("scenarios.or").join(_status(w) for w in wanted),
                          got=got))
        if "errors" in expect and errors != {k: str(v) for k, v in expect["errors"].items()}:
            self.fail(say("scenarios.expected_errors", wanted=expect["errors"], got=got))
        if "popup" in expect and popup.get("rule_id") != expect["popup"]:
            self.fail(say("scenarios.expected_popup", rule=expect["popup"], got=got))
        if "page" in expect and body.get("page") != expect["page"]:
            self.fail(say("scenarios.expected_page", page=self._page_name(expect["page"], body.get("flow")), got=got))
        if "flow" in expect and body.get("flow", self.flow) != expect["flow"]:
            self.fail(say("scenarios.expected_flow", wanted=expect["flow"], got=body.get("flow", self.flow)))

    def check_options(self, ran_on: tuple, wanted: dict) -> None:
        app_id, page_id = ran_on
        r = self.client.get(f"/api/v1/applications/{app_id}/pages/{page_id}", headers=self.headers)
        view = r.get_json() or {}
        fields = {f["name"]: f for f in view.get("fields", [])}
        for name, values in wanted.items():
            if name not in fields:
                self.fail(say("scenarios.no_field", page=self._page_name(page_id), field=name, status=r.status_code))
            shown = [o["value"] for o in fields[name].get("options") or []]
            if shown != [str(v) for v in values]:
                self.fail(say("scenarios.expected_options", field=name, wanted=names(values) or "-",
                              shown=names(shown) or say("scenarios.nothing")))

    def check_outcome(self, outcome: dict) -> None:
        state = self.client.get(self.url(), headers=self.headers).get_json()
        for key in ("status", "flow", "page"):
            if key in outcome and state.get(key) != outcome[key]:
                self.fail(say(f"scenarios.expected_end.{key}", wanted=outcome[key], got=state.get(key),
                              status=state.get("status"), flow=state.get("flow"), page=state.get("page")))
        if "fired" in outcome:
            fired: list[str] = []
            for app_id in self.seen:
                rows = self.client.get(f"/api/v1/applications/{app_id}/decisions", headers=self.headers)
                for row in rows.get_json().get("decisions", []):
                    fired += [r for r in row["rule_ids"] if r not in fired]
            if sorted(fired) != sorted(outcome["fired"]):
                self.fail(say("scenarios.expected_fired", wanted=names(sorted(outcome["fired"])) or "-",
                              got=names(sorted(fired)) or say("scenarios.nothing")))


STATUSES = ("ok", "invalid", "refused", "redirect", "submitted", "failed", "locked")


def _status(code: str) -> str:
    """A step's status as staff read it: its meaning and the code the scenario file writes."""
    return say("scenarios.status", nm=say(f"scenarios.status.{code}"), c=code) if code in STATUSES else code
