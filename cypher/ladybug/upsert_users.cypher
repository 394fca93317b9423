// $new: users not yet in the store (the Python side anti-joins first; COPY of a known key aborts).
COPY User FROM $new;
