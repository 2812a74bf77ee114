from slugs import slugify, unique_slug


def test_basic_slug():
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("  Ten  Tips for 2024 ") == "ten-tips-for-2024"


def test_max_length_has_no_trailing_dash():
    assert slugify("abc def ghi", max_length=4) == "abc"


def test_unique_slug_counts_up():
    assert unique_slug("News", {"news", "news-2"}) == "news-3"
    assert unique_slug("News", set()) == "news"


def test_empty_title():
    assert unique_slug("!!!", set()) == "untitled"
