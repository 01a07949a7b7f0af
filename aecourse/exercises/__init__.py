"""Auto-checked exercises: the mechanism (:mod:`.core`), its vocabulary (:mod:`.expect`) and one module per notebook."""
from .core import (CORRECT, INCORRECT, NOT_ATTEMPTED, Case, Exercise, Fallback, Result, run_with_time_limit,
                   solutions_shown)
from .expect import Mistake

__all__ = ["CORRECT", "INCORRECT", "NOT_ATTEMPTED", "Case", "Exercise", "Fallback", "Mistake", "Result",
           "run_with_time_limit", "solutions_shown"]
