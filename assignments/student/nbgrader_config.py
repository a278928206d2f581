"""nbgrader configuration for students (installed as ~/.jupyter/nbgrader_config.py in the course's
images, see the README): the Validate button runs every cell and fails when any cell fails, the
visible tests included, not only the (hidden) grade cells."""
c = get_config()  # noqa: F821 - provided by nbgrader

c.Validator.validate_all = True
