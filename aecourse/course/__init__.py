"""The course's notebooks: their anatomy (:mod:`.anatomy`), the conventions check (:mod:`.lint`), slide
types (:mod:`.slides`), the text sources they are paired with (:mod:`.sources`) and the learner's
workspace (:mod:`.workspace`).

From the course folder::

    python -m aecourse.course lint notebooks/
    python -m aecourse.course points notebooks/ [--update README.md docs/INSTRUCTORS.md]
    python -m aecourse.course slides notebooks/ [--write]
    python -m aecourse.course workspace [--reset 03]     # the learner's workspace that make lab opens

Grading with nbgrader is :mod:`aecourse.grading`.
"""
