from wrapping import MAX_WIDTH, fill, wrap


def test_default_width():
    text = " ".join(["word"] * 40)
    lines = wrap(text)
    assert all(len(line) <= MAX_WIDTH for line in lines)
    assert len(lines[0]) == 69


def test_fill_default_width():
    assert fill("short text") == "short text"


def test_explicit_width():
    assert wrap("the quick brown fox jumps", width=10) == ["the quick", "brown fox", "jumps"]


def test_long_word_own_line():
    assert fill("a supercalifragilistic b", width=8) == "a\nsupercalifragilistic\nb"
