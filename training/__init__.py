"""Entry points of the offline pipeline: export (here), train and evaluate (issue 3)."""
