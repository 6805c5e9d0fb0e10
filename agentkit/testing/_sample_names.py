"""The values a model would pick for parameters with common names, and for
string formats: the stand-in's arguments read like a real model's."""

from __future__ import annotations

__all__ = ["FORMATS", "NAMED_NUMBERS", "NAMED_STRINGS", "by_suffix"]

NAMED_STRINGS = {
    "city": "Paris",
    "location": "Paris",
    "place": "Paris",
    "country": "France",
    "timezone": "UTC",
    "tz": "UTC",
    "zone": "UTC",
    "language": "en",
    "lang": "en",
    "locale": "en",
    "currency": "EUR",
    "name": "Ada",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "username": "ada",
    "user": "ada",
    "email": "ada@example.com",
    "url": "https://example.com",
    "link": "https://example.com",
    "website": "https://example.com",
    "query": "agentkit",
    "q": "agentkit",
    "search": "agentkit",
    "text": "agentkit",
    "topic": "agentkit",
    "keyword": "agentkit",
    "prompt": "Hello!",
    "message": "Hello!",
    "content": "Hello!",
    "body": "Hello!",
    "title": "Hello",
    "subject": "Hello",
    "description": "An example.",
    "path": "README.md",
    "file": "README.md",
    "filename": "README.md",
    "expression": "6 * 7",
    "color": "blue",
    "colour": "blue",
    "unit": "celsius",
    "date": "2024-06-01",
    "phone": "+33 1 23 45 67 89",
}
NAMED_NUMBERS: dict[str, float] = {
    "count": 3,
    "n": 3,
    "number": 3,
    "limit": 3,
    "max_results": 3,
    "top_k": 3,
    "k": 3,
    "days": 3,
    "age": 36,
    "year": 2024,
    "page": 1,
    "quantity": 2,
    "amount": 9.5,
    "price": 9.5,
    "temperature": 21.5,
    "latitude": 48.8566,
    "lat": 48.8566,
    "longitude": 2.3522,
    "lon": 2.3522,
    "lng": 2.3522,
}
FORMATS = {
    "date-time": "2024-06-01T12:00:00Z",
    "date": "2024-06-01",
    "time": "12:00:00",
    "duration": "PT1H",
    "email": "ada@example.com",
    "idn-email": "ada@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com",
    "url": "https://example.com",
    "iri": "https://example.com",
    "uri-reference": "https://example.com",
    "json-pointer": "/a",
    "regex": "^a$",
    "path": "README.md",
    "binary": "aGVsbG8=",
}


def by_suffix(name: str) -> str | None:
    """A sensible string for a name with a telling suffix (``order_id``...)."""
    lowered = name.lower()
    if lowered.endswith("_id") or lowered == "id":
        return "42"
    if lowered.endswith(("_url", "_uri", "_link")):
        return "https://example.com"
    if lowered.endswith("_email"):
        return "ada@example.com"
    if lowered.endswith(("_path", "_file")):
        return "README.md"
    if lowered.endswith("_name"):
        return "Ada"
    return None
