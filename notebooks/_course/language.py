"""The language the course helpers speak: English, or Chinese (简体) for the Chinese edition.

Every sentence `_course` prints or draws is written in both languages where it is made, as
`say(english, chinese)`; the English notebooks' outputs are the English sentences, unchanged.

The language is decided in one place: notebooks/zh/_course/__init__.py. A notebook imports
`_course` from its own folder (the kernel's working folder, which Jupyter, nbconvert and nbval set to
the notebook's folder); from notebooks/zh/ that finds notebooks/zh/_course, a package of one file
that sets LANGUAGE = "zh" and takes all its modules from notebooks/_course (it appends that folder
to its __path__). The English notebooks find notebooks/_course itself, where LANGUAGE stays "en".
Nothing else (no environment variable, no setting) changes it; tests set it with monkeypatch.
"""
from __future__ import annotations

__all__ = ["LANGUAGE", "LANGUAGES", "chinese", "say"]

LANGUAGES = ("en", "zh")
LANGUAGE = "en"


def chinese() -> bool:
    """True in the Chinese edition."""
    return LANGUAGE == "zh"


def say(english: str, zh: str) -> str:
    """The sentence in the notebook's language (both are written out where the sentence is made,
    with the same values in them: tests/test_zh.py compares their placeholders)."""
    return zh if LANGUAGE == "zh" else english
