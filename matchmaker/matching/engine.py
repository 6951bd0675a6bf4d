"""The matching engine: an incremental index of postings and the need-offer score.

Score of a need-offer pair (all parts in [0, 1]; see README for the weights)::

    text  = weighted mean of text_word, text_char, concept, fuzzy
            (concept left out when neither posting names a thesaurus concept)
    score = text * category * distance * quantity * availability * (1 - penalty)

Ranking is two-stage: sparse products of the query with the opposite side's matrices give word,
character and concept scores for every indexed posting at once, the structural factors are applied
vectorised, and the best ``candidate_pool`` postings are scored exactly (concept coverage, exclusive
group conflicts, wrong word sense, fuzzy ratio). Pairs beyond the radius are filtered out.

This module is the facade; the parts live in ``types`` (public types), ``sparse`` and ``index``
(storage), ``concept_space``, ``fitting``, ``retrieval``, ``factors`` (structural factors),
``scoring``, ``rematch``, ``candidates`` (explanation glue) and ``similarity`` (STS).
"""

from __future__ import annotations

from .candidates import Candidate
from .rematch import Rematch
from .similarity import Similarity
from .types import ENGINE_VERSION, EngineConfig, PostingDoc

__all__ = ["ENGINE_VERSION", "Candidate", "Engine", "EngineConfig", "PostingDoc"]


class Engine(Rematch, Similarity):
    """Need-offer matching over an incremental index (see module docstring and README).

    ``fit``/``add``/``update``/``remove`` (fitting), ``rank``/``score_pair`` (retrieval),
    ``rank_all`` (rematch), ``similarity`` (STS).
    """
