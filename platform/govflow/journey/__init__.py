"""Applications moving through flows: the Journey decides, a Draft holds one request's view of
an application, validation checks a page, and a StepResult says what happened."""
from .draft import Draft
from .env import Env, china_today
from .journey import FlowError, Journey
from .results import Popup, PopupKind, Status, StepResult
from .validation import PageCheck, validate_page
from .views import outcome_view, page_view

__all__ = ["Journey", "Draft", "FlowError", "Env", "china_today", "Status", "Popup", "PopupKind", "StepResult",
           "PageCheck", "validate_page", "page_view",
           "outcome_view"]
