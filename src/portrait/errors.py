"""One error tree for the whole package.

Every error says what went wrong, where, and how to fix it. Each class declares the
exit code the CLI returns for it; the API maps the same classes to HTTP statuses at
its edge, so the core never needs to know about either shell.
"""

from __future__ import annotations

from typing import ClassVar


class PortraitError(Exception):
    """Base of every error Portrait raises on purpose."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(PortraitError):
    """The command was called wrongly: a bad option, an unknown name, a missing file."""

    exit_code = 2


class ConfigError(UsageError):
    """The workspace configuration or a key is missing or invalid."""


class DefinitionError(UsageError):
    """A declarative definition (mapping file, tag, spec) is invalid."""


class NotFoundError(UsageError):
    """A named thing (workspace, table, customer) does not exist."""


class DataRejectedError(PortraitError):
    """Input data was rejected; details are in the workspace's quarantine folder."""

    exit_code = 3


class SourceFormatError(DataRejectedError):
    """A whole source file is unreadable: wrong delimiter, missing column, bad encoding."""


class AccessDeniedError(PortraitError):
    """The caller is not allowed to do this."""

    exit_code = 4


class AuthenticationError(AccessDeniedError):
    """The caller could not be identified: no, wrong, expired or revoked credentials."""
