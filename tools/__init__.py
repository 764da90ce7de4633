"""Developer tools run with ``python -m tools.<name>`` (see the Makefile); not part of the SDK."""
