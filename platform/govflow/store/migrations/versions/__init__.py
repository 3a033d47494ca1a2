"""One file per schema change, oldest first: 0001_baseline is the schema of govflow 0.1."""
