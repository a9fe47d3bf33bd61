"""without_emails: person records lose their emails in any update, nothing else changes."""

from __future__ import annotations

from typing import Any

from pycrdt import Array, Doc, Map, Text, merge_updates

from pairbook.protocol.redact import without_emails
from pairbook.protocol.update import EMPTY_UPDATE, decode_update

BO = {"id": "u-bo", "name": "Bo", "color": "#336699", "email": "bo@example.org"}
CY = {"id": "u-cy", "name": "Cy", "color": "#993366", "email": "cy@example.org"}


def without(person: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in person.items() if key != "email"}


def applied(*updates: bytes) -> Doc[Any]:
    doc: Doc[Any] = Doc()
    for update in updates:
        doc.apply_update(update)
    return doc


def old_mob_doc() -> tuple[Doc[Any], list[bytes]]:
    """A notebook and the `mob` map as the server wrote it before 6461f2c, update by update."""
    doc: Doc[Any] = Doc()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    cells = doc.get("cells", type=Array)
    cells.append(Map({"id": "c1", "source": Text("email = 'x@example.org'")}))
    mob = doc.get("mob", type=Map)
    with doc.transaction():
        mob["mode"] = "mob"
        mob["people"] = {"u-bo": BO}
        mob["turn"] = {"started": 1.5, "ends": None}
    mob["people"] = {"u-bo": BO, "u-cy": CY}  # an overwrite: its parent comes from its origin
    return doc, updates


def test_every_update_of_an_old_mob_map_is_served_without_the_emails() -> None:
    doc, updates = old_mob_doc()
    cleaned = [without_emails(update) for update in updates]
    assert cleaned[0] is updates[0]  # the cell: no person record, the very same bytes
    for update in cleaned:
        assert b"bo@example.org" not in update
        assert b"cy@example.org" not in update
        decode_update(update)  # still a valid update
    replayed = applied(*cleaned)
    assert replayed.get("mob", type=Map).to_py() == {
        "mode": "mob",
        "people": {"u-bo": without(BO), "u-cy": without(CY)},
        "turn": {"started": 1.5, "ends": None},
    }
    # Everything else as it was: the cells, and the update's structs (ids, lengths).
    assert replayed.get("cells", type=Array).to_py() == doc.get("cells", type=Array).to_py()
    for original, rewritten in zip(updates, cleaned, strict=True):
        before, after = decode_update(original), decode_update(rewritten)
        assert [(s.client, s.clock, s.length) for s in before.structs] == [
            (s.client, s.clock, s.length) for s in after.structs
        ]
        assert before.delete_set == after.delete_set


def test_a_whole_document_and_a_merged_update_lose_the_emails_too() -> None:
    doc, updates = old_mob_doc()
    for update in (doc.get_update(), merge_updates(*updates)):
        assert b"bo@example.org" in update or b"cy@example.org" in update
        cleaned = without_emails(update)
        assert b"@example.org'" in cleaned  # the cell's own text is kept
        assert b"cy@example.org" not in cleaned
        assert b"bo@example.org" not in cleaned
        people = applied(cleaned).get("mob", type=Map).to_py()["people"]
        assert people == {"u-bo": without(BO), "u-cy": without(CY)}


def test_values_that_are_not_person_records_are_left_as_they_are() -> None:
    doc: Doc[Any] = Doc()
    meta = doc.get("meta", type=Map)
    meta["contact"] = {"email": "team@example.org", "team": "data"}  # not a person record
    meta["list"] = [BO]  # a person in an array: the map never held one so
    update = doc.get_update()
    assert without_emails(update) is update


def test_an_unreadable_update_that_may_hold_an_email_is_withheld() -> None:
    _, updates = old_mob_doc()
    broken = updates[1][:-3]
    assert without_emails(broken) == EMPTY_UPDATE
    assert without_emails(b"\x07not an update") == b"\x07not an update"
