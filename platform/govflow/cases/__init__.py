"""The back office's cases: search, the case document, exports."""
