"""Approval ids (agentkit/ui/_approval_ids.py): an HMAC over the call id, the
tool name and the arguments as the browser sends them back."""

from __future__ import annotations

import pytest

from agentkit.ui._approval_ids import ApprovalIds, canonical_arguments

ARGUMENTS = '{"title": "shopping", "keep_days": 1.0, "tags": ["a", "b"]}'


def test_an_id_verifies_for_its_call_only() -> None:
    ids = ApprovalIds(b"secret")
    approval_id = ids.sign("call_1", "delete_note", ARGUMENTS)
    assert approval_id.startswith("apr1_")
    assert ids.sign("call_1", "delete_note", ARGUMENTS) == approval_id  # no state, no clock
    assert ids.verifies(approval_id, "call_1", "delete_note", ARGUMENTS)
    assert not ids.verifies(approval_id, "call_2", "delete_note", ARGUMENTS)
    assert not ids.verifies(approval_id, "call_1", "delete_file", ARGUMENTS)
    assert not ids.verifies(approval_id, "call_1", "delete_note", '{"title": "ideas"}')
    assert not ids.verifies(approval_id + "x", "call_1", "delete_note", ARGUMENTS)
    assert not ids.verifies(None, "call_1", "delete_note", ARGUMENTS)
    assert not ids.verifies(["apr1_"], "call_1", "delete_note", ARGUMENTS)


def test_the_secret_decides_which_ids_verify() -> None:
    approval_id = ApprovalIds("one secret").sign("call_1", "delete_note", ARGUMENTS)
    assert ApprovalIds(b"one secret").verifies(approval_id, "call_1", "delete_note", ARGUMENTS)
    assert not ApprovalIds("another").verifies(approval_id, "call_1", "delete_note", ARGUMENTS)


def test_without_a_secret_the_process_secret_is_shared_and_random() -> None:
    first, second = ApprovalIds(), ApprovalIds(None)
    approval_id = first.sign("call_1", "delete_note", ARGUMENTS)
    assert second.verifies(approval_id, "call_1", "delete_note", ARGUMENTS)
    assert approval_id != ApprovalIds(b"secret").sign("call_1", "delete_note", ARGUMENTS)
    with pytest.raises(ValueError, match="empty"):
        ApprovalIds(b"")


def test_arguments_compare_as_the_browser_returns_them() -> None:
    """``JSON.parse`` then ``JSON.stringify``: spacing and key order change,
    ``1.0`` comes back as ``1``, integers beyond 2**53 as the nearest double."""
    ids = ApprovalIds(b"secret")
    approval_id = ids.sign("call_1", "delete_note", ARGUMENTS)
    from_browser = '{"tags":["a","b"],"keep_days":1,"title":"shopping"}'
    assert ids.verifies(approval_id, "call_1", "delete_note", from_browser)
    assert canonical_arguments('{"n": 12345678901234567891}') == canonical_arguments(
        '{"n": 12345678901234567000}'
    )
    assert canonical_arguments('{"n": 0.5}') != canonical_arguments('{"n": 1}')
    assert canonical_arguments('{"n": true}') != canonical_arguments('{"n": 1}')
    assert canonical_arguments('{"s": "é"}') == canonical_arguments('{"s": "\\u00e9"}')
    assert canonical_arguments("not json") == "not json"
