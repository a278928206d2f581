"""Autograding for the homework: behaviour checks against the reference (``checks``) and the
instructor's command ``lectures-lib grade COURSE_DIR`` (``cli``)."""
