"""Matching engine: need-offer similarity with explanations (pure library: no Flask, no database).

See ``README.md`` in this folder for the design, the score formula and the measured figures.
"""

from .engine import ENGINE_VERSION, Candidate, Engine, EngineConfig, PostingDoc
from .explain import Explanation
from .thesaurus import Concept, ConceptGroup, Thesaurus, ThesaurusError, load_thesaurus

__all__ = [
    "ENGINE_VERSION",
    "Candidate",
    "Concept",
    "ConceptGroup",
    "Engine",
    "EngineConfig",
    "Explanation",
    "PostingDoc",
    "Thesaurus",
    "ThesaurusError",
    "load_thesaurus",
]
