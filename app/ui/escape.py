"""Text from data shown as text: names, notes, titles, tool results and query parameters never become links,
images, HTML, headings or LaTeX, however they are written.

Streamlit renders Markdown in almost every element (markdown, captions, alerts, button and expander labels,
tooltips), so every piece of text that did not come from the app's own code goes through one of these:

- ``md(value)``: the value exactly as written, for inside the app's own Markdown (``f"**{md(name)}**"``);
- ``md_lines(value)``: the same keeping its line breaks (a message the underwriter typed);
- ``code(value)``: the value as inline code (ids, what the user typed), whatever backticks it holds;
- ``model_markdown(text)``: a model's answer, keeping its emphasis, lists and headings but no link, image, HTML
  or autolink (the app adds its own citation links afterwards).

Escaping punctuation is not enough for bare URLs: Streamlit's GFM autolinks ``http://…``, ``www.…`` and e-mail
addresses in the text *after* escapes are read (remark's transform runs on text nodes), so a word joiner (U+2060,
invisible) is put where the autolink patterns would start.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
# The punctuation that can start or close Markdown, HTML, an entity, LaTeX or a table anywhere in a line
# (backslash-escaped, CommonMark shows it as itself); the rest (.,;?'"()/-) stays readable in the source.
_ACTIVE = re.compile(r"([\\`*_\[\]<>!#$~|&{}])")
# What starts a block only at the start of a line: a list item ("- ", "+ ", "1. ", "1) "), a setext underline.
_LINE_START = re.compile(r"^(\d*)([-+=.)])")
# Where GFM's literal autolinks begin: "http(s)://", "www.", and the "@" of an e-mail address.
_SCHEME = re.compile(r"(?i)(https?\\?:\\?/\\?/)")
_WWW = re.compile(r"(?i)\b(www)(?=\\?\.)")
_AT = re.compile(r"(\\?@)")
# Link and image syntax in a model's Markdown: "](" "][" "]:" close a link text or a reference, "![" opens an
# image, "<" HTML or an autolink, "$" LaTeX. Each is matched with the backslashes before it: an even run (none
# included) leaves the character active, so one more backslash escapes it; an odd run has escaped it already.
# (Adding one to an odd run would make it even: "\\](//x)" became "\\\\](//x)", a live link.)
_MODEL_ACTIVE = re.compile(r"(?<!\\)((?:\\\\)*)(\\?)(\](?=[(\[:])|(?<=!)\[|<|\$)")


def _no_autolinks(text: str) -> str:
    text = _SCHEME.sub(rf"\1{WORD_JOINER}", text)
    text = _WWW.sub(rf"\1{WORD_JOINER}", text)
    return _AT.sub(rf"\1{WORD_JOINER}", text)


def md(value: object) -> str:
    """``value`` as Markdown that shows exactly its text (one paragraph: line breaks become spaces)."""
    text = " ".join(str(value if value is not None else "").split())
    text = _LINE_START.sub(r"\1\\\2", _ACTIVE.sub(r"\\\1", text))
    return _no_autolinks(text)


def md_lines(value: object) -> str:
    """``value`` as Markdown that shows exactly its text, line by line (blank lines separate paragraphs)."""
    paragraphs = re.split(r"\n\s*\n", str(value if value is not None else "").strip())
    return "\n\n".join("  \n".join(md(line) for line in p.splitlines() if line.strip()) for p in paragraphs)


def code(value: object) -> str:
    """``value`` as an inline code span: nothing inside is read as Markdown, and a backtick cannot close it."""
    text = " ".join(str(value if value is not None else "").split()) or " "
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def model_markdown(text: str) -> str:
    """A model's Markdown answer with its layout but without links, images, HTML or LaTeX."""
    text = _MODEL_ACTIVE.sub(lambda m: f"{m[1]}\\{m[3]}", text or "")
    return _no_autolinks(text)
