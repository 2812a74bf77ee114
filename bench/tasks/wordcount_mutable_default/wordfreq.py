"""Word frequencies of a text, for a 'most used words' panel."""

PUNCTUATION = ".,;:!?\"'()[]"


def tokenize(text):
    """Lower-cased words with surrounding punctuation stripped."""
    words = []
    for chunk in text.split():
        word = chunk.strip(PUNCTUATION).lower()
        if word:
            words.append(word)
    return words


def count_words(text, counts={}):
    """Map each word of `text` to how often it occurs."""
    for word in tokenize(text):
        counts[word] = counts.get(word, 0) + 1
    return counts


def top_words(text, n=3):
    """The `n` most frequent words, most frequent first, ties alphabetical."""
    counts = count_words(text)
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return ranked[:n]
