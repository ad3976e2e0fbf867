"""What a page's Markdown would turn into in the browser: the links, images and HTML it makes.

Streamlit renders Markdown with remark and GFM; markdown-it (CommonMark) gives the same links, images and raw
HTML for the syntax, and GFM's literal autolinks are found as remark finds them, in the text after escapes
(``mdast-util-gfm-autolink-literal``): ``http(s)://`` or ``www.`` followed by a domain character, an e-mail address.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_PARSER = MarkdownIt("commonmark", {"html": True})
# remark's patterns; JavaScript's \w is ASCII only.
_LITERAL_URL = re.compile(r"(?i)(?:(?<=^)|(?<=[\s\W]))(?:https?://|www(?=\.))[-.A-Za-z0-9_]+")
_EMAIL = re.compile(r"[-.A-Za-z0-9_+]+@[-A-Za-z0-9_]+(?:\.[-A-Za-z0-9_]+)+")


def plain(markdown: str) -> str:
    """The text a reader sees for this Markdown (escapes resolved, markup gone)."""
    import html

    rendered = _PARSER.render(markdown or "")
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace("\u2060", "").strip()


def active_markup(markdown: str) -> list[str]:
    """Each link, image, HTML or literal autolink the Markdown makes, e.g. ``["link http://x", "image x.png"]``."""
    found: list[str] = []

    def walk(tokens) -> None:
        for t in tokens:
            if t.type == "link_open":
                found.append(f"link {t.attrGet('href')}")
            elif t.type == "image":
                found.append(f"image {t.attrGet('src')}")
            elif t.type in ("html_inline", "html_block"):
                found.append(f"html {t.content.strip()[:40]}")
            elif t.type == "text":
                found.extend(f"autolink {m[0]}" for m in _LITERAL_URL.finditer(t.content))
                found.extend(f"autolink {m[0]}" for m in _EMAIL.finditer(t.content))
            if t.children:
                walk(t.children)

    walk(_PARSER.parse(markdown or ""))
    return found


def shown_markdown(at) -> list[str]:
    """Every piece of Markdown an ``AppTest`` page shows: text, captions, alerts, chat, button and expander labels
    and tooltips (main area and sidebar)."""
    texts: list[str] = []
    for kind in ("markdown", "caption", "warning", "error", "info", "success", "title", "subheader", "header"):
        texts += [str(e.value) for e in getattr(at, kind)]
    texts += [str(b.label) for b in at.button] + [str(b.help or "") for b in at.button]
    texts += [str(e.label) for e in at.expander]
    return texts


def links_and_images(at) -> list[str]:
    """The links, images and HTML an ``AppTest`` page's Markdown makes, except the app's own (relative) links."""
    return [
        f"{what} in {text[:60]!r}"
        for text in shown_markdown(at)
        for what in active_markup(text)
        if not re.fullmatch(r"link guidelines\?section=[a-z0-9-]+", what)
    ]
