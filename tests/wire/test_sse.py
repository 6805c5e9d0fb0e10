"""The SSE decoder (`agentkit._sse`): the WHATWG parsing rules, and input
split at any byte boundary."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentkit._sse import ServerSentEvent, SSEDecoder


def decode(*pieces: bytes) -> list[ServerSentEvent]:
    """Feed ``pieces`` one after the other, then flush."""
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for piece in pieces:
        events += decoder.feed(piece)
    return events + decoder.flush()


def decode_split(data: bytes, cuts: Iterable[int]) -> list[ServerSentEvent]:
    bounds = [0, *sorted(set(cuts)), len(data)]
    return decode(*(data[a:b] for a, b in itertools.pairwise(bounds)))


def datas(events: list[ServerSentEvent]) -> list[str]:
    return [event.data for event in events]


def as_tuples(events: list[ServerSentEvent]) -> list[tuple[str, str, str | None]]:
    return [(event.data, event.event, event.id) for event in events]


# ------------------------------------------------------------------- fields


def test_data_with_and_without_the_space() -> None:
    assert datas(decode(b"data: a\n\ndata:b\n\ndata:  c\n\n")) == ["a", "b", " c"]


def test_only_one_space_after_the_colon_is_removed() -> None:
    assert datas(decode(b"data:   three\n\n")) == ["  three"]


def test_multi_line_data_joined_with_newline() -> None:
    assert datas(decode(b"data: first\ndata: second\ndata:third\n\n")) == ["first\nsecond\nthird"]


def test_data_line_with_empty_value_keeps_its_empty_line() -> None:
    assert datas(decode(b"data: a\ndata:\ndata: b\n\n")) == ["a\n\nb"]


def test_empty_data_field_dispatches_an_empty_event() -> None:
    assert as_tuples(decode(b"data:\n\n")) == [("", "message", None)]
    assert as_tuples(decode(b"data: \n\n")) == [("", "message", None)]


def test_field_without_colon_is_a_field_with_empty_value() -> None:
    assert datas(decode(b"data\n\n")) == [""]
    assert datas(decode(b"data\ndata: x\n\n")) == ["\nx"]


def test_unknown_fields_and_colonless_unknown_lines_are_ignored() -> None:
    events = decode(b"foo: bar\nnonsense\ndata: x\nDATA: upper\n\n")
    assert as_tuples(events) == [("x", "message", None)]


def test_comments_are_ignored() -> None:
    events = decode(b": keep-alive\n\n:ping\ndata: x\n: inside\ndata: y\n\n: trailing\n\n")
    assert datas(events) == ["x\ny"]


def test_block_without_data_dispatches_nothing() -> None:
    assert decode(b"event: ping\n\nid: 5\n\nretry: 10\n\n") == []


def test_event_type() -> None:
    events = decode(b"event: error\ndata: {}\n\ndata: next\n\n")
    assert as_tuples(events) == [("{}", "error", None), ("next", "message", None)]


def test_empty_event_type_means_message() -> None:
    assert as_tuples(decode(b"event:\ndata: x\n\n")) == [("x", "message", None)]


def test_event_type_does_not_leak_into_the_next_event() -> None:
    events = decode(b"event: custom\ndata: a\n\ndata: b\n\n")
    assert [event.event for event in events] == ["custom", "message"]


def test_id_persists_across_events() -> None:
    events = decode(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n")
    assert [event.id for event in events] == ["1", "1", "2"]


def test_id_set_by_a_block_without_data_still_counts() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 7\n\ndata: x\n\n")
    assert [event.id for event in events] == ["7"]
    assert decoder.last_event_id == "7"


def test_empty_id_resets_the_last_event_id() -> None:
    events = decode(b"id: 1\ndata: a\n\nid\ndata: b\n\n")
    assert [event.id for event in events] == ["1", ""]


def test_id_containing_nul_is_ignored() -> None:
    events = decode(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n")
    assert [event.id for event in events] == ["1", "1"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"retry: 1500", 1500),
        (b"retry:0", 0),
        (b"retry: 15a", None),
        (b"retry: -5", None),
        (b"retry: 1.5", None),
        (b"retry: ", None),
        ("retry: \u0661\u0662".encode(), None),  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_retry_accepts_only_ascii_digits(line: bytes, expected: int | None) -> None:
    decoder = SSEDecoder()
    decoder.feed(line + b"\ndata: x\n\n")
    assert decoder.retry == expected


def test_retry_keeps_the_last_valid_value() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"retry: 100\n\nretry: nope\n\n")
    assert decoder.retry == 100


# ------------------------------------------------------------ line endings


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_line_endings(eol: bytes) -> None:
    data = b"event: e" + eol + b"data: a" + eol + b"data: b" + eol + eol + b"data: c" + eol + eol
    assert as_tuples(decode(data)) == [("a\nb", "e", None), ("c", "message", None)]


def test_mixed_line_endings() -> None:
    data = b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r"
    assert datas(decode(data)) == ["a\nb\nc", "d"]


def test_crlf_split_between_two_feeds() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\n\r") == []
    events = decoder.feed(b"\ndata: b\r\n\r\n")
    assert datas(events) == ["a", "b"]
    assert decoder.flush() == []


def test_cr_at_end_of_feed_followed_by_another_line() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"data: a\r")
    events += decoder.feed(b"data: b\r")
    events += decoder.feed(b"\r")
    events += decoder.flush()
    assert datas(events) == ["a\nb"]


def test_lone_cr_at_end_of_stream_ends_the_line() -> None:
    assert datas(decode(b"data: a\r")) == ["a"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c"])
def test_only_cr_and_lf_end_lines(separator: str) -> None:
    payload = '{"content":"one' + separator + 'two"}'
    events = decode(f"data: {payload}\n\n".encode())
    assert datas(events) == [payload]


def test_unicode_line_separators_inside_json_payload_survive_splitting() -> None:
    payload = '{"content":"a\u2028b\u2029c\x85d"}'
    data = f"data: {payload}\n\n".encode()
    for cut in range(1, len(data)):
        assert datas(decode_split(data, [cut])) == [payload], cut


# --------------------------------------------------------- encoding and BOM


def test_bom_at_stream_start_is_dropped() -> None:
    events = decode(b"\xef\xbb\xbfdata: a\n\n")
    assert datas(events) == ["a"]


def test_bom_makes_the_first_field_name_readable() -> None:
    # Without stripping it, the first line's field would be "\ufeffevent".
    events = decode(b"\xef\xbb\xbfevent: e\ndata: a\n\n")
    assert as_tuples(events) == [("a", "e", None)]


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_bom_split_across_feeds(cut: int) -> None:
    data = b"\xef\xbb\xbfdata: a\n\n"
    assert datas(decode(data[:cut], data[cut:])) == ["a"]


def test_bom_after_an_empty_first_feed() -> None:
    assert datas(decode(b"", b"\xef\xbb\xbfdata: a\n\n")) == ["a"]


def test_bom_is_only_special_at_stream_start() -> None:
    events = decode(b"data: a\n\n\xef\xbb\xbfdata: b\n\n")
    # A later BOM is not a BOM: the line's field name is "\ufeffdata", ignored.
    assert datas(events) == ["a"]
    assert datas(decode(b"data: \xef\xbb\xbfx\n\n")) == ["\ufeffx"]


def test_second_bom_at_start_is_kept() -> None:
    assert datas(decode(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n")) == []


def test_bom_only_stream() -> None:
    assert decode(b"\xef\xbb\xbf") == []
    assert decode(b"\xef\xbb", b"\xbf") == []


@pytest.mark.parametrize("character", ["é", "€", "😀", "中"])
def test_multibyte_character_split_across_feeds(character: str) -> None:
    data = f"data: {character}{character}\n\n".encode()
    start = len(b"data: ")
    for cut in range(start + 1, start + len(character.encode())):
        assert datas(decode(data[:cut], data[cut:])) == [character * 2]


def test_multibyte_character_fed_one_byte_at_a_time() -> None:
    data = "data: Hà Nội 31°C 😀\n\n".encode()
    assert datas(decode(*(data[i : i + 1] for i in range(len(data))))) == ["Hà Nội 31°C 😀"]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert datas(decode(b"data: a\xffb\n\n")) == ["a\ufffdb"]


# ------------------------------------------------------------- end of input


def test_flush_dispatches_an_unterminated_last_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b") == [ServerSentEvent("a")]
    assert datas(decoder.flush()) == ["b"]


def test_flush_after_single_newline() -> None:
    assert datas(decode(b"data: a\ndata: b\n")) == ["a\nb"]


def test_flush_of_nothing_pending() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\n")
    assert decoder.flush() == []


def test_flush_of_an_unterminated_comment_dispatches_nothing() -> None:
    assert decode(b"data: a\n\n: keep-alive") == [ServerSentEvent("a")]


def test_events_are_returned_as_soon_as_their_blank_line_arrives() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert datas(decoder.feed(b"\n")) == ["a"]
    assert decoder.feed(b"data: b\n") == []


def test_empty_feed_returns_nothing() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert datas(decoder.feed(b"data: x\n\n")) == ["x"]


def test_leading_blank_lines_are_harmless() -> None:
    assert datas(decode(b"\n\n\ndata: a\n\n")) == ["a"]


def test_done_marker_is_just_data_here() -> None:
    assert datas(decode(b"data: [DONE]\n\n")) == ["[DONE]"]


# --------------------------------------------------------------- property


_field_names = st.sampled_from(["data", "event", "id", "retry", "", "x"])
_values = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"),
    max_size=12,
)


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    """Streams of blocks of field lines, comments and blank lines, with a
    random BOM and random (mixed) line endings."""
    eols = st.sampled_from(["\n", "\r\n", "\r"])
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(st.sampled_from(["field", "field", "comment", "bare"]))
            if kind == "comment":
                lines.append(":" + draw(_values))
            elif kind == "bare":
                lines.append(draw(_field_names))
            else:
                space = draw(st.sampled_from(["", " "]))
                lines.append(f"{draw(_field_names)}:{space}{draw(_values)}")
        lines.append("")
    body = "".join(line + draw(eols) for line in lines)
    if draw(st.booleans()):
        body += "data: unterminated"
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + body).encode()


@settings(max_examples=120, deadline=None)
@given(data=sse_streams(), cut_fractions=st.lists(st.floats(0, 1), max_size=12))
def test_any_byte_split_gives_the_same_events(data: bytes, cut_fractions: list[float]) -> None:
    cuts = [int(fraction * len(data)) for fraction in cut_fractions]
    whole = decode(data)
    split = decode_split(data, cuts)
    assert as_tuples(split) == as_tuples(whole)


@settings(max_examples=60, deadline=None)
@given(data=sse_streams())
def test_one_byte_at_a_time_gives_the_same_events(data: bytes) -> None:
    assert as_tuples(decode_split(data, range(len(data)))) == as_tuples(decode(data))


@settings(max_examples=100, deadline=None)
@given(
    payloads=st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"),
            max_size=30,
        ),
        max_size=6,
    ),
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
    cuts=st.lists(st.integers(0, 400), max_size=10),
)
def test_data_payloads_round_trip(payloads: list[str], eol: str, cuts: list[int]) -> None:
    data = "".join(f"data: {payload}{eol}{eol}" for payload in payloads).encode()
    assert datas(decode_split(data, [c for c in cuts if c < len(data)])) == payloads
