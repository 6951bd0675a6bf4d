"""Fitting and index maintenance: the text model (compound dictionary, typo vocabulary, IDF),
the full refit, and incremental add / update / remove."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from .concept_space import ConceptSpace
from .concepts import ConceptTagger
from .encoder import CachedEncoder, Encoder, normalise
from .features import CHAR_BITS, WORD_BITS, Analysis, Featurizer, HashedIdf
from .grades import grades_of
from .index import Query, Side, posting_meta
from .negation import Marks, word_keys
from .semantic import DenseRows
from .structure import category_factor_table
from .text import CompoundSplitter, TextAnalyzer
from .thesaurus import Thesaurus
from .types import ENGINE_VERSION, KINDS, EngineConfig, PostingDoc

__all__ = ["FittedModel"]


class FittedModel:
    """The fitted text model and the per-kind index; the base the scoring parts build on."""

    def __init__(
        self,
        *,
        thesaurus: Thesaurus | None = None,
        config: EngineConfig | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        # the cache makes every text encoded once per process, however often it is fitted
        self.encoder: CachedEncoder | None = (
            None
            if encoder is None
            else encoder
            if isinstance(encoder, CachedEncoder)
            else CachedEncoder(encoder)
        )
        self.thesaurus = thesaurus
        self.tagger = ConceptTagger(thesaurus) if thesaurus is not None else None
        self.concepts = ConceptSpace(thesaurus)
        self._cat_table = category_factor_table(mismatch=self.config.category_mismatch)
        self._fit_calls = 0
        self._owners: dict[int | str, int] = {}
        self._reset_text_model([])
        self._sides = self._new_sides()

    def _new_sides(self) -> dict[str, Side]:
        dim = self.encoder.dim if self.encoder is not None else 0
        dense = (lambda: DenseRows(dim)) if dim else (lambda: None)
        return {k: Side(len(self.concepts), owners=self._owners, dense=dense()) for k in KINDS}

    @property
    def version(self) -> str:
        """What to store with a match: the scoring version and, if any, the encoder's name."""
        if self.encoder is None:
            return ENGINE_VERSION
        return f"{ENGINE_VERSION}+{self.encoder.name}"

    @staticmethod
    def encoder_text(doc: PostingDoc) -> str:
        """The text a posting is encoded from: title, then description."""
        return f"{doc.title}. {doc.description}" if doc.description else doc.title

    def _encode(self, docs: Sequence[PostingDoc]) -> NDArray[np.float16] | None:
        if self.encoder is None:
            return None
        return self.encoder.encode16([self.encoder_text(d) for d in docs])

    # -- text model ---------------------------------------------------------------------------
    def _reset_text_model(self, corpus_words: Iterable[str]) -> None:
        cfg = self.config
        splitter = CompoundSplitter()
        if self.tagger is not None:
            splitter.add_words(self.tagger.vocabulary)
        splitter.add_words(corpus_words)
        self.analyzer = TextAnalyzer(splitter=splitter)
        self.featurizer = Featurizer(
            self.analyzer,
            self.tagger,
            title_weight=cfg.title_weight,
            part_weight=cfg.part_weight,
            number_weight=cfg.number_weight,
            char_range=(cfg.char_ngram_min, cfg.char_ngram_max),
        )
        self.word_idf = HashedIdf(WORD_BITS)
        self.char_idf = HashedIdf(CHAR_BITS)

    def analyze(self, doc: PostingDoc, *, rule_out: bool = True) -> Analysis:
        """Tokens, features and concepts of a posting (with the current fitted vocabulary).

        ``rule_out=False`` keeps negated terms as ordinary words (symmetric text similarity).
        """
        return self.featurizer.analyze(
            doc.title,
            doc.description or "",
            language=doc.language,
            category=doc.category,
            rule_out=rule_out,
        )

    def _query(
        self,
        doc: PostingDoc,
        analysis: Analysis | None = None,
        vec: NDArray[np.floating] | None = None,
    ) -> Query:
        a = analysis or self.analyze(doc)
        if vec is None:
            enc = self._encode([doc])
            vec = None if enc is None else enc[0]
        return Query(
            doc=doc,
            word=self.word_idf.vector(a.word_tf),
            char=self.char_idf.vector_arrays(a.char_cols, a.char_tf),
            concept=self.concepts.vector(a.tagging.hits),
            meta=posting_meta(doc, self._owners),
            senses=a.tagging.senses,
            fuzzy_text=a.fuzzy_text,
            analysis=a,
            vec=None if vec is None else normalise(np.asarray(vec, np.float32))[0],
            marks=self._marks(a),
        )

    def _marks(self, a: Analysis) -> Marks | None:
        """Grades and ruled-out terms of an analysis, if it has any."""
        if not a.grades and not a.negated:
            return None
        index = self.concepts.index
        return Marks(
            grades=a.grades,
            negated_words=word_keys(t.corrected or t.norm for t in a.negated),
            negated_concepts=frozenset(index[c] for c in a.negated_concepts),
            negated_grades=grades_of(a.negated),
        )

    # -- index maintenance ----------------------------------------------------------------------
    def fit(self, docs: Iterable[PostingDoc]) -> None:
        """Full refit: compound dictionary, typo vocabulary, IDF; then index all docs."""
        from .text import raw_tokens

        self._fit_calls += 1
        docs = [d for d in docs if d.kind in KINDS]
        df: Counter[str] = Counter()
        for d in docs:
            words: set[str] = set()
            for t in raw_tokens(f"{d.title} {d.description or ''}"):
                words.add(t.norm)
                words.update(t.parts)
            # sorted: typo ties go to the first word in vocabulary order; it must not be set order
            df.update(sorted(w for w in words if w.isalpha()))
        cfg = self.config
        self._reset_text_model(w for w, n in df.items() if n >= cfg.min_corpus_word_df)
        typo_vocab: dict[str, int] = {w: n for w, n in df.items() if n >= cfg.typo_min_df}
        if self.tagger is not None:
            for w in sorted(self.tagger.vocabulary):
                typo_vocab.setdefault(w, 1)
        self.analyzer.typo_vocab = typo_vocab
        # pass 1: analyse, keep only what the index needs (not the token lists)
        lite = []
        word_df = np.zeros(1 << WORD_BITS, np.int64)
        char_df = np.zeros(1 << CHAR_BITS, np.int64)
        concept_df: Counter[str] = Counter()
        for d in docs:
            a = self.analyze(d)
            wcols = np.fromiter(a.word_tf.keys(), np.int32, len(a.word_tf))
            wtf = np.fromiter(a.word_tf.values(), np.float32, len(a.word_tf))
            word_df[wcols] += 1
            char_df[a.char_cols] += 1
            hits = {c: h.weight for c, h in a.tagging.hits.items()}
            concept_df.update(hits.keys())
            lite.append(
                (
                    wcols,
                    wtf,
                    a.char_cols,
                    a.char_tf,
                    hits,
                    a.tagging.senses,
                    a.fuzzy_text,
                    self._marks(a),
                )
            )
        self.word_idf.fit_df(word_df, len(docs), max_df=cfg.word_max_df)
        self.char_idf.fit_df(char_df, len(docs), max_df=cfg.char_max_df)
        self.concepts.fit_idf(concept_df, len(docs))
        del word_df, char_df
        # sentence vectors in one batch (texts seen before come from the cache)
        vecs = self._encode(docs)
        # pass 2: weighted, normalised rows into the per-kind index
        self._sides = self._new_sides()
        for i, (d, (wcols, wtf, ccols, ctf, hits, senses, fz, marks)) in enumerate(
            zip(docs, lite, strict=True)
        ):
            self._sides[d.kind].append(
                d,
                self.word_idf.vector_arrays(wcols, wtf),
                self.char_idf.vector_arrays(ccols, ctf),
                self.concepts.vector(hits),
                senses,
                fz,
                marks,
                None if vecs is None else vecs[i],
            )
        del lite
        for side in self._sides.values():
            side.build_main()

    def _append(self, doc: PostingDoc, analysis: Analysis | None = None) -> None:
        if doc.kind not in KINDS:
            raise ValueError(
                f"posting {doc.id!r}: kind must be 'need' or 'offer', not {doc.kind!r}"
            )
        q = self._query(doc, analysis)
        side = self._sides[doc.kind]
        for other in self._sides.values():
            other.remove(doc.id)
        side.append(doc, q.word, q.char, q.concept, q.senses, q.fuzzy_text, q.marks, q.vec)

    def add(self, doc: PostingDoc) -> None:
        """Index one posting with the fixed IDF (no refit, no rescan); replaces a same-id
        posting."""
        self._append(doc)
        self._maybe_compact()

    def update(self, doc: PostingDoc) -> None:
        """Re-index a changed posting (incremental)."""
        self._append(doc)
        self._maybe_compact()

    def remove(self, doc_id: int | str) -> None:
        """Drop a posting from the index (its row is marked dead, compacted later)."""
        for side in self._sides.values():
            side.remove(doc_id)
        self._maybe_compact()

    def _maybe_compact(self) -> None:
        for side in self._sides.values():
            if side.needs_compaction(self.config.compact_ratio):
                side.build_main()

    def __len__(self) -> int:
        return sum(len(s) for s in self._sides.values())

    def __contains__(self, doc_id: object) -> bool:
        return any(doc_id in s.row_of for s in self._sides.values())

    @property
    def fit_count(self) -> int:
        """How many full refits happened (lets tests check that add/update/remove do none)."""
        return self._fit_calls
