"""Reading knowledge documents (Markdown, HTML, PDF, plain text) into titled sections.

Every format is brought to the same shape: document metadata (id, title, language, version,
date, topic) and a list of sections, each with its heading trail and its paragraphs. HTML and
plain text are first rewritten as Markdown-like text (headings as `#` lines), so headings are
recognised the same way everywhere. A file that cannot be used is returned as a
`SkippedFile` with the reason, never raised: one bad file must not stop an ingest.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

SUPPORTED_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
SUPPORTED_SUFFIXES |= {".pdf": "pdf", ".txt": "text"}

UNKNOWN_LANGUAGE = "und"
"""BCP 47 code for "undetermined", used when a document does not say its language."""

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SETEXT = re.compile(r"^\s*(=+|-+)\s*$")


class DocumentError(ValueError):
    """A file cannot be read as a knowledge document; the message is the reason shown."""


@dataclass(frozen=True)
class DocumentMeta:
    """What a document says about itself (front matter, HTML meta tags or PDF info)."""

    doc_id: str
    title: str
    lang: str
    version: str
    updated: str
    topic: str
    source: str
    """File name relative to the ingested folder."""


@dataclass(frozen=True)
class Section:
    """A run of paragraphs under one heading; `trail` is the heading path from the top."""

    trail: tuple[str, ...]
    paragraphs: tuple[str, ...]

    @property
    def heading(self) -> str:
        return self.trail[-1] if self.trail else ""


@dataclass(frozen=True)
class SourceDocument:
    meta: DocumentMeta
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass
class LoadedFolder:
    documents: list[SourceDocument] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphenated: `Barème par situation` -> `bareme-par-situation`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "section"


# --- front matter ------------------------------------------------------------------------


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter (between `---` lines at the very top) and the rest of the text."""
    if not text.startswith("---"):
        return {}, text
    lines = text.splitlines()
    if lines[0].strip() != "---":
        return {}, text
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            try:
                data = yaml.safe_load("\n".join(lines[1:end])) or {}
            except yaml.YAMLError as exc:
                raise DocumentError(f"invalid YAML front matter: {exc}") from exc
            if not isinstance(data, dict):
                raise DocumentError("front matter is not a mapping of fields")
            return data, "\n".join(lines[end + 1 :])
    raise DocumentError("front matter has no closing `---` line")


def read_front_matter(path: Path) -> dict[str, Any]:
    """The YAML front matter of a Markdown or text document (e.g. the gesture limits that the
    policy check reads from `gestes-commerciaux.md`)."""
    fields, _ = split_front_matter(_read_text(path))
    return fields


def _text_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value).strip()


def _meta(fields: dict[str, Any], *, path: Path, source: str, title: str) -> DocumentMeta:
    doc_id = _text_field(fields.get("id")) or slugify(path.stem)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", doc_id):
        raise DocumentError(f"document id {doc_id!r} must be letters, digits, '.', '_' or '-'")
    return DocumentMeta(
        doc_id=doc_id,
        title=_text_field(fields.get("title")) or title or path.stem,
        lang=(_text_field(fields.get("lang")) or UNKNOWN_LANGUAGE).lower(),
        version=_text_field(fields.get("version")),
        updated=_text_field(fields.get("updated")),
        topic=_text_field(fields.get("topic")),
        source=source,
    )


# --- sections from Markdown-like text ----------------------------------------------------


def _setext_to_atx(lines: list[str]) -> list[str]:
    """Rewrite underlined headings (`Title` over `====` or `----`) as `#` / `##` lines."""
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        underline = _SETEXT.match(line)
        if (
            underline
            and len(line.strip()) >= 3
            and previous.strip()
            and not previous.lstrip().startswith(("#", "|", "-", "*", ">"))
        ):
            level = "#" if underline.group(1).startswith("=") else "##"
            out[-1] = f"{level} {previous.strip()}"
            continue
        out.append(line)
    return out


def sections_from_markdown(text: str, max_level: int = 3) -> tuple[str, list[Section]]:
    """The first top-level heading (a title) and the sections cut at headings up to `max_level`.

    Headings inside fenced code blocks are text. Paragraphs are blank-line separated blocks;
    list items and table rows stay together in their block.
    """
    lines = _setext_to_atx(text.splitlines())
    title = ""
    trail: list[tuple[int, str]] = []
    sections: list[Section] = []
    paragraphs: list[str] = []
    block: list[str] = []
    in_fence = False

    def close_block() -> None:
        if block:
            paragraph = "\n".join(block).strip()
            if paragraph:
                paragraphs.append(paragraph)
            block.clear()

    def close_section() -> None:
        close_block()
        if paragraphs:
            sections.append(Section(tuple(h for _, h in trail), tuple(paragraphs)))
        paragraphs.clear()

    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
            block.append(line)
            continue
        heading = None if in_fence else _HEADING.match(line)
        if heading and len(heading.group(1)) <= max_level:
            close_section()
            level, name = len(heading.group(1)), heading.group(2).strip()
            if level == 1 and not title:
                title = name
            while trail and trail[-1][0] >= level:
                trail.pop()
            trail.append((level, name))
            continue
        if not line.strip() and not in_fence:
            close_block()
        else:
            block.append(line.rstrip())
    close_section()
    return title, sections


