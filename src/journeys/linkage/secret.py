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
import polars as pl

from journeys import schema as s
from journeys.exceptions import PrivacyError
from journeys.linkage._siphash import siphash24_strings

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

    Two SipHash-2-4 values (Aumasson & Bernstein 2012) under keys derived from the secret,
    vectorised over all records. Null in, null out.

    Examples
    --------
    >>> p = pseudonymise_refs(pl.Series(["gp"]), pl.Series(["123"]),
    ...                       secret=Secret(b"0123456789abcdef"))
    >>> len(p[0]), p[0] == pseudonymise_refs(pl.Series(["ae"]), pl.Series(["123"]),
    ...                                      secret=Secret(b"0123456789abcdef"))[0]
    (32, False)
    """
    key = derive_key(secret, purpose, length=32)
    messages = pl.select(
        pl.concat_str(
            [pl.lit(agencies.cast(pl.String)), pl.lit(refs.cast(pl.String))], separator="\x1f"
        )
    ).to_series()
    high = siphash24_strings(messages, key[:16])
    low = siphash24_strings(messages, key[16:])
    words = np.stack([high, low], axis=1).astype(">u8").view(np.uint8)
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    chars = np.empty((len(messages), 32), dtype=np.uint8)
    chars[:, 0::2] = digits[words >> 4]
    chars[:, 1::2] = digits[words & 15]
    text = pl.Series(s.PERSON_REF, chars.view("S32").ravel()).cast(pl.String)
    return pl.select(pl.when(messages.is_not_null()).then(text))[s.PERSON_REF].rename(s.PERSON_REF)


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
