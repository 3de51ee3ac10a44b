"""Typed errors: each names the input that was wrong and why."""

from __future__ import annotations


class NextbarError(Exception):
    """Base class for every error nextbar raises on purpose."""


class InputError(NextbarError):
    """Bad input from a user: unknown symbol, unreadable file, inverted range."""


class UnknownSymbolError(InputError):
    """A symbol that is not configured."""


class CsvFormatError(InputError):
    """A CSV file whose format is unknown, empty or undecodable."""


class InsufficientDataError(InputError):
    """Too few bars for what was asked (window plus test size, for example)."""


class SourceError(NextbarError):
    """A data source failed. Not retried unless it is a TransientSourceError."""


class TransientSourceError(SourceError):
    """Network trouble, HTTP errors and rate limits: worth retrying with backoff."""


class RateLimitError(TransientSourceError):
    """The source said we are calling it too often."""


class AuthError(SourceError):
    """A missing or rejected credential (the token itself is never included)."""


class PermissionDeniedError(SourceError):
    """The credential is valid but lacks permission for this API."""


class NoDataError(SourceError):
    """The source returned nothing for a range that should have bars."""


class WarehouseBusyError(NextbarError):
    """Another process held the warehouse longer than the lock wait."""


class OverwriteRefusedError(InputError):
    """An ingest that would rewrite much of a stored series, or disagrees with it."""


def error_text(exc: BaseException) -> str:
    """An error as one message: nextbar's own as they are, others with their type."""
    return str(exc) if isinstance(exc, NextbarError) else f"{type(exc).__name__}: {exc}"
