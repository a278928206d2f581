"""A sandboxed autograder for nbgrader courses.

``autograde COURSE_DIR`` grades every submission of a course inside bubblewrap sandboxes and
writes nbgrader's own results (autograded notebooks, the gradebook, feedback): see ``cli``.
A grade cell either calls ``check(part, behaviour, Class)`` (a behaviour of a homework part,
judged step by step against a reference outside the sandbox; the part is declared in the
assignment's ``autograde/`` folder, see ``parts``) or is a plain nbgrader test (it passes when
it raises nothing).
"""
from .judge import check
from .parts import Part, Public

__version__ = "0.2.0"
__all__ = ["Part", "Public", "check"]
