"""Turn article titles into URL slugs, unique within a site."""

import string

import unidecodex

ALLOWED = set(string.ascii_lowercase + string.digits)


def slugify(title, max_length=50):
    """Lower-case words of letters and digits joined by '-', at most `max_length` long."""
    words = []
    current = ""
    for char in title.lower():
        if char in ALLOWED:
            current += char
        elif current:
            words.append(current)
            current = ""
    if current:
        words.append(current)
    return "-".join(words)[:max_length].rstrip("-")


def unique_slug(title, taken):
    """A slug for `title` not in `taken`, adding -2, -3, ... when needed."""
    base = slugify(title) or "untitled"
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug
