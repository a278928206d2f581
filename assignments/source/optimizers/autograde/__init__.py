"""The optimizers homework's hidden grading material: one registry entry per part (its reference,
behaviours, state and rules) and the problems it is checked on (``scenarios.py``).

This folder is the instructor's: ``nbgrader_config.py`` keeps it out of ``release/`` (and out
of every autograded copy), and the student's install of ``lectures_lib`` does not contain it.
Only ``scenarios.py`` is mounted into the sandbox (the student's step needs the objectives);
the rules, like the reference implementation, stay outside.
"""
# The course library's code that would answer the homework: hidden inside the sandbox.
REFERENCE = ("lectures_lib.optim", "lectures_lib.examples")

from . import nesterov, quickprop, rprop  # noqa: E402 - they use REFERENCE

PARTS = {m.PART.name: m.PART for m in (rprop, quickprop, nesterov)}
