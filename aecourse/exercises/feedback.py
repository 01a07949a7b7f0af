"""The feedback widgets under every exercise and graded question: what passed, what failed and why, hints, the solution.

"Check again" checks the learner's *latest* answer: it reads the answer's name in
the notebook (the function as the answer cell last defined it) and checks that,
then binds the name to what the rest of the notebook should use, just as the
check cell does. If the name still holds the fallback the check cell handed out
(the answer cell was not run again), it re-checks the learner's last answer and
says to run the answer cell after editing it. "Show solution" appears in
self-study after a failed attempt, never in a graded release.
"""
import html

import ipywidgets as widgets

from .outcome import CORRECT, INCORRECT, NOT_ATTEMPTED, Fallback, solutions_shown

_COLOURS = {CORRECT: "#1a7f37", INCORRECT: "#cf222e", NOT_ATTEMPTED: "#6e7781"}


def _notebook_namespace():
    """The notebook's variables, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(shell, "user_ns", None)


class CheckFeedback(widgets.VBox):
    """Feedback on one exercise: status, what passed and failed, hints and (in self-study) the solution.

    Where widgets cannot be shown (a static page, a terminal), the same feedback
    appears as text.
    """

    def __init__(self, exercise, answer, result):
        self.exercise, self.answer, self.result = exercise, answer, result
        self.name = getattr(answer, "__name__", None) or exercise.function_name
        if not self.name.isidentifier():  # a lambda: re-read the name the exercise asks for
            self.name = exercise.function_name
        self.note = ""
        self.status = widgets.HTML()
        self.check_button = widgets.Button(description="Check again", icon="check")
        self.hint_button = widgets.Button(description="Hint", icon="lightbulb-o")
        self.solution_button = widgets.Button(description="Show solution", icon="eye")
        self.hints, self.solution = widgets.HTML(), widgets.HTML()
        self.check_button.on_click(self._check_again)
        self.hint_button.on_click(self._show_hint)
        self.solution_button.on_click(self._show_solution)
        self._render()
        super().__init__([self.status, widgets.HBox([self.check_button, self.hint_button, self.solution_button]),
                          self.hints, self.solution])

    def _check_again(self, _button=None):
        namespace = _notebook_namespace()
        current = namespace.get(self.name, self.answer) if namespace is not None else self.answer
        self.note = ""
        if isinstance(current, Fallback):
            current = current.answer
            self.note = (f"Checked your last answer again. After editing the answer cell, run it "
                         f"(Shift+Enter) so that <code>{html.escape(self.name)}</code> is your new version, "
                         "then press Check again.")
        self.answer, self.result = current, self.exercise.evaluate(current)
        if namespace is not None:
            namespace[self.name] = self.exercise.use(current, self.result)
        self._render()

    def _show_hint(self, _button=None):
        self.hints.value += f"<p>{html.escape(self.exercise.hint())}</p>"

    def _show_solution(self, _button=None):
        self.solution.value = (f"<p>A worked solution (the notebook keeps using yours once it passes):</p>"
                               f"<pre>{html.escape(self.exercise.solution())}</pre>")

    def _summary(self):
        status = self.result.status
        if status == CORRECT:
            return "Correct! The rest of the notebook uses your implementation."
        if status == NOT_ATTEMPTED:
            return "Not solved yet: the rest of the notebook uses the reference implementation."
        return "Not quite: the rest of the notebook uses the reference implementation until this passes."

    def _render(self):
        r = self.result
        items = [f"<li>✔ {html.escape(d)}</li>" for d in r.passed]
        items += [f"<li>✘ {html.escape(d)}: {html.escape(why)}</li>" for d, why in r.failed]
        note = f"<p><i>{self.note}</i></p>" if self.note else ""
        self.status.value = (f"<div style='border-left:4px solid {_COLOURS[r.status]};padding-left:8px'>"
                             f"<b style='color:{_COLOURS[r.status]}'>{html.escape(r.exercise)}: {r.status}</b>"
                             f"<br>{self._summary()}<ul>{''.join(items)}</ul>{note}</div>")
        self.solution_button.layout.display = "" if (r.status == INCORRECT and solutions_shown()) else "none"
        if r.status == CORRECT:
            self.solution.value = ""

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"{self.result}\n{self._summary()}"
        bundle["text/html"] = self.status.value
        return bundle


class QuestionFeedback(widgets.VBox):
    """Feedback on a graded question: right or not, why a wrong choice is wrong, then the explanation.

    The explanation appears once the answer is right; in self-study (``reveal``) a wrong answer also
    offers it behind a button, so a learner who is stuck can read it after trying.
    """

    def __init__(self, question, given, result, truth=None, reveal=True):
        self.question, self.given, self.result = question, given, result
        colour = _COLOURS[result.status]
        if result.status == CORRECT:
            body = f"Correct! {html.escape(question.explanation)}"
        elif result.status == NOT_ATTEMPTED:
            body = f"Not answered yet: set the answer in the cell above to {html.escape(question.form())}, run it, " \
                   "then run this cell again."
        else:
            body = (f"{html.escape(result.failed[0][1])}. Change the answer in the cell above, run it, then run "
                    "this cell again.")
        self.status = widgets.HTML(f"<div style='border-left:4px solid {colour};padding-left:8px'>"
                                   f"<b style='color:{colour}'>{html.escape(question.title)}: {result.status}</b>"
                                   f"<br>{body}</div>")
        self.explanation = widgets.HTML()
        self.reveal_button = widgets.Button(description="Show the answer", icon="eye")
        self.reveal_button.on_click(lambda _button: setattr(self.explanation, "value",
                                                            f"<p>{html.escape(question.reveal(truth))}</p>"))
        self.reveal_button.layout.display = "" if (result.status == INCORRECT and reveal) else "none"
        self.text = f"{question.title}: {result.status}\n" + html.unescape(body)
        super().__init__([self.status, self.reveal_button, self.explanation])

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.text
        bundle["text/html"] = self.status.value
        return bundle
