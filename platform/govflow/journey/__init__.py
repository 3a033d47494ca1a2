"""Applications moving through flows: validation, navigation, invalidation, submission."""
from .engine import Engine, FlowError
from .env import Env, china_today
from .results import StepResult
from .validation import PageCheck, validate_page
from .views import page_view

__all__ = ["Engine", "FlowError", "Env", "china_today", "StepResult", "PageCheck", "validate_page", "page_view"]
