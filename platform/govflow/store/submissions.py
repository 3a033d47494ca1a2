"""Exactly-once submission guard.

A double click or a retried request must not send an application to the card
back end twice. The first claim(app, key) inserts a row and wins; every later
claim with the same key loses, in every worker, because the primary key says
so. The winner submits and stores the reference on the application; a loser
shows that reference (or "processing"). If the back end refused or failed and
a retry is allowed, the winner calls release() so the next attempt can claim.
Keys are the caller's: "submit" for one submission per application, or
f"submit:{attempt}" to allow numbered retries.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .models import ClaimRow
from .records import as_utc


class SubmissionGuard:
    def __init__(self, store):
        self._store = store

    def claim(self, application_id: str, key: str, now=None) -> bool:
        """True for the first caller with (application_id, key), False for every other."""
        try:
            with self._store.savepoint() as db:
                db.add(ClaimRow(application_id=application_id, key=key,
                                claimed_at=as_utc(now or self._store.now())))
        except IntegrityError:
            return False
        return True

    def is_claimed(self, application_id: str, key: str) -> bool:
        with self._store.reading() as db:
            stmt = select(ClaimRow.key).where(ClaimRow.application_id == application_id,
                                              ClaimRow.key == key)
            return db.scalars(stmt).first() is not None

    def release(self, application_id: str, key: str) -> bool:
        """Give the claim back (the submission failed and may be retried)."""
        with self._store.session() as db:
            stmt = delete(ClaimRow).where(ClaimRow.application_id == application_id,
                                          ClaimRow.key == key)
            return db.execute(stmt).rowcount == 1
