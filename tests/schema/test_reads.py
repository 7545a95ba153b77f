"""The answer cache: bounded in bytes, least recently used out first, exact by version."""

from __future__ import annotations

import time

from schema.reads import AnswerCache, Stored

LATER = float("inf")


def _stored(body: bytes, version: int = 1, expires: float = LATER) -> Stored:
    return Stored(version=version, body=body, expires=expires)


def test_an_answer_is_found_at_its_version_only_and_dropped_at_another() -> None:
    cache = AnswerCache(1000)
    cache.put(("s", "q"), _stored(b"{}", version=7))

    assert cache.get(("s", "q"), 7) == b"{}"
    assert cache.get(("s", "q"), 8) is None
    assert ("s", "q") not in cache  # a version that moved never comes back
    assert cache.size == 0


def test_an_answer_whose_links_expired_is_not_served() -> None:
    cache = AnswerCache(1000)
    cache.put(("s", "q"), _stored(b"{}", expires=time.monotonic() - 1))

    assert cache.get(("s", "q"), 1) is None


def test_the_cache_keeps_within_its_bytes_least_recently_used_out_first() -> None:
    # given room for 240 bytes, full: 8 keys of 2 characters with answers of 28 bytes
    cache = AnswerCache(240)
    names = ["aa", "bb", "cc", "dd", "ee", "ff", "gg", "hh"]
    for name in names:
        cache.put((name,), _stored(b"x" * 28))
    assert cache.get(("aa",), 1) is not None  # "aa" used again: "bb" is now the oldest

    # when one more comes
    cache.put(("ii",), _stored(b"x" * 28))

    # then the least recently used went, and the cache holds what it counts
    assert ("bb",) not in cache
    assert all((name,) in cache for name in [*names[:1], *names[2:], "ii"])
    assert cache.size == 240


def test_an_answer_past_an_eighth_of_the_cache_is_not_kept() -> None:
    cache = AnswerCache(800)
    cache.put(("k",), _stored(b"x" * 100))  # 101 bytes with its key, past 800 / 8
    cache.put(("a long document " * 10,), _stored(b"{}"))  # its key counts too

    assert ("k",) not in cache
    assert cache.size == 0
