"""Users, roles and bearer tokens.

A token is 32 random bytes (URL-safe text, prefixed ``ctg_``); only its SHA-256 hash is kept.
A fast hash is enough for a random secret of that size: there is nothing to guess.
Roles are ordered: ``viewer`` reads, ``planner`` also writes operations, events and jobs,
``admin`` also manages users.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from contingent.errors import InputError
from contingent.service.models import Token, User, utcnow

ROLES = ("viewer", "planner", "admin")
_RANK = {r: i for i, r in enumerate(ROLES)}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the user behind a valid token."""

    id: int
    name: str
    role: str

    def can(self, role: str) -> bool:
        """Whether the caller's role is at least ``role``."""
        return _RANK[self.role] >= _RANK[role]


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token."""
    return "ctg_" + secrets.token_urlsafe(32)


def check_name(name: str) -> str:
    """A valid user name, or a located error."""
    if not _NAME.match(name):
        raise InputError("a user name is 1-64 letters, digits, '_', '.', '@' or '-', "
                         "starting with a letter or digit", field="name")
    return name


def find_user(session: Session, name: str) -> User | None:
    """The user with this name, or None."""
    return session.scalar(select(User).where(User.name == name))


def add_user(session: Session, name: str, role: str) -> tuple[User, str]:
    """Create a user with a first token; returns the user and the token (shown once)."""
    check_name(name)
    if role not in ROLES:
        raise InputError(f"unknown role {role!r} (one of {', '.join(ROLES)})", field="role")
    if find_user(session, name) is not None:
        raise InputError(f"user {name!r} exists already", field="name")
    user = User(name=name, role=role, created_at=utcnow())
    session.add(user)
    session.flush()
    return user, issue_token(session, user)


def issue_token(session: Session, user: User) -> str:
    """A new token for a user; only its hash is stored."""
    token = new_token()
    session.add(Token(user_id=user.id, token_hash=hash_token(token), prefix=token[:10],
                      created_at=utcnow()))
    session.flush()
    return token


def revoke_tokens(session: Session, user: User) -> int:
    """Revoke every token of a user; returns how many were live."""
    n = 0
    for t in session.scalars(select(Token).where(Token.user_id == user.id,
                                                 Token.revoked_at.is_(None))):
        t.revoked_at = utcnow()
        n += 1
    session.flush()
    return n


def caller_for(session: Session, token: str) -> Caller | None:
    """The user a token belongs to, if the token is known and not revoked."""
    row = session.execute(
        select(User.id, User.name, User.role)
        .join(Token, Token.user_id == User.id)
        .where(Token.token_hash == hash_token(token), Token.revoked_at.is_(None))
    ).first()
    return None if row is None else Caller(row.id, row.name, row.role)


__all__ = ["ROLES", "Caller", "add_user", "caller_for", "check_name", "hash_token",
           "issue_token", "new_token", "revoke_tokens"]
