"""Normalise user-entered tags: trim, lower-case, collapse spaces, drop duplicates."""

MAX_TAG_LENGTH = 32


def clean_tag(raw):
    """One tag in canonical form, or '' when nothing is left of it."""
    words = raw.strip().lower().split()
    return "-".join(words)[:MAX_TAG_LENGTH]


def normalize_tags(raw_tags, seen=set()):
    """The distinct clean tags of `raw_tags`, in first-seen order, empty ones dropped."""
    result = []
    for raw in raw_tags:
        tag = clean_tag(raw)
        if not tag or tag in seen:
            continue
        seen.add(tag)
        result.append(tag)
    return result


def parse_tag_string(text):
    """Tags typed as one comma-separated string."""
    return normalize_tags(text.split(","))