# --- formats ----------------------------------------------------------------------------


class _HTMLToMarkdown(HTMLParser):
    """Keeps headings, paragraphs, list items and table rows; drops scripts and styles."""

    _BLOCKS = frozenset({"p", "div", "section", "article", "br", "ul", "ol", "table", "tr"})
    _SKIP = frozenset({"script", "style", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.meta: dict[str, str] = {}
        self.title = ""
        self.lang = ""
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag == "html":
            self.lang = attributes.get("lang", "")
        elif tag == "meta" and attributes.get("name"):
            self.meta[attributes["name"].lower()] = attributes.get("content", "")
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" | ")
        elif tag in self._BLOCKS:
            self.parts.append("\n\n" if tag != "tr" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag) or tag in ("p", "ul", "ol", "table"):
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self.title += data
            return
        self.parts.append(re.sub(r"\s+", " ", data))

    def markdown(self) -> str:
        text = "".join(self.parts)
        return "\n".join(line.strip() for line in text.splitlines())


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _load_markdown(path: Path, source: str) -> SourceDocument:
    fields, body = split_front_matter(_read_text(path))
    title, sections = sections_from_markdown(body)
    return SourceDocument(_meta(fields, path=path, source=source, title=title), tuple(sections))


def _load_html(path: Path, source: str) -> SourceDocument:
    parser = _HTMLToMarkdown()
    parser.feed(_read_text(path))
    parser.close()
    title, sections = sections_from_markdown(parser.markdown())
    fields: dict[str, Any] = {key: parser.meta.get(key) for key in ("id", "version", "topic")}
    fields["updated"] = parser.meta.get("updated") or parser.meta.get("date")
    fields["lang"] = parser.lang or parser.meta.get("lang")
    fields["title"] = parser.title.strip() or title
    return SourceDocument(_meta(fields, path=path, source=source, title=title), tuple(sections))


def _pdf_field(info: Any, key: str) -> str:
    value = info.get(key) if info is not None else None
    return str(value).strip() if value else ""


def _load_pdf(path: Path, source: str) -> SourceDocument:
    """One section per page (PDFs carry no reliable heading structure); metadata from /Info.

    Custom info keys `/DocId`, `/Version`, `/Updated` and `/Topic` are read when present;
    the language comes from the catalogue's `/Lang`.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        info = reader.metadata
        pages = [page.extract_text() or "" for page in reader.pages]
        catalog = reader.trailer["/Root"].get_object()
        lang = catalog.get("/Lang") if isinstance(catalog, dict) else None
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise DocumentError(f"unreadable PDF ({exc})") from exc
    title = _pdf_field(info, "/Title")
    sections = []
    for number, page_text in enumerate(pages, start=1):
        paragraphs = tuple(p.strip() for p in re.split(r"\n\s*\n", page_text) if p.strip())
        if paragraphs:
            sections.append(Section((title or path.stem, f"Page {number}"), paragraphs))
    fields = {
        "id": _pdf_field(info, "/DocId"),
        "title": title,
        "lang": str(lang) if lang else "",
        "version": _pdf_field(info, "/Version"),
        "updated": _pdf_field(info, "/Updated"),
        "topic": _pdf_field(info, "/Topic"),
    }
    return SourceDocument(_meta(fields, path=path, source=source, title=title), tuple(sections))


def _load_text(path: Path, source: str) -> SourceDocument:
    return _load_markdown(path, source)


_LOADERS = {"markdown": _load_markdown, "html": _load_html, "pdf": _load_pdf, "text": _load_text}


def load_document(path: Path, source: str | None = None) -> SourceDocument:
    """Read one file; raise `DocumentError` with a reason a person can act on."""
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DocumentError(f"unsupported file type {path.suffix or '(none)'!r}")
    try:
        if path.stat().st_size == 0:
            raise DocumentError("empty file")
        document = _LOADERS[kind](path, source or path.name)
    except PermissionError as exc:
        raise DocumentError("permission denied") from exc
    except OSError as exc:
        raise DocumentError(f"cannot read ({exc.strerror or exc})") from exc
    if not document.sections:
        raise DocumentError("no text to index (empty after parsing)")
    return document


def iter_files(root: Path) -> Iterator[Path]:
    """Files under `root`, sorted, except names (or folders) starting with `.` or `_`."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith((".", "_")) for part in relative.parts):
            continue
        if path.is_file():
            yield path


def load_folder(root: Path) -> LoadedFolder:
    """Every usable document under `root`, and every other file with the reason it was skipped."""
    loaded = LoadedFolder()
    seen: dict[str, str] = {}
    base = root if root.is_dir() else root.parent
    for path in iter_files(root):
        source = path.relative_to(base).as_posix()
        try:
            document = load_document(path, source)
        except DocumentError as exc:
            loaded.skipped.append(SkippedFile(source, str(exc)))
            continue
        first = seen.get(document.meta.doc_id)
        if first is not None:
            reason = f"duplicate document id {document.meta.doc_id!r} (already in {first})"
            loaded.skipped.append(SkippedFile(source, reason))
            continue
        seen[document.meta.doc_id] = source
        loaded.documents.append(document)
    return loaded
