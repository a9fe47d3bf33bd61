"""Opening PostgreSQL connections the way the store needs them, and saying what went wrong."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors as pgerrors
from psycopg.conninfo import conninfo_to_dict

from pairbook.errors import StoreError

CONNECT_TIMEOUT = 5
"""Seconds to wait for PostgreSQL to accept a connection (libpq's connect_timeout)."""

SCHEMES = ("postgresql", "postgres")

_DURABLE_COMMITS = ("on", "remote_write", "remote_apply", "local")
"""synchronous_commit settings under which a COMMIT has returned only once it is on disk."""


def check_url(url: str) -> dict[str, Any]:
    """The connection parameters of a postgresql:// URL; StoreError for anything libpq refuses."""
    if url.partition("://")[0] not in SCHEMES:  # libpq reads the scheme in lower case only
        raise StoreError(
            f"store URL {redact(url)!r} is not a postgresql:// URL; write it as "
            "postgresql://user@host:5432/database"
        )
    try:
        return conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise StoreError(
            f"store URL {redact(url)!r} is not a PostgreSQL URL libpq reads "
            f"({scrub(str(exc), url)}); write it as postgresql://user@host:5432/database"
        ) from exc


def redact(url: str) -> str:
    """The URL without its password, fit for logs and error messages."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user, _, host = netloc.rpartition("@")
            netloc = f"{user.split(':', 1)[0]}:***@{host}"
        query = [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)]
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="=-")))
    except ValueError:
        return "postgresql://(unreadable URL)"


def scrub(text: str, url: str) -> str:
    """`text` (an error message that may quote the URL) without the URL's password."""
    text = " ".join(text.split())
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    secrets = [password, *(v for k, v in parse_qsl(urlsplit(url).query) if k == "password")]
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def connection_kwargs(url: str) -> dict[str, Any]:
    """What every connection of the store adds to the URL's own parameters."""
    given = check_url(url)
    kwargs: dict[str, Any] = {"autocommit": True}
    if "connect_timeout" not in given:
        kwargs["connect_timeout"] = CONNECT_TIMEOUT
    if "application_name" not in given:
        kwargs["application_name"] = "pairbook"
    return kwargs


async def connect(url: str) -> psycopg.AsyncConnection[Any]:
    """An autocommit connection (transactions are explicit) whose COMMIT is durable."""
    try:
        conn = await psycopg.AsyncConnection.connect(url, **connection_kwargs(url))
    except psycopg.Error as exc:
        raise describe_error(exc, url, "connect to store") from exc
    try:
        cursor = await conn.execute("SHOW synchronous_commit")
        row = await cursor.fetchone()
        if row is None or row[0] not in _DURABLE_COMMITS:
            # The Store contract: an append is durable when it returns, whatever the server's
            # default; a stronger setting (remote_apply...) is kept as it is.
            await conn.execute("SET synchronous_commit = on")
    except BaseException as exc:
        await conn.close()
        if isinstance(exc, psycopg.Error):
            raise describe_error(exc, url, "connect to store") from exc
        raise
    return conn


_NO_DATABASE = "the database does not exist; create it (createdb NAME) or name another in --store"
_REFUSED_USER = "PostgreSQL refused the user; check the user and password in --store"
_NO_SLOTS = "PostgreSQL has no connection to spare; raise max_connections or run fewer pairbooks"
_NOT_NOW = "PostgreSQL is starting or shutting down; retry in a moment"
_LOST = "pairbook connects again on the next write"

_ADVICE: tuple[tuple[type[psycopg.Error], str], ...] = (
    (pgerrors.InvalidCatalogName, _NO_DATABASE),
    (pgerrors.InvalidAuthorizationSpecification, _REFUSED_USER),
    (pgerrors.InsufficientPrivilege, "the user may not do this; grant it CREATE and USAGE on the "
     "schema and rights on pairbook's tables"),
    (pgerrors.InvalidSchemaName, "the schema in the URL's search_path does not exist; create it"),
    (pgerrors.DiskFull, "PostgreSQL's disk is full; free some space and retry"),
    (pgerrors.TooManyConnections, _NO_SLOTS),
    (pgerrors.AdminShutdown, "the server ended the session (restarted, or the session was "
     f"terminated); {_LOST}"),
    (pgerrors.CannotConnectNow, _NOT_NOW),
    (pgerrors.ReadOnlySqlTransaction, "the server is a read-only replica; point --store at the "
     "primary"),
    (pgerrors.ConnectionException, f"the connection to PostgreSQL was lost; {_LOST}"),
)  # fmt: skip

# Errors of a connection attempt carry no SQLSTATE: they are told apart by libpq's message.
_CONNECT_ADVICE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("database", "does not exist"), _NO_DATABASE),
    (("role", "does not exist"), "the user does not exist; create it (createuser NAME) or name "
     "another in --store"),
    (("password",), _REFUSED_USER),
    (("pg_hba.conf",), "PostgreSQL refuses this user from this host (pg_hba.conf); let it in or "
     "name another user in --store"),
    (("too many clients",), _NO_SLOTS),
    (("not currently accepting connections",), "the database does not accept connections now "
     f"(ALLOW_CONNECTIONS false); {_LOST}"),
    (("starting up",), _NOT_NOW),
    (("shutting down",), _NOT_NOW),
    ((), "PostgreSQL cannot be reached; is it running, and does --store name the right host "
     f"and port? {_LOST}"),
)  # fmt: skip


def describe_error(exc: BaseException, url: str, doing: str) -> StoreError:
    """A StoreError saying what failed on which database and what to do about it."""
    advice = next((text for kind, text in _ADVICE if isinstance(exc, kind)), None)
    if advice is None and isinstance(exc, psycopg.OperationalError):
        message = str(exc)
        advice = next(text for words, text in _CONNECT_ADVICE if all(w in message for w in words))
    if advice is None and isinstance(exc, psycopg.Error):
        advice = "check PostgreSQL's log, or pass --store with another database"
    if advice is None:
        advice = "this is a pairbook bug, please report it"
    detail = scrub(str(exc), url) or type(exc).__name__
    return StoreError(f"cannot {doing} {redact(url)}: {detail}; {advice}")
