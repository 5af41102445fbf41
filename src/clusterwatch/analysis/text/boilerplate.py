"""Template sentences (a funder's boilerplate) found across a corpus and moved to the end of each text."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

#: A sentence whose first :data:`BOILERPLATE_WORDS` words (lower-cased) open sentences in at least this share of
#: the texts (and in at least :data:`BOILERPLATE_MIN_TEXTS` texts) is template ("The broader impact/commercial
#: potential of this SBIR Phase I project ...", "This Small Business Innovation Research (SBIR) Phase I project
#: ..."): before embedding it moves to the end of its text, so that the words the model reads first are the text's
#: own.
BOILERPLATE_SHARE: float = 0.005
BOILERPLATE_MIN_TEXTS: int = 20
BOILERPLATE_WORDS: int = 6

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")


def demote_boilerplate(texts: Sequence[str]) -> tuple[list[str], int]:
    """Move template sentences to the end of each text; return the texts and how many sentences moved.

    A sentence is template when its first :data:`BOILERPLATE_WORDS` words open a sentence in at least
    :data:`BOILERPLATE_SHARE` of the texts (and :data:`BOILERPLATE_MIN_TEXTS` texts). Nothing is removed: the
    embedding model reads a limited number of word pieces from the start of each text, and a funder's template
    there (NSF SBIR abstracts open with their "broader impact/commercial potential" paragraph since about 2010)
    would otherwise group texts by template and make the template's spread look like a rising activity.

    Examples
    --------
    >>> texts = [f"This SBIR Phase I project will study it. We build {w} parts." for w in "abcdefghij"] * 3
    >>> out, moved = demote_boilerplate(texts + ["Drone survey. This SBIR Phase I project will fly."])
    >>> out[0], moved
    ('We build a parts. This SBIR Phase I project will study it.', 31)
    >>> out[-1]
    'Drone survey. This SBIR Phase I project will fly.'
    """
    split = [_SENTENCE.split(str(text).strip()) for text in texts]

    def key(sentence: str) -> str:
        return " ".join(sentence.lower().split()[:BOILERPLATE_WORDS])

    counts: Counter[str] = Counter()
    for sentences in split:
        counts.update({key(sentence) for sentence in sentences})
    limit = max(BOILERPLATE_MIN_TEXTS, BOILERPLATE_SHARE * len(split))
    template = {k for k, n in counts.items() if n >= limit and len(k.split()) == BOILERPLATE_WORDS}
    out, moved = [], 0
    for sentences in split:
        marks = [key(sentence) in template for sentence in sentences]
        moved += sum(marks)
        if any(marks) and not all(marks):
            sentences = [s for s, m in zip(sentences, marks, strict=True) if not m] + [
                s for s, m in zip(sentences, marks, strict=True) if m
            ]
        out.append(" ".join(sentences))
    return out, moved
