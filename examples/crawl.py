"""Crawl the small web site in website/ and report its pages and broken links.

Pages are parsed in worker processes, one round of newly found pages at a time.
Run it with ``python crawl.py``.
"""

import multiprocessing as mp
import posixpath
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

SITE = Path(__file__).parent / "website"
EXTERNAL = ("http:", "https:", "mailto:")


class PageParser(HTMLParser):
    """Collects a page's title, its links and how many words its text has."""

    def __init__(self):
        super().__init__()
        self.title = ""
        self.links = []
        self.words = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title = True
        elif tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        else:
            self.words += len(data.split())


def parse_page(page):
    """Title, word count and links of ``page``, a path relative to the site's root."""
    parser = PageParser()
    parser.feed((SITE / page).read_text(encoding="utf-8"))
    return parser.title.strip(), parser.words, parser.links


def resolve(page, href):
    """The site path that ``href`` on ``page`` points to, or None for an external link."""
    if href.startswith(EXTERNAL):
        return None
    target = href.split("#", 1)[0]
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), target))


def crawl(start, workers=2):
    """Every page reachable from ``start``, and the links that point to no page."""
    pages, broken = {}, []
    seen, frontier = {start}, [start]
    with ProcessPoolExecutor(max_workers=workers) as executor:
        while frontier:
            found = []
            for page, (title, words, links) in zip(frontier, executor.map(parse_page, frontier)):
                pages[page] = (title, words, len(links))
                for href in links:
                    target = resolve(page, href)
                    if target is None or target in seen:
                        continue
                    if (SITE / target).is_file():
                        seen.add(target)
                        found.append(target)
                    else:
                        broken.append((page, href))
            frontier = sorted(found)
    return pages, broken


def main():
    pages, broken = crawl("index.html")
    for page, (title, words, links) in sorted(pages.items()):
        print(f"{page:20} {words:3} words {links:2} links  {title}")
    for page, href in broken:
        print(f"broken link: {page} -> {href}")


mp.set_start_method("spawn")
main()
