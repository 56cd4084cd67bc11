"""Sub-commands of the ``journeys`` CLI: each module has ``register(subparsers)``.

A command parses its arguments and calls one library function; progress bars live here,
never in the library.
"""
