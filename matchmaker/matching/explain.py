"""Explanations a network manager can check: shared words, concept links, penalties, bonuses.

An explanation is built on first use (``to_dict()``), not when a candidate is ranked: a rematch
ranks
thousands of pairs, but only the stored suggestions are ever explained.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from .concepts import ConceptHit
from .conflicts import different_grades, exclusion_penalties, grade_penalties
from .features import Analysis, word_col
from .text import fold_words
from .thesaurus import Thesaurus
from .types import PostingDoc

__all__ = ["SEMANTIC_SHOWN", "Explanation", "PairFacts", "build_explanation"]

# the semantic component is named in an explanation from this value on (below it says nothing)
SEMANTIC_SHOWN = 0.3

CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "material": ("Material", "material"),
    "production_capacity": ("Produktionskapazität", "production capacity"),
    "logistics": ("Logistik", "logistics"),
    "storage": ("Lagerung", "storage"),
    "personnel": ("Personal", "staff"),
    "equipment": ("Ausrüstung", "equipment"),
    "services": ("Dienstleistung", "services"),
    "know_how": ("Know-how", "know-how"),
}

RELATION_DE = {
    "synonym": "Synonym",
    "translation": "Übersetzung",
    "abbreviation": "Abkürzung",
    "broader": "Ober-/Unterbegriff",
    "related": "verwandt",
}
RELATION_EN = {
    "synonym": "synonym",
    "translation": "translation",
    "abbreviation": "abbreviation",
    "broader": "broader/narrower term",
    "related": "related",
}
MATCH_DE = {
    "exact": "gleich",
    "inflection": "Wortform",
    "compound": "Wortteil",
    "spelling": "Schreibweise",
}


class Explanation:
    """Why a pair was suggested; computed lazily, then cached. ``to_dict()`` is JSON-safe."""

    def __init__(self, build: Callable[[], dict[str, Any]] | dict[str, Any]) -> None:
        self._build: Callable[[], dict[str, Any]] | None
        if isinstance(build, dict):
            self._data: dict[str, Any] | None = build
            self._build = None
        else:
            self._data = None
            self._build = build

    def to_dict(self) -> dict[str, Any]:
        if self._data is None:
            assert self._build is not None
            self._data = self._build()
            self._build = None
        return self._data

    @property
    def summary_de(self) -> str:
        return str(self.to_dict()["summary_de"])

    @property
    def summary_en(self) -> str:
        return str(self.to_dict()["summary_en"])

    def __repr__(self) -> str:
        return f"Explanation({self.summary_en!r})"


@dataclass(frozen=True)
class PairFacts:
    """What the scorer found for a pair, handed to the explanation builder."""

    score: float
    components: dict[str, float]
    wrong_material: float
    wrong_sense: list[tuple[str, str, str]]  # (word key, need concept, offer concept)
    too_far: bool
    same_owner: bool
    excluded: bool
    wrong_grade: bool
    distance_km: float | None
    quantity_known: bool


def _matched_terms(
    need: Analysis, offer: Analysis, weight: Callable[[int], float]
) -> list[dict[str, Any]]:
    by_norm = {t.norm: t for t in offer.tokens}
    by_stem = {t.stem: t for t in offer.tokens}
    by_part: dict[str, Any] = {}
    for t in offer.tokens:
        for ps in t.part_stems:
            by_part.setdefault(ps, t)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for t in need.tokens:
        if t.stem in seen or _uninformative(t.norm):
            continue
        o = by_norm.get(t.norm)
        kind = "exact"
        key = t.stem
        if o is None:
            o = by_stem.get(t.stem)
            kind = "inflection"
        if o is not None and o.surface.casefold() == t.surface.casefold():
            kind = "exact"
        if o is None and (t.corrected or "") in by_norm:
            o, kind = by_norm[t.corrected or ""], "spelling"
        if o is None:
            o = by_part.get(t.stem)
            kind = "compound"
            if o is None:
                for ps in t.part_stems:
                    o = by_stem.get(ps) or by_part.get(ps)
                    if o is not None:
                        key = ps
                        break
        if o is None and len(t.norm) >= 5 and t.norm.isalpha():
            for cand in offer.tokens:
                if len(cand.norm) >= 5 and fuzz.ratio(t.norm, cand.norm) >= 88:
                    o, kind = cand, "spelling"
                    break
        if o is None:
            continue
        seen.add(t.stem)
        out.append(
            {
                "need": t.surface,
                "offer": o.surface,
                "term": key,
                "match": kind,
                "weight": round(weight(word_col(key)), 3),
            }
        )
    out.sort(key=lambda d: (-d["weight"], d["need"]))
    return out[:10]


# Units and small numbers are shared by many unrelated postings; they explain nothing.
_UNITS = fold_words(
    "mm cm dm m km qm m2 m3 g kg t to l ml stk stück st pcs pc x h std min bar kw kva v a"
)


def _uninformative(norm: str) -> bool:
    return norm in _UNITS or (norm.isdigit() and len(norm) <= 2)


def _relation(need_hit: ConceptHit, offer_hit: ConceptHit) -> str:
    if "abbr" in (need_hit.term_type, offer_hit.term_type):
        return "abbreviation"
    if need_hit.term_type != offer_hit.term_type:
        return "translation"
    return "synonym"


def _label(th: Thesaurus | None, cid: str) -> dict[str, str]:
    if th is None or cid not in th:
        return {"de": cid, "en": cid}
    c = th[cid]
    return {"de": c.label_de, "en": c.label_en}


def _concept_links(need: Analysis, offer: Analysis, th: Thesaurus | None) -> list[dict[str, Any]]:
    if th is None:
        return []
    out: list[dict[str, Any]] = []
    nh, oh = need.tagging.hits, offer.tagging.hits
    for cid, h in sorted(nh.items(), key=lambda kv: -kv[1].weight):
        if cid in oh:
            o = oh[cid]
            if different_grades(h.surface, o.surface):
                continue  # 1.4404 and 1.4301 share a concept but are different materials
            # the same thesaurus term on both sides (also as a compound part) is no synonym
            same = h.surface.casefold() == o.surface.casefold() or h.term == o.term
            out.append(
                {
                    "concept": cid,
                    "label": _label(th, cid),
                    "need_term": h.surface,
                    "offer_term": o.surface,
                    "relation": _relation(h, o),
                    "same_term": same,
                }
            )
            continue
        best: tuple[int, dict[str, Any]] | None = None
        anc = th.ancestors(cid)
        for ocid, o in oh.items():
            oanc = th.ancestors(ocid)
            entry: dict[str, Any] | None = None
            rank = 0
            if cid in oanc:
                entry = {"relation": "broader", "direction": "offer_narrower", "steps": oanc[cid]}
                rank = 3
            elif ocid in anc:
                entry = {"relation": "broader", "direction": "offer_broader", "steps": anc[ocid]}
                rank = 2
            elif ocid in th[cid].related or cid in th[ocid].related:
                entry = {"relation": "related"}
                rank = 1
            if entry is not None and (best is None or rank > best[0]):
                entry.update(
                    concept=cid,
                    label=_label(th, cid),
                    offer_concept=ocid,
                    offer_label=_label(th, ocid),
                    need_term=h.surface,
                    offer_term=o.surface,
                    same_term=False,
                )
                best = (rank, entry)
        if best is not None:
            out.append(best[1])
    return out


def _penalty(code: str, de: str, en: str, value: float) -> dict[str, Any]:
    return {"code": code, "message_de": de, "message_en": en, "value": round(value, 4)}


def build_explanation(
    *,
    need: PostingDoc,
    offer: PostingDoc,
    need_analysis: Analysis,
    offer_analysis: Analysis,
    facts: PairFacts,
    thesaurus: Thesaurus | None,
    word_weight: Callable[[int], float],
) -> dict[str, Any]:
    """The explanation dict of one need-offer pair."""
    comps = facts.components
    matched = _matched_terms(need_analysis, offer_analysis, word_weight)
    links = _concept_links(need_analysis, offer_analysis, thesaurus)
    penalties: list[dict[str, Any]] = []
    bonuses: list[dict[str, Any]] = []
    if facts.wrong_material > 0 and thesaurus is not None:
        pairs = []
        offer_hits = offer_analysis.tagging.hits
        for ncid in need_analysis.tagging.hits:
            anc = thesaurus.ancestors(ncid)
            served = any(
                o == ncid or o in anc or ncid in thesaurus.ancestors(o) for o in offer_hits
            )
            if served:
                continue  # the offer also names this alternative
            for ocid in offer_hits:
                g = thesaurus.conflict(ncid, ocid)
                if g is not None and ocid not in need_analysis.tagging.hits:
                    pairs.append((ncid, ocid, g))
        if pairs:
            n_, o_, g = pairs[0]
            grp = thesaurus.groups[g]
            ln, lo = _label(thesaurus, n_), _label(thesaurus, o_)
            penalties.append(
                _penalty(
                    "wrong_material",
                    f"Andere Ausführung ({grp.label_de}): Angebot {lo['de']}, gesucht {ln['de']}",
                    f"Different alternative ({grp.label_en}): offer is {lo['en']}, "
                    f"need asks for {ln['en']}",
                    facts.wrong_material,
                )
            )
    if facts.wrong_grade:
        penalties += grade_penalties(need_analysis, offer_analysis, 1.0)
    if facts.excluded:
        penalties += exclusion_penalties(need_analysis, offer_analysis, 1.0)
    for key, ncid, ocid in facts.wrong_sense:
        ln, lo = _label(thesaurus, ncid), _label(thesaurus, ocid)
        penalties.append(
            _penalty(
                "wrong_sense",
                f"„{key}“ hat hier zwei Bedeutungen: gesucht {ln['de']}, angeboten {lo['de']}",
                f"“{key}” is used in two senses: need means {ln['en']}, offer means {lo['en']}",
                1.0,
            )
        )
    cat = comps.get("category", 1.0)
    if cat < 1.0 and need.category and offer.category:
        nde, nen = CATEGORY_LABELS.get(need.category, (need.category, need.category))
        ode, oen = CATEGORY_LABELS.get(offer.category, (offer.category, offer.category))
        penalties.append(
            _penalty(
                "category_mismatch",
                f"Andere Kategorie: Bedarf {nde}, Angebot {ode}",
                f"Different category: need {nen}, offer {oen}",
                1.0 - cat,
            )
        )
    if facts.same_owner:
        penalties.append(
            _penalty(
                "same_owner",
                "Bedarf und Angebot stammen vom selben Unternehmen",
                "Need and offer come from the same company",
                1.0,
            )
        )
    dist = facts.distance_km
    if facts.too_far and dist is not None:
        radius = need.radius_km or offer.radius_km
        penalties.append(
            _penalty(
                "too_far",
                f"{dist:.0f} km entfernt, mehr als der Umkreis von {radius:.0f} km",
                f"{dist:.0f} km apart, beyond the radius of {radius:.0f} km",
                1.0,
            )
        )
    elif dist is not None and dist <= 30:
        bonuses.append(
            _penalty("nearby", f"in der Nähe ({dist:.0f} km)", f"nearby ({dist:.0f} km)", 0.0)
        )
    if facts.quantity_known:
        q = comps.get("quantity", 1.0)
        if q < 1.0:
            penalties.append(
                _penalty(
                    "quantity_short",
                    f"Angebot deckt nur {q:.0%} der gesuchten Menge",
                    f"Offer covers only {q:.0%} of the quantity needed",
                    1.0 - q,
                )
            )
        else:
            bonuses.append(_penalty("quantity_ok", "Menge reicht", "Quantity is sufficient", 0.0))
    if comps.get("availability", 1.0) < 1.0:
        penalties.append(
            _penalty(
                "window_mismatch",
                "Verfügbarkeitszeiträume überschneiden sich nicht",
                "Availability windows do not overlap",
                1.0,
            )
        )
    semantic = comps.get("semantic", 0.0)
    meaning = round(semantic, 2) if semantic >= SEMANTIC_SHOWN else None
    summary_de, summary_en = _summaries(matched, links, penalties, bonuses, dist, meaning)
    out = {
        "score": round(facts.score, 4),
        "matched_terms": matched,
        "concepts": links,
        "penalties": penalties,
        "bonuses": bonuses,
        "distance_km": None if dist is None else round(dist, 1),
        "summary_de": summary_de,
        "summary_en": summary_en,
    }
    if meaning is not None:
        # the sentence encoder's judgement of the whole texts: it names no words, so none are
        # claimed
        out["semantic"] = {
            "value": meaning,
            "label_de": "ähnlich in der Bedeutung",
            "label_en": "similar in meaning",
        }
    return out


def _summaries(
    matched: list[dict[str, Any]],
    links: list[dict[str, Any]],
    penalties: list[dict[str, Any]],
    bonuses: list[dict[str, Any]],
    dist: float | None,
    meaning: float | None = None,
) -> tuple[str, str]:
    de: list[str] = []
    en: list[str] = []
    link_de: list[str] = []
    link_en: list[str] = []
    for lk in links:
        if lk.get("same_term"):
            continue
        rel = lk["relation"]
        if rel == "related" and len(link_de) >= 2:
            continue
        sign = "≈" if rel in ("synonym", "translation", "abbreviation") else "~"
        link_de.append(f"{lk['need_term']} {sign} {lk['offer_term']} ({RELATION_DE[rel]})")
        link_en.append(f"{lk['need_term']} {sign} {lk['offer_term']} ({RELATION_EN[rel]})")
    if link_de:
        de.append("Begriffe passen: " + ", ".join(link_de[:4]))
        en.append("Terms match: " + ", ".join(link_en[:4]))
    if matched:
        words = [
            m["need"] if m["match"] == "exact" else f"{m['need']}/{m['offer']}" for m in matched[:5]
        ]
        de.append("gemeinsame Wörter: " + ", ".join(words))
        en.append("shared words: " + ", ".join(words))
    if meaning is not None:
        de.append(f"ähnlich in der Bedeutung ({meaning:.2f})".replace(".", ","))
        en.append(f"similar in meaning ({meaning:.2f})")
    if not de:
        de.append("Nur schwache Textähnlichkeit")
        en.append("Only weak text similarity")
    if dist is not None and not any(p["code"] == "too_far" for p in penalties):
        de.append(f"{dist:.0f} km entfernt")
        en.append(f"{dist:.0f} km apart")
    text_de = "; ".join(de) + "."
    text_en = "; ".join(en) + "."
    if penalties:
        text_de += " Abzug: " + "; ".join(p["message_de"] for p in penalties) + "."
        text_en += " Lowered: " + "; ".join(p["message_en"] for p in penalties) + "."
    return text_de, text_en
