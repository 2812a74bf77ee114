from wordfreq import count_words, tokenize, top_words


def test_counts_one_text():
    assert count_words("the cat and the hat") == {"the": 2, "cat": 1, "and": 1, "hat": 1}


def test_second_document_counted_alone():
    count_words("alpha beta beta")
    assert count_words("gamma") == {"gamma": 1}


def test_top_words_per_document():
    assert top_words("b a b c b a") == [("b", 3), ("a", 2), ("c", 1)]
    assert top_words("z z y", n=1) == [("z", 2)]


def test_tokenize_strips_punctuation():
    assert tokenize('Hello, world! "Quoted" (yes).') == ["hello", "world", "quoted", "yes"]
