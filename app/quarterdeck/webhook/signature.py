"""GitHub's webhook signature (`X-Hub-Signature-256`), sans I/O.

HMAC-SHA256 of the raw request body keyed by the webhook secret, sent as
`sha256=<hex>`. The legacy SHA-1 header is never accepted on its own.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(secret: bytes, body: bytes) -> str:
    """The header value GitHub would send for `body`."""
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether `header` is the valid SHA-256 signature of `body`, in constant time."""
    if not secret:
        raise ValueError("a webhook secret is required; refusing to skip the signature check")
    if not header or not header.startswith(_PREFIX):
        return False
    expected = sign(secret, body)
    # Compare as bytes: compare_digest rejects non-ASCII str, and a header is attacker input.
    return hmac.compare_digest(expected.encode(), header.strip().encode("utf-8", "replace"))
