"""Split a result list into pages for an API; pages are numbered from 1."""


def page_count(total, per_page):
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    return max(1, -(-total // per_page))


def paginate(items, page, per_page=10):
    """The items on page `page` plus navigation metadata."""
    pages = page_count(len(items), per_page)
    if not 1 <= page <= pages:
        raise ValueError(f"page {page} out of range 1..{pages}")
    start = page * per_page
    return {
        "items": items[start : start + per_page],
        "page": page,
        "pages": pages,
        "has_next": page < pages,
        "has_prev": page > 1,
    }
