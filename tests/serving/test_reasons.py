"""The one table of reason kinds, and what is derived from it."""

from __future__ import annotations

from graphrec.api.schema import schema
from graphrec.serving import reasons as R
from graphrec.serving.results import PathNode, ReasonKind, new_relationship


def test_every_kind_of_reason_is_in_the_table_once_in_code_order() -> None:
    assert {k.kind for k in R.KINDS} == set(ReasonKind)
    codes = {
        R.BOUGHT_WITH: ReasonKind.BOUGHT_WITH,
        R.SIMILAR_SHOPPERS: ReasonKind.SIMILAR_SHOPPERS,
        R.SIMILAR_ITEM: ReasonKind.SIMILAR_ITEM,
        R.SAME_BRAND: ReasonKind.SAME_BRAND,
        R.SAME_CATEGORY: ReasonKind.SAME_CATEGORY,
        R.TRENDING: ReasonKind.TRENDING,
        R.POPULAR: ReasonKind.POPULAR,
        R.UNCHOSEN: ReasonKind.POPULAR,
        R.EXPLORATION: ReasonKind.EXPLORATION,
        R.BECAUSE: ReasonKind.BECAUSE,
    }
    assert sorted(codes) == list(range(len(R.KINDS)))
    assert all(R.KINDS[code].kind is kind for code, kind in codes.items())
    # evidence comes strongest first, before the fillers; exploration says so above all
    evidence = [R.KINDS[code].priority for code in range(R.EVIDENCE)]
    assert evidence == sorted(evidence, reverse=True)
    assert R.PRIORITY[ReasonKind.EXPLORATION] == max(R.PRIORITY.values())
    assert min(evidence) > R.PRIORITY[ReasonKind.TRENDING] > R.PRIORITY[ReasonKind.POPULAR]
    enum = schema.get_type_by_name("ReasonKind")
    assert {v.name for v in enum.values} == {k.name for k in ReasonKind}  # type: ignore[union-attr]


def test_each_builder_says_its_kinds_sentence_along_its_path() -> None:
    user = PathNode("User", "u1", None)
    source = R.Source(0, PathNode("Item", "s", "Rose Serum"), "Rose Serum", "bought",
                      new_relationship("INTERACTED", 0, 1, "purchase"))  # fmt: skip
    target = PathNode("Item", "t", "Night Cream")
    reason = R.bought_with(user, source, target, 37.0)
    assert reason.kind is ReasonKind.BOUGHT_WITH
    assert reason.text == "Bought together with Rose Serum by 37 shoppers"
    assert [n.id for n in reason.path.nodes] == ["u1", "s", "t"]
    assert [(r.type, r.start, r.end, r.weight) for r in reason.path.relationships] == [
        ("INTERACTED", 0, 1, None),
        ("BOUGHT_WITH", 1, 2, 37.0),
    ]
    brand = PathNode("Brand", "b", "Rouge")
    same = R.same_brand(user, source, brand, target)
    assert same.text == "Same brand (Rouge) as Rose Serum, which you bought"
    assert [(r.type, r.start, r.end) for r in same.path.relationships][1:] == [
        ("MADE_BY", 1, 2),
        ("MADE_BY", 3, 2),
    ]
    assert R.popular(target, 1.0).text == "Popular: chosen by 1 shopper"
    assert R.popular(target, 0.0).text == R.KINDS[R.UNCHOSEN].sentence
    # an item-to-item reason drops the anonymous shopper's hop
    anonymous = R.bought_with(PathNode("User", "", None), source, target, 2.0)
    item_to_item = R.from_item(anonymous)
    assert [n.id for n in item_to_item.path.nodes] == ["s", "t"]
    assert [(r.start, r.end) for r in item_to_item.path.relationships] == [(0, 1)]


def test_because_names_the_shoppers_event_and_nothing_else() -> None:
    """The model's own reason: the shopper's event is its whole path (every relationship on it
    is in the store); no relationship to the item is claimed."""
    user = PathNode("User", "u1", None)
    source = R.Source(0, PathNode("Item", "s", "Rose Serum"), "Rose Serum", "reviewed",
                      new_relationship("INTERACTED", 0, 1, "review"))  # fmt: skip
    reason = R.because(user, source)
    assert reason.kind is ReasonKind.BECAUSE and reason.text == "Because you reviewed Rose Serum"
    assert [n.id for n in reason.path.nodes] == ["u1", "s"]
    assert [(r.type, r.start, r.end) for r in reason.path.relationships] == [("INTERACTED", 0, 1)]
