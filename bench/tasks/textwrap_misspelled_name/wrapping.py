"""Greedy word wrap for plain-text e-mails."""

MAX_WIDTH = 72


def wrap(text, width=None):
    """Lines of at most `width` characters (MAX_WIDTH by default), breaking at spaces.

    A word longer than the width gets a line of its own.
    """
    limit = width if width is not None else MAX_WIDHT
    lines = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= limit:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def fill(text, width=None):
    """The wrapped text as one string."""
    return "\n".join(wrap(text, width))
