"""The survey instrument: the items of the pulse contract layout, their scales, and how a form's fields map to them.

Item names are fixed by the shared layout (members / waves / answers CSV): relation items about another member,
PARTNER trust and value items about another member (1-4), and items about the cluster itself (``alter`` empty).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    """One survey item: its contract name, its scale (inclusive), and whether it is about another member."""

    name: str
    scale_min: int
    scale_max: int
    about_member: bool
    free_text: bool = False


RELATION_ITEMS = (
    Item("works_with", 0, 1, True),
    Item("frequency", 0, 4, True),
    Item("flow_information", 0, 1, True),
    Item("flow_resources", 0, 1, True),
    Item("flow_projects", 0, 1, True),
)
TRUST_ITEMS = (Item("trust_reliable", 1, 4, True), Item("trust_mission", 1, 4, True), Item("trust_open", 1, 4, True))
VALUE_ITEMS = (Item("value_power", 1, 4, True), Item("value_involvement", 1, 4, True),
               Item("value_resources", 1, 4, True))
CLUSTER_ITEMS = (Item("satisfaction", 1, 5, False), Item("outcome_progress", 1, 5, False),
                 Item("comment", 0, 0, False, free_text=True))
MEMBER_ITEMS = RELATION_ITEMS + TRUST_ITEMS + VALUE_ITEMS
ITEMS = {item.name: item for item in MEMBER_ITEMS + CLUSTER_ITEMS}
FLOW_ITEMS = ("flow_information", "flow_resources", "flow_projects")
KINDS = ("firm", "university", "research", "public", "other")
#: Longest comment kept (characters).
MAX_COMMENT = 2000


class AnswerError(ValueError):
    """A form value that is not on its item's scale; the message names the item and the allowed values."""


def parse_member_form(form: dict[str, str]) -> dict[str, str]:
    """The answers about one member from a survey form's fields (item name -> value as text).

    Radio and select fields come as item names; the flow checkboxes are 0 when unticked, but only when the
    respondent said they work with the member. A field left empty is no answer (it is not stored).

    Raises
    ------
    AnswerError
        When a value is not an integer on the item's scale.

    Examples
    --------
    >>> parse_member_form({"works_with": "1", "frequency": "3", "flow_projects": "1", "trust_open": "4"})
    {'works_with': '1', 'frequency': '3', 'flow_information': '0', 'flow_resources': '0', 'flow_projects': '1', \
'trust_open': '4'}
    >>> parse_member_form({"works_with": "0"})
    {'works_with': '0'}
    """
    out: dict[str, str] = {}
    works_with = form.get("works_with", "")
    for item in MEMBER_ITEMS:
        raw = str(form.get(item.name, "")).strip()
        if item.name in FLOW_ITEMS and works_with == "1" and raw == "":
            raw = "0"
        if raw == "":
            continue
        out[item.name] = str(_on_scale(item, raw))
    return out


def parse_cluster_form(form: dict[str, str]) -> dict[str, str]:
    """The answers about the cluster itself (satisfaction, outcome_progress, comment) from a form.

    Raises
    ------
    AnswerError
        When a rating is not on its scale.
    """
    out: dict[str, str] = {}
    for item in CLUSTER_ITEMS:
        raw = str(form.get(item.name, "")).strip()
        if raw == "":
            continue
        out[item.name] = raw[:MAX_COMMENT] if item.free_text else str(_on_scale(item, raw))
    return out


def _on_scale(item: Item, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not item.scale_min <= value <= item.scale_max:
        raise AnswerError(f"{item.name}: {raw[:40]!r} is not one of {item.scale_min}..{item.scale_max}")
    return value
