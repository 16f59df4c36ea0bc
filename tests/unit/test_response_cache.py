"""The page cache renders a page once for concurrent misses on the same key."""

from __future__ import annotations

import threading
import time

from candor.web.cache import ResponseCache, Stored


def test_concurrent_misses_on_one_key_render_once() -> None:
    cache = ResponseCache()
    renders = []
    start = threading.Barrier(8)

    def render() -> Stored:
        renders.append(1)
        time.sleep(0.2)  # a slow page
        return Stored(b"page", 200, "text/html")

    results: list[Stored | None] = []

    def request() -> None:
        start.wait()
        results.append(cache.get(("/", 1)) or cache.single_flight(("/", 1), render))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(renders) == 1
    assert [r.body if r else None for r in results] == [b"page"] * 8
    assert cache.single_flight(("/", 2), lambda: None) is None  # nothing kept for a miss
    assert cache.get(("/", 2)) is None


def test_different_keys_render_in_parallel() -> None:
    cache = ResponseCache()
    began = time.perf_counter()

    def slow() -> Stored:
        time.sleep(0.3)
        return Stored(b"x", 200, "text/html")

    threads = [
        threading.Thread(target=cache.single_flight, args=((f"/{n}",), slow)) for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.perf_counter() - began < 1.0  # not 4 × 0.3 s one after another
