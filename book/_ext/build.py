"""``jupyter-book build ARGS...`` with Sphinx reading the pages, and so executing the chapters, in
parallel processes: Jupyter Book 1's command has no ``-j``. ``BOOK_JOBS`` sets how many (default:
every core). `make book`, the tests' build and the build benchmark run it."""
import functools
import os
import sys

import jupyter_book.sphinx
from jupyter_book.cli.main import main

if __name__ == "__main__":
    jobs = int(os.environ.get("BOOK_JOBS") or os.cpu_count() or 1)
    jupyter_book.sphinx.build_sphinx = functools.partial(jupyter_book.sphinx.build_sphinx, jobs=jobs)
    main(sys.argv[1:], prog_name="jupyter-book")
