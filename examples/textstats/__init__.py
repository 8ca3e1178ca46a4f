"""Word statistics for collections of text files, counted in parallel."""

from textstats.counting import count_words, word_frequencies

__all__ = ["count_words", "word_frequencies"]
