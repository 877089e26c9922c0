"""ADAPTER: the ``spinelift`` command line.

:mod:`spinelift.cli.main` parses and dispatches; each subcommand lives in its own
module with a ``register(subparsers)`` function; errors become ``error: CODE:
message`` on stderr and the exit codes of :mod:`spinelift.cli.exit_codes`.
"""
