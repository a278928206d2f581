"""nbgrader configuration for the course's homework (this folder is the course directory)."""
import os

from autograder.nbgrader_plugin import configure

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "nn-optimization"

# What a student sees where a solution was: the exact interface stays, the body raises.
c.ClearSolutions.code_stub = {"python": 'raise NotImplementedError("write this part")'}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A student's notebook gets this long per cell when it is autograded.
c.ExecutePreprocessor.timeout = 300

# Autograde in the sandbox (also from the formgrader's button and `nbgrader autograde`), and keep
# each assignment's hidden material (source/<assignment>/autograde/) out of release/.
configure(c)
