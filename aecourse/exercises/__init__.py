"""Auto-checked exercises: the mechanism (:mod:`.core`), its outcomes (:mod:`.outcome`), its vocabulary
(:mod:`.expect`), graded questions (:mod:`.questions`) and one module per notebook."""
from .core import Case, Exercise, run_with_time_limit
from .expect import Mistake
from .outcome import CORRECT, INCORRECT, NOT_ATTEMPTED, Fallback, Result, solutions_shown
from .questions import Question

__all__ = ["CORRECT", "INCORRECT", "NOT_ATTEMPTED", "Case", "Exercise", "Fallback", "Mistake", "Question", "Result",
           "run_with_time_limit", "solutions_shown"]
