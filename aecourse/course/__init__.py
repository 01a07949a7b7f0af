"""The course's notebooks: their anatomy (:mod:`.anatomy`), the conventions check (:mod:`.lint`), slide
types (:mod:`.slides`) and the text sources they are paired with (:mod:`.sources`).

From the course folder::

    python -m aecourse.course lint notebooks/
    python -m aecourse.course points notebooks/ [--update README.md docs/INSTRUCTORS.md]
    python -m aecourse.course slides notebooks/ [--write]

Grading with nbgrader (which reads the anatomy) is :mod:`aecourse.grading`; the learner's workspace, made
of nbgrader's self-study releases, is :mod:`aecourse.workspace`.
"""
