"""A synthetic vendor catalog for the streaming benchmark (copied into the baked package).

``pages()`` pages through ``BENCH_SYNC_ENTRIES`` catalog items the way a vendor API
client does (one ``await`` per page of ``BENCH_SYNC_PAGE`` decoded JSON items);
``to_entry()`` maps one item to a ``CatalogEntry``, as a filled-in ``Sync`` handler
would. The generated handler and the bare server both call exactly these two, so the
benchmark compares the servers, not the mapping. Deterministic: item ``n`` is always
the same.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

GENRES = ("drama", "crime", "comedy", "documentary", "kids", "sci-fi", "thriller")
COUNTRIES = ("SE", "NO", "DK", "FI", "GB", "DE", "US")
RATINGS = ("G", "PG", "PG-13", "R")


def total_entries() -> int:
    return int(os.environ.get("BENCH_SYNC_ENTRIES", "100000"))


def page_size() -> int:
    return int(os.environ.get("BENCH_SYNC_PAGE", "500"))


def item(n: int) -> dict[str, Any]:
    """Catalog item ``n`` as the vendor's JSON API would return it."""
    series = n // 100
    return {
        "id": f"vid-{n:09d}",
        "series_id": f"series-{series:07d}" if n % 3 else "",
        "episode": n % 100,
        "title": f"Episode {n % 100} of series {series}",
        "teaser": f"What happens in episode {n % 100}.",
        "synopsis": f"The long description of item {n}, as the vendor's API returns it. " * 2,
        "tags": ["gold", "one-authenticated"] if n % 2 else ["free"],
        "runtime_s": 1200 + n % 3600,
        "countries": list(COUNTRIES[: 1 + n % len(COUNTRIES)]),
        "genres": [GENRES[n % len(GENRES)], GENRES[(n + 3) % len(GENRES)]],
        "year": 1990 + n % 35,
        "poster": f"https://img.example.com/{n}/poster.jpg",
        "rating": RATINGS[n % len(RATINGS)],
    }


async def pages() -> AsyncIterator[list[dict[str, Any]]]:
    """The whole catalog, one page at a time (a real client awaits HTTP here)."""
    total, size = total_entries(), page_size()
    for start in range(0, total, size):
        await asyncio.sleep(0)
        yield [item(n) for n in range(start, min(start + size, total))]


def to_entry(entry_class: Any, data: dict[str, Any]) -> Any:
    """One vendor item as a ``CatalogEntry`` (the handler's mapping work)."""
    return entry_class(
        id=data["id"],
        object_type=1,  # VIDEO
        parent_id=data["series_id"],
        sequence_number=data["episode"],
        localized_metadata={
            "en": {
                "title": data["title"],
                "short_description": data["teaser"],
                "description": data["synopsis"],
            }
        },
        entitlement_tags=data["tags"],
        duration={"seconds": data["runtime_s"]},
        allowed_countries=data["countries"],
        images=[{"url": data["poster"], "type": 1, "width": 600, "height": 900}],
        genres=data["genres"],
        release_year=data["year"],
        parental_ratings=[{"scheme": "MPAA", "value": data["rating"]}],
    )
