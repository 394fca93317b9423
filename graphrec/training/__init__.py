"""Training: a model fitted on a snapshot's split, evaluated, saved as a versioned artifact and
written back to the store (:mod:`.train`); several models compared on one split (:mod:`.compare`).
The models themselves live in :mod:`graphrec.models`."""
