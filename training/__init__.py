"""Entry points of the offline pipeline, run from a checkout (``python -m training.<step>``):
export the store to a snapshot, train a model, evaluate models side by side. Each is the
``graphrec`` command of the same name; the code lives in :mod:`graphrec.training`."""
