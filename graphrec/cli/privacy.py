"""``graphrec delete-user`` and ``graphrec privacy audit``: a shopper's "forget me", and the
proof of it."""

from __future__ import annotations

from typing import Annotated

import typer

from graphrec.cli.common import StoreOption, app, console, fail, opened, write_or_ask_server
from graphrec.config import get_settings
from graphrec.errors import InvalidInput

privacy_app = typer.Typer(help="Privacy: where a shopper's data still is.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")


@app.command("delete-user")
def delete_user(user_id: str, store: StoreOption = None) -> None:
    """Delete a user with every interaction (privacy request): in the store, the attribution
    log and every model version; through a running server that holds the embedded store,
    which then forgets them in memory too."""
    from graphrec.privacy import forget_in_models, forget_in_store
    from graphrec.serving.attribution import AttributionLog

    deleted = write_or_ask_server(
        store,
        lambda graph: forget_in_store(graph, user_id)[0],
        "mutation($u: ID!) { forgetUser(userId: $u) { deleted } }",
        {"u": user_id},
        lambda data: bool(data["forgetUser"]["deleted"]),
    )
    settings = get_settings()
    logged = AttributionLog(settings.data_dir / "log", settings.log_secret).forget(user_id)
    versions = forget_in_models(settings.data_dir / "models", user_id)
    if not deleted and not logged and not versions:
        raise fail(InvalidInput(f"no user {user_id!r} in the store"))
    console.print(f"deleted user {user_id!r} and everything attached")


@privacy_app.command("audit")
def audit(
    user_id: Annotated[str, typer.Argument(help="The shopper's id.")],
    store: StoreOption = None,
) -> None:
    """Every place graphrec still keeps the shopper: the store, the attribution log (their
    pseudonym), model versions, and any file under the data folder holding their raw id.
    Exits 1 when something is found."""
    from graphrec.privacy import audit as find

    settings = get_settings()
    with opened(store, read_only=True) as graph:
        found = find(
            user_id, graph, settings.data_dir, settings.data_dir / "models", settings.log_secret
        )
    for place in found:
        console.print(f"{place.place}: {place.detail}")
    if found:
        raise typer.Exit(1)
    console.print(f"nothing of {user_id!r} found")
