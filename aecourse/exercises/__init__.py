"""Auto-checked exercises: the mechanism (:mod:`.core`) and one module per notebook."""
from .core import CORRECT, INCORRECT, NOT_ATTEMPTED, Case, Exercise, Result, run_with_time_limit

__all__ = ["CORRECT", "INCORRECT", "NOT_ATTEMPTED", "Case", "Exercise", "Result", "run_with_time_limit"]
