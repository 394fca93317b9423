"""The operator's mutations (API key): derive BOUGHT_WITH, write a trained version back, switch
the active model version. The CLI sends them to a server that holds the embedded store
(:mod:`graphrec.api.running`); each runs in a worker thread, so that answers go on meanwhile,
and the server rebuilds its memory in the background after it."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.types import Info

from graphrec.api.errors import IsAdmin, service_of, typed_errors
from graphrec.serving import admin


@strawberry.type
class BoughtWithDerived:
    edges: int


@strawberry.type
class WrittenBack:
    version: str
    embeddings: int
    similar_to: int


@strawberry.type
class ModelActivated:
    version: str = strawberry.field(
        description="The version every serving process switches to within seconds."
    )


@strawberry.type
class AdminMutation:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Recompute the BOUGHT_WITH edges from the store's interactions.",
    )
    @typed_errors
    async def derive_bought_with(self, info: Info) -> BoughtWithDerived:
        edges = await asyncio.to_thread(admin.derive, service_of(info))
        return BoughtWithDerived(edges=edges)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Write a trained version's item embeddings and SIMILAR_TO edges to the store.",
    )
    @typed_errors
    async def write_back(self, info: Info, version: str, similar_k: int = 20) -> WrittenBack:
        written = await asyncio.to_thread(admin.write_back, service_of(info), version, similar_k)
        return WrittenBack(
            version=version, embeddings=written["embeddings"], similar_to=written["similar_to"]
        )

    @strawberry.mutation(
        permission_classes=[IsAdmin], description="Serve this model version from now on."
    )
    @typed_errors
    async def activate_model(self, info: Info, version: str) -> ModelActivated:
        chosen = await asyncio.to_thread(admin.activate, service_of(info), version)
        return ModelActivated(version=chosen)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Serve the version that was active before the current one.",
    )
    @typed_errors
    async def rollback_model(self, info: Info) -> ModelActivated:
        return ModelActivated(version=await asyncio.to_thread(admin.rollback, service_of(info)))
