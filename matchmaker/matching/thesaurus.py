"""Domain thesaurus: loading and validating the YAML files, and the concept relations the
engine uses.

The thesaurus is data, not code: a folder of ``*.yaml`` files (see
``data/thesaurus/README.md``) that
can be edited and reloaded without touching the engine. Invalid content fails loudly with the
file and
the concept id, because a silently skipped concept would only show up as worse matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CATEGORIES",
    "Concept",
    "ConceptGroup",
    "Thesaurus",
    "ThesaurusError",
    "load_thesaurus",
]

CATEGORIES: tuple[str, ...] = (
    "material",
    "production_capacity",
    "logistics",
    "storage",
    "personnel",
    "equipment",
    "services",
    "know_how",
)

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_CONCEPT_KEYS = frozenset(
    {"id", "label", "group", "broader", "related", "categories", "de", "en", "abbr", "context"}
)
_IGNORED_KEYS = frozenset({"note", "notes", "comment", "description", "example", "examples"})
_GROUP_KEYS = frozenset({"exclusive", "label"})


class ThesaurusError(ValueError):
    """Invalid thesaurus content; the message names the file and, where known, the concept id."""


@dataclass(frozen=True, slots=True)
class ConceptGroup:
    """A set of concepts; in an exclusive group the members are alternatives (steel vs
    aluminium)."""

    id: str
    exclusive: bool
    label_de: str
    label_en: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class Concept:
    """One thing postings talk about, with its terms in German, English and abbreviations."""

    id: str
    label_de: str
    label_en: str
    group: str | None = None
    broader: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    de: tuple[str, ...] = ()
    en: tuple[str, ...] = ()
    abbr: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    source: str = ""

    def terms(self) -> Iterator[tuple[str, str]]:
        """(term, type) pairs; type is de, en or abbr."""
        for t in self.de:
            yield t, "de"
        for t in self.en:
            yield t, "en"
        for t in self.abbr:
            yield t, "abbr"


class Thesaurus:
    """Concepts and groups with precomputed hierarchy lookups."""

    def __init__(
        self,
        concepts: Iterable[Concept],
        groups: Iterable[ConceptGroup] = (),
        *,
        source: str = "",
    ) -> None:
        self.concepts: dict[str, Concept] = {}
        for c in concepts:
            if c.id in self.concepts:
                prev = self.concepts[c.id].source
                where = c.source or source
                raise ThesaurusError(
                    f"{where}: concept {c.id!r}: duplicate id (also in {prev or source})"
                )
            self.concepts[c.id] = c
        self.groups: dict[str, ConceptGroup] = {g.id: g for g in groups}
        self.source = source
        self._validate_links()
        self._children: dict[str, list[str]] = {cid: [] for cid in self.concepts}
        for c in self.concepts.values():
            for b in c.broader:
                self._children[b].append(c.id)
        self._ancestors: dict[str, dict[str, int]] = {}
        for cid in self.concepts:
            self._ancestors[cid] = self._walk_up(cid)

    def _validate_links(self) -> None:
        for c in self.concepts.values():
            where = f"{c.source or self.source}: concept {c.id!r}"
            for b in c.broader:
                if b not in self.concepts:
                    raise ThesaurusError(f"{where}: broader concept {b!r} does not exist")
                if b == c.id:
                    raise ThesaurusError(f"{where}: concept is its own broader concept")
            for r in c.related:
                if r not in self.concepts:
                    raise ThesaurusError(f"{where}: related concept {r!r} does not exist")
            if c.group is not None and c.group not in self.groups:
                raise ThesaurusError(f"{where}: group {c.group!r} is not defined in any file")
        # cycles in broader links
        state: dict[str, int] = {}

        def visit(cid: str, path: list[str]) -> None:
            if state.get(cid) == 2:
                return
            if state.get(cid) == 1:
                cyc = " -> ".join([*path[path.index(cid) :], cid])
                src = self.concepts[cid].source or self.source
                raise ThesaurusError(f"{src}: concept {cid!r}: broader links form a cycle: {cyc}")
            state[cid] = 1
            for b in self.concepts[cid].broader:
                visit(b, [*path, cid])
            state[cid] = 2

        for cid in self.concepts:
            visit(cid, [])

    def _walk_up(self, cid: str) -> dict[str, int]:
        out: dict[str, int] = {}
        frontier = [(b, 1) for b in self.concepts[cid].broader]
        while frontier:
            b, d = frontier.pop()
            if b in out and out[b] <= d:
                continue
            out[b] = d
            frontier.extend((bb, d + 1) for bb in self.concepts[b].broader)
        return out

    def __len__(self) -> int:
        return len(self.concepts)

    def __contains__(self, cid: object) -> bool:
        return cid in self.concepts

    def __getitem__(self, cid: str) -> Concept:
        return self.concepts[cid]

    def ancestors(self, cid: str) -> Mapping[str, int]:
        """Broader concepts of ``cid`` (transitively) with their distance."""
        return self._ancestors[cid]

    def children(self, cid: str) -> list[str]:
        """Concepts whose broader concept is ``cid``."""
        return self._children[cid]

    def exclusive_signature(self, cid: str) -> dict[str, str]:
        """For each exclusive group ``cid`` or one of its ancestors is in, the most specific
        member."""
        sig: dict[str, str] = {}
        chain = [(cid, 0), *sorted(self._ancestors[cid].items(), key=lambda kv: kv[1])]
        for c, _ in chain:
            g = self.concepts[c].group
            if g is not None and self.groups[g].exclusive and g not in sig:
                sig[g] = c
        return sig

    def conflict(self, a: str, b: str) -> str | None:
        """The exclusive group in which ``a`` and ``b`` are different alternatives, if any.

        Stainless steel vs aluminium conflict (both metal alloys); steel vs stainless steel do not
        (one is the broader concept of the other).
        """
        if a == b or b in self._ancestors[a] or a in self._ancestors[b]:
            return None
        sa, sb = self.exclusive_signature(a), self.exclusive_signature(b)
        for g, ma in sa.items():
            mb = sb.get(g)
            if (
                mb is not None
                and ma != mb
                and mb not in self._ancestors[ma]
                and ma not in self._ancestors[mb]
            ):
                return g
        return None


def _as_str_list(value: Any, *, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ThesaurusError(
            f"{where}: {key!r} must be a list of strings, got {type(value).__name__}"
        )
    out: list[str] = []
    for item in value:
        if isinstance(item, bool | float):
            raise ThesaurusError(
                f'{where}: {key!r} entry {item!r} must be a string (quote numbers like "1.4301")'
            )
        if isinstance(item, int):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            raise ThesaurusError(f"{where}: {key!r} entry {item!r} must be a non-empty string")
        out.append(item.strip())
    return tuple(out)


def _label(value: Any, *, where: str) -> tuple[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("de"), str):
        raise ThesaurusError(f"{where}: 'label' must be a mapping with 'de' and 'en' strings")
    if not isinstance(value.get("en"), str):
        raise ThesaurusError(f"{where}: 'label' must be a mapping with 'de' and 'en' strings")
    return value["de"], value["en"]


def _parse_concept(raw: Any, *, src: str, index: int) -> Concept:
    if not isinstance(raw, dict):
        raise ThesaurusError(f"{src}: concept #{index + 1} must be a mapping")
    cid = raw.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise ThesaurusError(
            f"{src}: concept #{index + 1}: 'id' must be a lower-case identifier, got {cid!r}"
        )
    where = f"{src}: concept {cid!r}"
    unknown = set(raw) - _CONCEPT_KEYS - _IGNORED_KEYS
    if unknown:
        raise ThesaurusError(
            f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_CONCEPT_KEYS)}"
        )
    if "label" not in raw:
        raise ThesaurusError(f"{where}: missing 'label'")
    label_de, label_en = _label(raw["label"], where=where)
    group = raw.get("group")
    if group is not None and not isinstance(group, str):
        raise ThesaurusError(f"{where}: 'group' must be a string")
    categories = _as_str_list(raw.get("categories"), where=where, key="categories")
    for cat in categories:
        if cat not in CATEGORIES:
            raise ThesaurusError(f"{where}: unknown category {cat!r}; known: {list(CATEGORIES)}")
    concept = Concept(
        id=cid,
        label_de=label_de,
        label_en=label_en,
        group=group,
        broader=_as_str_list(raw.get("broader"), where=where, key="broader"),
        related=_as_str_list(raw.get("related"), where=where, key="related"),
        categories=categories,
        de=_as_str_list(raw.get("de"), where=where, key="de"),
        en=_as_str_list(raw.get("en"), where=where, key="en"),
        abbr=_as_str_list(raw.get("abbr"), where=where, key="abbr"),
        context=_as_str_list(raw.get("context"), where=where, key="context"),
        source=src,
    )
    if not (concept.de or concept.en or concept.abbr):
        raise ThesaurusError(f"{where}: no terms (give at least one of 'de', 'en', 'abbr')")
    return concept


def _parse_file(path: Path) -> tuple[list[Concept], list[ConceptGroup]]:
    src = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ThesaurusError(f"{src}:{line}: invalid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ThesaurusError(f"{src}: not UTF-8 text: {exc}") from exc
    if data is None:
        return [], []
    if not isinstance(data, dict):
        raise ThesaurusError(f"{src}: top level must be a mapping with 'groups' and 'concepts'")
    unknown = set(data) - {"groups", "concepts"}
    if unknown:
        raise ThesaurusError(f"{src}: unknown top-level key(s) {sorted(unknown)}")
    groups: list[ConceptGroup] = []
    raw_groups = data.get("groups") or {}
    if not isinstance(raw_groups, dict):
        raise ThesaurusError(f"{src}: 'groups' must be a mapping of group id to settings")
    for gid, graw in raw_groups.items():
        where = f"{src}: group {gid!r}"
        if not isinstance(gid, str) or not _ID.match(gid):
            raise ThesaurusError(f"{where}: group id must be a lower-case identifier")
        if not isinstance(graw, dict):
            raise ThesaurusError(f"{where}: must be a mapping with 'exclusive' and 'label'")
        unknown = set(graw) - _GROUP_KEYS - _IGNORED_KEYS
        if unknown:
            raise ThesaurusError(f"{where}: unknown key(s) {sorted(unknown)}")
        exclusive = graw.get("exclusive", False)
        if not isinstance(exclusive, bool):
            raise ThesaurusError(f"{where}: 'exclusive' must be true or false")
        lde, len_ = _label(graw.get("label"), where=where)
        groups.append(ConceptGroup(gid, exclusive, lde, len_, src))
    raw_concepts = data.get("concepts") or []
    if not isinstance(raw_concepts, list):
        raise ThesaurusError(f"{src}: 'concepts' must be a list")
    concepts = [_parse_concept(c, src=src, index=i) for i, c in enumerate(raw_concepts)]
    return concepts, groups


def load_thesaurus(path: Path | str) -> Thesaurus:
    """Load every ``*.yaml`` file of a folder (or one file); call again to reload after edits."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
    elif path.is_file():
        files = [path]
    else:
        raise ThesaurusError(f"{path}: no such thesaurus file or folder")
    if not files:
        raise ThesaurusError(f"{path}: folder contains no *.yaml files")
    concepts: list[Concept] = []
    groups: dict[str, ConceptGroup] = {}
    for f in files:
        cs, gs = _parse_file(f)
        for g in gs:
            prev = groups.get(g.id)
            if prev is not None and (prev.exclusive, prev.label_de, prev.label_en) != (
                g.exclusive,
                g.label_de,
                g.label_en,
            ):
                raise ThesaurusError(f"{f}: group {g.id!r}: defined differently in {prev.source}")
            groups.setdefault(g.id, g)
        concepts.extend(cs)
    return Thesaurus(concepts, groups.values(), source=str(path))
