"""AES-256-GCM for stored cookie jars: the database alone never reveals a cookie.

A sealed blob is ``nonce (12 random bytes) || ciphertext+tag``. The site's domain is bound as
associated data, so a jar copied onto another site's row (by someone with write access to the
database) fails to decrypt instead of handing one site's cookies to another.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import DomainError
from ..secret_key import load_key
from ..settings import get_settings

NONCE_BYTES = 12
_AAD_PREFIX = b"mediafetcher/cookie_jar/v1\x00"


class CookieDecryptError(DomainError):
    """A stored jar does not open with the current key (MF_SECRET_KEY or the key file changed)."""

    code, status = "cookies_unreadable", 500


def current_key() -> bytes:
    """The configured 32-byte key (MF_SECRET_KEY, else the 0600 key file)."""
    return load_key(get_settings())


def _aad(domain: str) -> bytes:
    return _AAD_PREFIX + domain.encode()


def seal(key: bytes, domain: str, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` for ``domain``'s row with a fresh random nonce."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, _aad(domain))


def unseal(key: bytes, domain: str, blob: bytes) -> bytes:
    """Decrypt and authenticate; any tampering, wrong key or wrong domain raises CookieDecryptError."""
    if len(blob) < NONCE_BYTES + 16:
        raise CookieDecryptError(f"The stored cookies for {domain} are damaged. Sync them again.")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(domain))
    except InvalidTag:
        raise CookieDecryptError(
            f"The stored cookies for {domain} cannot be decrypted: the secret key changed. Sync them again."
        ) from None
