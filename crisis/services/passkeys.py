"""Passkeys (WebAuthn): register, sign in, verify a person again before a grave action.

The `webauthn` library makes the options and checks the browser's answers; this module keeps
the challenges (single use, two minutes), the credentials' public keys and sign counters, and
journals every change and use on the `system` chain with the method used.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from crisis.domain.errors import InvalidInput, NotFound
from crisis.services.accounts import journal_auth
from crisis.store.passkeys_repository import Passkey
from crisis.store.unit_of_work import UnitOfWork
from crisis.store.users_repository import User

PASSKEY = "passkey"
CHALLENGE_MINUTES = 2
MAX_NAME = 80
REGISTER, SIGN_IN, VERIFY = "register", "signin", "verify"


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """This console as WebAuthn sees it: its host name and its origin."""

    id: str
    name: str
    origin: str


@dataclass(frozen=True, slots=True)
class Ceremony:
    handle: str  # given back with the browser's answer
    options: str  # JSON for navigator.credentials


class PasskeyRefused(Exception):  # noqa: N818
    """The browser's answer does not verify: `reason` (journalled, or said in French)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _challenge(uow: UnitOfWork, purpose: str, user_id: str | None) -> tuple[str, bytes]:
    handle = secrets.token_urlsafe(32)
    challenge = secrets.token_bytes(32)
    uow.passkeys.add_challenge(
        handle=handle,
        challenge=bytes_to_base64url(challenge),
        purpose=purpose,
        user_id=user_id,
        expires_at=uow.now + timedelta(minutes=CHALLENGE_MINUTES),
        now=uow.now,
    )
    return handle, challenge


def registration_ceremony(uow: UnitOfWork, rp: RelyingParty, user: User) -> Ceremony:
    handle, challenge = _challenge(uow, REGISTER, user.id)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user.id.encode("utf-8"),
        user_name=user.name,
        user_display_name=user.name,
        challenge=challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
            for p in uow.passkeys.of_user(user.id)
        ],
    )
    return Ceremony(handle=handle, options=options_to_json(options))


def register(
    uow: UnitOfWork,
    rp: RelyingParty,
    user: User,
    *,
    handle: str,
    credential: str,
    name: str,
    new_id: str,
) -> Passkey:
    """Check the browser's new credential and keep its public key. The caller commits, a
    refusal (PasskeyRefused) too: the challenge is spent and the refusal journalled."""
    name = checked_name(name)
    pending = uow.passkeys.take_challenge(handle, now=uow.now)
    if pending is None or pending.purpose != REGISTER or pending.user_id != user.id:
        journal_auth(
            uow, "auth.PasskeyRefused", user.name, {"reason": "unknown_or_expired_challenge"}
        )
        raise PasskeyRefused("La demande a expiré : recommencez l'enregistrement.")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(pending.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        journal_auth(uow, "auth.PasskeyRefused", user.name, {"reason": "registration_not_verified"})
        raise PasskeyRefused(
            "La clé d'accès n'a pas pu être vérifiée : rien n'a été enregistré."
        ) from None
    passkey = Passkey(
        id=new_id,
        user_id=user.id,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        name=name,
        created_at=uow.now,
        last_used_at=None,
    )
    if uow.passkeys.by_credential(passkey.credential_id) is not None:
        raise PasskeyRefused("Cette clé d'accès est déjà enregistrée.")
    uow.passkeys.add(passkey)
    journal_auth(uow, "auth.PasskeyAdded", user.name, {"passkey": passkey.id, "name": name})
    return passkey


def authentication_ceremony(
    uow: UnitOfWork, rp: RelyingParty, *, purpose: str, user: User | None = None
) -> Ceremony:
    """Sign in (any passkey of this site: the browser offers them) or verify `user` again
    (only that user's passkeys)."""
    handle, challenge = _challenge(uow, purpose, user.id if user else None)
    allowed = (
        [
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
            for p in uow.passkeys.of_user(user.id)
        ]
        if user is not None
        else None
    )
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return Ceremony(handle=handle, options=options_to_json(options))


def authenticate(
    uow: UnitOfWork, rp: RelyingParty, *, handle: str, credential: str, purpose: str
) -> User:
    """The user whose passkey signed the challenge (with the person verified on the device).
    Raises PasskeyRefused; the caller journals the outcome and commits."""
    pending = uow.passkeys.take_challenge(handle, now=uow.now)
    if pending is None or pending.purpose != purpose:
        raise PasskeyRefused("unknown_or_expired_challenge")
    try:
        credential_id = str(json.loads(credential)["id"])
    except (ValueError, KeyError, TypeError):
        raise PasskeyRefused("unreadable_answer") from None
    passkey = uow.passkeys.by_credential(credential_id)
    if passkey is None:
        raise PasskeyRefused("unknown_passkey")
    if pending.user_id is not None and passkey.user_id != pending.user_id:
        raise PasskeyRefused("passkey_of_another_user")
    user = uow.users.by_id(passkey.user_id)
    if user is None or not user.active:
        raise PasskeyRefused("inactive_account")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(pending.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise PasskeyRefused("signature_not_verified") from None
    uow.passkeys.record_use(passkey.id, sign_count=verified.new_sign_count, now=uow.now)
    return user


def checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("name", f"Nommez la clé d'accès (1 à {MAX_NAME} caractères).")
    return name


def _own(uow: UnitOfWork, user: User, passkey_id: str) -> Passkey:
    found = [p for p in uow.passkeys.of_user(user.id) if p.id == passkey_id]
    if not found:
        raise NotFound("Cette clé d'accès n'existe pas, ou n'est pas la vôtre.")
    return found[0]


def rename(uow: UnitOfWork, user: User, passkey_id: str, name: str) -> None:
    passkey = _own(uow, user, passkey_id)
    name = checked_name(name)
    uow.passkeys.rename(passkey.id, name)
    journal_auth(
        uow,
        "auth.PasskeyRenamed",
        user.name,
        {"passkey": passkey.id, "from": passkey.name, "to": name},
    )


def revoke(uow: UnitOfWork, user: User, passkey_id: str) -> None:
    passkey = _own(uow, user, passkey_id)
    uow.passkeys.remove(passkey.id)
    journal_auth(
        uow, "auth.PasskeyRevoked", user.name, {"passkey": passkey.id, "name": passkey.name}
    )
