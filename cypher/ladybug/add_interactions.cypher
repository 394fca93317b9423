// $new: (from, to, kind, weight, rating, ts, split), already anti-joined on (user, item, kind, ts).
COPY INTERACTED FROM $new;
