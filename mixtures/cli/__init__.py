"""The ``mixtures`` command line: ``mixtures fit``, ``select``, ``predict`` and ``demo``.

Installed as the ``mixtures`` script and runnable as ``python -m mixtures``; see ``docs/cli.md``.
``main(argv)`` runs it from Python and returns the exit status.
"""

from mixtures.cli.main import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main"]
