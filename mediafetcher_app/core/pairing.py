"""Pairing a browser extension: a signed-in user approves it, the extension then claims a token.

The flow, designed so that no secret is ever copied by hand or shown in a URL:

1. The extension makes a random secret ``code`` and opens ``/pair?challenge=SHA256(code)&name=...``.
2. The signed-in user sees the browser's name and a short confirmation code (derived from the
   challenge, also shown in the extension) and answers; ``answer`` stores a ``pairing_request``
   row (approved or denied) that expires after ``PAIRING_TTL``.
3. The extension polls ``claim(code)``: once approved, the API token is minted right there and
   returned once; the row becomes ``claimed`` so a second claim gets nothing.

Why a table and not Redis with a TTL: the claim must mint the token and consume the request
atomically (two racing claims must not both get a token), which one PostgreSQL transaction with
a row lock gives for free; and Redis is the queue and Reflex's state store, which docs/ARCHITECTURE.md
treats as losable. Expired rows are purged whenever a new answer is stored.

Knowing the challenge (it is in the pairing URL, the browser history) grants nothing: the claim
needs the code. Knowing the code before approval grants nothing either: there is no row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session as DBSession
from sqlmodel import col, select

from . import auth, events
from .errors import Conflict, DomainError, Forbidden, InvalidInput
from .models import ApiToken, PairingRequest, PairingStatus, User, utcnow

PAIRING_TTL = timedelta(minutes=10)
DEFAULT_NAME = "Browser extension"
_CHALLENGE_RE = re.compile(r"[0-9a-f]{64}")
_CODE_RE = re.compile(r"[A-Za-z0-9_-]{32,128}")


class PairingExpired(DomainError):
    """The request expired or its token was already handed out: the extension must start again."""

    code, status = "pairing_expired", 410


@dataclass(frozen=True)
class Claimed:
    """What the extension receives once: the token and who it acts for."""

    token: str
    username: str
    role: str
    scopes: list[str]


def validate_challenge(raw: object) -> str:
    challenge = raw.strip().lower() if isinstance(raw, str) else ""
    if not _CHALLENGE_RE.fullmatch(challenge):
        raise InvalidInput("This pairing link is incomplete. Start pairing again from the extension.")
    return challenge


def clean_name(raw: object) -> str:
    """The browser's self-chosen name, as printable text for the page and the token label."""
    name = " ".join(raw.split()) if isinstance(raw, str) else ""
    name = "".join(ch for ch in name if ch.isprintable())[:64]
    return name or DEFAULT_NAME


def confirmation_code(challenge: str) -> str:
    """Eight characters both the page and the extension show, so the user can tell it is theirs."""
    return f"{challenge[:4]}-{challenge[4:8]}".upper()


# What a paired browser may do, whatever the role: downloads, media, and syncing its user's own
# cookies (docs/ARCHITECTURE.md §6: each jar belongs to the user who synced it).
PAIRED_SCOPES = (*auth.Scope.DEFAULT, auth.Scope.COOKIES_WRITE)


def answer(db: DBSession, principal: auth.Principal, challenge: str, name: str, approve: bool) -> PairingRequest:
    """Store the signed-in user's answer. Only a browser session may approve, never a token."""
    if principal.via_token:
        raise Forbidden("Pairing is approved in the web interface, not with an API token.")
    challenge = validate_challenge(challenge)
    now = utcnow()
    db.exec(delete(PairingRequest).where(col(PairingRequest.expires_at) < now))  # type: ignore[call-overload]
    if db.exec(select(PairingRequest.id).where(PairingRequest.challenge == challenge)).first() is not None:
        raise Conflict("This pairing request was already answered. Start pairing again from the extension.")
    request = PairingRequest(
        challenge=challenge,
        name=clean_name(name),
        user_id=principal.user_id,
        status=PairingStatus.approved if approve else PairingStatus.denied,
        expires_at=now + PAIRING_TTL,
    )
    db.add(request)
    db.flush()
    return request


def claim(db: DBSession, code: object) -> Claimed | None:
    """Trade the secret code for a token once the user approved; None while nobody answered.

    The row is locked, so two claims racing on one approval mint one token between them.
    """
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        raise InvalidInput("The pairing code is malformed.", code="invalid_code")
    request = db.exec(
        select(PairingRequest).where(PairingRequest.challenge == auth.digest(code)).with_for_update()
    ).first()
    if request is None:
        return None
    if request.status == PairingStatus.denied:
        raise Forbidden("Pairing was refused in the web interface.", code="pairing_denied")
    if request.status == PairingStatus.claimed or request.expires_at <= utcnow():
        raise PairingExpired("This pairing request expired or was already used. Pair again.")
    user = db.get(User, request.user_id)
    if user is None or user.disabled:
        raise Forbidden("The account that approved this pairing is disabled.", code="pairing_denied")
    token = auth.create_token(db, user, f"Browser: {request.name}", PAIRED_SCOPES)
    request.status = PairingStatus.claimed
    db.add(request)
    events.record(db, "paired", f"{user.username} paired {request.name}", user_id=user.id)
    return Claimed(token=token, username=user.username, role=user.role.value, scopes=sorted(PAIRED_SCOPES))


def unpair(db: DBSession, token: str) -> None:
    """The extension forgets its token: revoke it so a copy left anywhere stops working."""
    api_token = db.exec(select(ApiToken).where(ApiToken.token_hash == auth.digest(token))).first()
    if api_token is not None and api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
        db.add(api_token)
