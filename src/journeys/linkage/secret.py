"""The linkage secret: read from an environment variable or a file, never defaulted.

Per-purpose keys are derived from the one secret with HKDF (RFC 5869, HMAC-SHA256), so every
field's Bloom filter and the pseudonyms of record ids use independent keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from journeys import schema as s
from journeys.exceptions import PrivacyError
from journeys.linkage import _kernels as _k
from journeys.linkage.bits import to_binary_coded
from journeys.linkage.normalise import _string_views

__all__ = [
    "SECRET_ENV",
    "Secret",
    "derive_key",
    "load_secret",
    "pseudonymise_events",
    "pseudonymise_refs",
]

#: Environment variable that holds the linkage secret (at least 16 bytes).
SECRET_ENV: Final = "JOURNEYS_LINKAGE_SECRET"  # noqa: S105 - a variable name, not a secret
_MIN_BYTES: Final = 16
_PSEUDONYM: Final = "__pseudonym"
_SEP: Final = "\x1f"


class Secret:
    """The shared secret. Its ``repr`` and ``str`` never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        if len(value) < _MIN_BYTES:
            raise PrivacyError(
                f"The linkage secret is {len(value)} byte(s) long; it must be at least "
                f'{_MIN_BYTES} bytes. Generate one with: python -c "import secrets; '
                f'print(secrets.token_hex(32))"'
            )
        self._value = value

    def __repr__(self) -> str:
        return "Secret(<hidden>)"

    __str__ = __repr__

    @property
    def value(self) -> bytes:
        """The raw bytes (only key derivation should use this)."""
        return self._value


def load_secret(*, env: str = SECRET_ENV, file: str | Path | None = None) -> Secret:
    """Read the secret from ``file`` if given, otherwise from the environment variable ``env``.

    Raises :class:`PrivacyError` when neither holds a secret: there is no default.

    Examples
    --------
    >>> import os
    >>> os.environ["DOCTEST_SECRET"] = "correct horse battery staple"
    >>> load_secret(env="DOCTEST_SECRET")
    Secret(<hidden>)
    """
    if file is not None:
        path = Path(file)
        try:
            raw = path.read_bytes().strip()
        except OSError as error:
            raise PrivacyError(
                f"The secret file '{path}' cannot be read ({error.strerror}); give a readable "
                f"file holding the shared linkage secret"
            ) from None
        if not raw:
            raise PrivacyError(f"The secret file '{path}' is empty; put the shared secret in it")
        return Secret(raw)
    value = os.environ.get(env, "").strip()
    if not value:
        raise PrivacyError(
            f"No linkage secret: the environment variable {env} is not set and no secret file "
            f"was given. Set {env} (or pass a secret file) to the secret shared by the "
            f"linking agencies; journeys never uses a default secret."
        )
    return Secret(value.encode("utf-8"))


def derive_key(secret: Secret, purpose: str, *, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869) of the secret for one ``purpose`` (e.g. ``"bf/given_name"``).

    Examples
    --------
    >>> k = derive_key(Secret(b"0123456789abcdef"), "bf/given_name")
    >>> len(k), k != derive_key(Secret(b"0123456789abcdef"), "bf/family_name")
    (32, True)
    """
    salt = b"journeys-pprl-v1"
    prk = hmac.new(salt, secret.value, hashlib.sha256).digest()
    out = b""
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.new(
            prk, block + purpose.encode("utf-8") + bytes([counter]), hashlib.sha256
        ).digest()
        out += block
        counter += 1
    return out[:length]


def pseudonymise_refs(
    agencies: pl.Series, refs: pl.Series, *, secret: Secret, purpose: str = "person_ref"
) -> pl.Series:
    """Keyed pseudonyms (32 hex characters) of ``(agency, person_ref)`` pairs.

    Two SipHash-2-4 values (Aumasson & Bernstein 2012) of ``agency + "\\x1f" + person_ref``
    under keys derived from the secret, as 32 hex digits: one compiled pass over the Arrow
    bytes of both columns. Null in, null out.

    Examples
    --------
    >>> p = pseudonymise_refs(pl.Series(["gp"]), pl.Series(["123"]),
    ...                       secret=Secret(b"0123456789abcdef"))
    >>> len(p[0]), p[0] == pseudonymise_refs(pl.Series(["ae"]), pl.Series(["123"]),
    ...                                      secret=Secret(b"0123456789abcdef"))[0]
    (32, False)
    """
    key = derive_key(secret, purpose, length=32)
    a_views, a_data, a_base, a_valid = _string_views(agencies.cast(pl.String))
    b_views, b_data, b_base, b_valid = _string_views(refs.cast(pl.String))
    valid = a_valid & b_valid
    keys = np.frombuffer(key, dtype="<u8").astype(np.uint64)
    chars = _k.pseudonym_hex(
        a_views, a_data, a_base, b_views, b_data, b_base, valid, ord(_SEP), keys
    )
    return _string_column(s.PERSON_REF, np.asarray(chars), valid)


def _string_column(
    name: str, chars: npt.NDArray[np.uint8], valid: npt.NDArray[np.bool_]
) -> pl.Series:
    """A String series whose row ``r`` is the ASCII ``chars[r]`` (null where not ``valid``):
    :func:`~journeys.linkage.bits.to_binary_coded` over ``chars``' own memory, read as text.
    Rows are 32 hex digits, so they are whole 64-bit words."""
    words = np.ascontiguousarray(chars).view(np.uint64)
    codes = np.where(valid, np.arange(len(chars), dtype=np.int64), -1)
    return to_binary_coded(name, words, codes).cast(pl.String)


def pseudonymise_events(events: pl.DataFrame | pl.LazyFrame, *, secret: Secret) -> pl.LazyFrame:
    """Replace ``person_ref`` in an events table by the pseudonym ``encode`` gives it.

    The result joins the crosswalk on (agency, person_ref).

    Examples
    --------
    >>> ev = pl.DataFrame({"agency": ["ae"], "person_ref": ["123"], "event_id": ["e1"]})
    >>> out = pseudonymise_events(ev, secret=Secret(b"0123456789abcdef")).collect()
    >>> len(out["person_ref"][0])
    32
    """
    frame = events.collect() if isinstance(events, pl.LazyFrame) else events
    # a person has about five events: hash each (agency, person_ref) once, then join back
    keys = frame.select(s.AGENCY, s.PERSON_REF).unique()
    keys = keys.with_columns(
        pseudonymise_refs(keys[s.AGENCY], keys[s.PERSON_REF], secret=secret).alias(_PSEUDONYM)
    )
    joined = frame.join(
        keys, on=[s.AGENCY, s.PERSON_REF], how="left", maintain_order="left", nulls_equal=True
    )
    return joined.with_columns(pl.col(_PSEUDONYM).alias(s.PERSON_REF)).drop(_PSEUDONYM).lazy()
