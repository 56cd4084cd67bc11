"""The error family of journeys.

Every error the library raises on purpose derives from :class:`JourneysError`, and also
from the builtin exception that matches it, so ``except ValueError`` still works.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "DependencyError",
    "JourneysError",
    "JourneysWarning",
    "LinkageError",
    "MappingError",
    "MiningError",
    "NotFittedError",
    "PrivacyError",
    "SchemaError",
    "SourceError",
]


class JourneysError(Exception):
    """Root of every error raised by journeys."""


class JourneysWarning(UserWarning):
    """Root of every warning emitted by journeys."""


class SchemaError(JourneysError, ValueError):
    """A table does not have the canonical columns, types or values.

    ``problems`` lists every problem found, not only the first.
    """

    def __init__(self, table: str, problems: list[str]) -> None:
        self.table = table
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"The {table} table has {len(self.problems)} problem(s):\n{lines}")


class ConfigError(JourneysError, ValueError):
    """A settings or project file is invalid; ``problems`` lists every problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source} has {len(self.problems)} problem(s):\n{lines}")


class MappingError(ConfigError):
    """An adapter mapping file is invalid (bad key, unknown column, bad format string)."""


class SourceError(JourneysError, OSError):
    """A data source cannot be read: missing file, unreadable encoding, refused connection."""


class DataError(JourneysError, ValueError):
    """Input data breaks an assumption that cannot be repaired by quarantining rows."""


class PrivacyError(JourneysError, PermissionError):
    """An operation would disclose identifiers or was attempted without a secret."""


class LinkageError(JourneysError, ValueError):
    """Record linkage cannot proceed with the given encodings or settings."""


class NotFittedError(JourneysError, AttributeError):
    """A stateful object (an encoder, a linkage model) was used before ``fit``."""


class MiningError(JourneysError, RuntimeError):
    """Process discovery or conformance failed; wraps the engine's own exception."""


class DependencyError(JourneysError, ImportError):
    """An optional dependency is missing; the message says what to install."""
