"""Limits on what one GraphQL document may ask, measured in time linear in its size.

A fragment spread counts as the fragment's fields, so a document cannot hide its depth or its
aliases in fragments; but each fragment is measured once and remembered, so a short document
whose fragments spread one another twice per level (2^30 paths in 2 KB) costs microseconds to
measure, not the hours a walk of every path would (Strawberry's ``QueryDepthLimiter`` and
``MaxAliasesLimiter`` walk every path). Used as a graphql-core validation rule
(``strawberry.extensions.AddValidationRules``), before anything is executed.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

#: Fields nested below the operation's own (``{ a { b } }`` is 1 deep), fragments expanded.
MAX_DEPTH = 10
#: Aliased fields in one operation, fragments expanded (each spread counts).
MAX_ALIASES = 15
#: Tokens in one document (the parser stops at more).
MAX_TOKENS = 2000


class Measure:
    """Depth and aliases of selection sets; each fragment measured once (a fragment that spreads
    itself, which validation refuses anyway, counts as empty where it recurs)."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self._measured: dict[str, tuple[int, int]] = {}
        self._measuring: set[str] = set()

    def of(self, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        """(depth, aliases) of a selection set; the depth is capped above the limit."""
        if selection_set is None:
            return 0, 0
        depth = aliases = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                aliases += selection.alias is not None
                if selection.selection_set is not None:
                    below, inside = self.of(selection.selection_set)
                    # __Type.ofType unwraps a list or non-null: at most a few deep, whatever the
                    # document asks, so it adds none (the introspection GraphiQL sends nests it 8
                    # deep, 13 in all)
                    below += selection.name.value != "ofType"
                    depth, aliases = max(depth, below), aliases + inside
            elif isinstance(selection, InlineFragmentNode):
                below, inside = self.of(selection.selection_set)
                depth, aliases = max(depth, below), aliases + inside
            elif isinstance(selection, FragmentSpreadNode):
                below, inside = self.fragment(selection.name.value)
                depth, aliases = max(depth, below), aliases + inside
            if depth > MAX_DEPTH:
                return MAX_DEPTH + 1, aliases  # too deep already: no need to look further
        return depth, aliases

    def fragment(self, name: str) -> tuple[int, int]:
        found = self._measured.get(name)
        if found is not None:
            return found
        definition = self.fragments.get(name)
        if definition is None or name in self._measuring:
            return 0, 0  # unknown or cyclic: other validation rules say so
        self._measuring.add(name)
        found = self._measured[name] = self.of(definition.selection_set)
        self._measuring.discard(name)
        return found


class DocumentLimits(ValidationRule):
    """Refuses an operation deeper than :data:`MAX_DEPTH` or with more than :data:`MAX_ALIASES`
    aliases, fragments expanded."""

    def enter_document(self, node: DocumentNode, *_args: Any) -> None:
        fragments = {
            d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)
        }
        measure = Measure(fragments)
        for definition in node.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            name = definition.name.value if definition.name else "anonymous"
            depth, aliases = measure.of(definition.selection_set)
            if depth > MAX_DEPTH:
                self.report_error(
                    GraphQLError(
                        f"'{name}' exceeds maximum operation depth of {MAX_DEPTH}", definition
                    )
                )
            if aliases > MAX_ALIASES:
                self.report_error(
                    GraphQLError(
                        f"{aliases} aliases found in '{name}'; at most {MAX_ALIASES} are allowed",
                        definition,
                    )
                )
