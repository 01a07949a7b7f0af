"""nbgrader configuration of the course's instructor directory.

Each notebook in ../notebooks/ is one assignment with the notebook's name;
`make student` copies them into source/ and releases them with nbgrader, and
`make grade SUBMISSIONS=dir` autogrades. Everything nbgrader writes here
(source/, release/, submitted/, autograded/, feedback/, gradebook.db) is
generated and ignored by git. See the instructor guide in ../README.md.
"""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "aecourse"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")

# Autograding runs every notebook top to bottom; training cells need more than the default 30 s.
c.Execute.timeout = 600
c.Validator.validate_all = True
