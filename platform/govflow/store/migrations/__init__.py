"""Alembic migrations of the store's schema: env.py, versions/ (one file per change), run by
govflow.store.schema.upgrade() when a store opens and by `govflow migrate`."""
