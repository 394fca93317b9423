"""MovieLens 100k: ``u.data`` ratings as explicit feedback, ``u.item`` movies with genres.

Ratings are interactions of kind ``rating`` with the 1-5 value in ``rating`` and as ``weight``.
Genres become categories under a root "Movies"; a movie's release date becomes ``created_at``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from graphrec.data._build import InteractionsBuilder, ItemsBuilder, Parsed, assemble
from graphrec.data._read import Problems, read_lines, require_file

KIND = "rating"
ROOT = "Movies"


def _folder(path: Path) -> Path:
    return path / "ml-100k" if (path / "ml-100k").is_dir() else path


def _release(text: str) -> int | None:
    if not text:
        return None
    return int(datetime.strptime(text, "%d-%b-%Y").replace(tzinfo=UTC).timestamp())


def read(path: Path, kind_weights: dict[str, float]) -> Parsed:
    folder = _folder(path)
    problems = Problems()
    genre_file = require_file(folder / "u.genre", "movielens u.genre")
    item_file = require_file(folder / "u.item", "movielens u.item")
    data_file = require_file(folder / "u.data", "movielens u.data")

    genres: dict[int, str] = {}
    for number, line in read_lines(genre_file, problems, "latin-1"):
        name, _, index = line.rpartition("|")
        if not index.isdigit():
            problems.add(genre_file, number, None, "expected 'name|index'")
            continue
        genres[int(index)] = name

    items = ItemsBuilder(problems)
    for number, line in read_lines(item_file, problems, "latin-1"):
        fields = line.split("|")
        if len(fields) != 5 + len(genres):
            problems.add(
                item_file, number, None, f"has {len(fields)} fields, expected {5 + len(genres)}"
            )
            continue
        movie_id, title, released = fields[0], fields[1], fields[2]
        if not movie_id.isdigit():
            problems.add(item_file, number, "movie_id", f"{movie_id!r} is not an integer")
            continue
        try:
            created_at = _release(released)
        except ValueError:
            problems.add(item_file, number, "release_date", f"{released!r} is not dd-Mon-yyyy")
            continue
        if not items.add(item_file, number, movie_id, title=title, created_at=created_at):
            continue
        for genre, flag in enumerate(fields[5:]):
            if flag == "1":
                items.catalogue.add_path(movie_id, [ROOT, genres[genre]])

    interactions = InteractionsBuilder(problems, kind_weights)
    for number, line in read_lines(data_file, problems):
        fields = line.split("\t")
        if len(fields) != 4:
            problems.add(data_file, number, None, f"has {len(fields)} fields, expected 4")
            continue
        user, item, rating_text, ts_text = fields
        try:
            rating = float(rating_text)
            if not 1 <= rating <= 5:
                raise ValueError
        except ValueError:
            problems.add(data_file, number, "rating", f"{rating_text!r} is not a rating 1-5")
            continue
        if not ts_text.isdigit():
            problems.add(data_file, number, "timestamp", f"{ts_text!r} is not Unix seconds")
            continue
        if not user.isdigit():
            problems.add(data_file, number, "user_id", f"{user!r} is not an integer")
            continue
        interactions.add(data_file, number, user, item, KIND, int(ts_text), rating, rating)
    return assemble(items, interactions, catalogue_complete=True)
