"""Changing the definitions safely: drafts, checks, review, publication at an effective time,
roll-back (workflow.py); the bundle diff shown to reviewers (diff.py); import and export of
files (commands.py). Which bundle is live is definitions/bundle.py's Bundles, from the store's
publications."""
