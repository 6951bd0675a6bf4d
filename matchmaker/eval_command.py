"""``matchmaker eval``: measure the matching engine against the baselines.

Kept outside ``matchmaker.matching`` (which has no CLI dependencies) and importing only that
library.
Register with ``matchmaker.cli.register(eval_command)``; also runs as ``python -m
matchmaker.eval_command``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from matchmaker.config import load_settings
from matchmaker.matching import Engine, EngineConfig, ThesaurusError, load_thesaurus
from matchmaker.matching.encoder import ENCODER_KINDS, CachedEncoder, EncoderError, shared_encoder
from matchmaker.matching.evaluation import (
    EvalDataError,
    evaluate_pairs,
    evaluate_rankings,
    load_id_list,
    load_judgments,
    load_pairs,
    load_postings,
)

__all__ = ["default_thesaurus_path", "eval_command"]

SEMANTIC_ENGINE = "engine+encoder"


def default_thesaurus_path() -> Path | None:
    """The configured thesaurus folder (``MATCHMAKER_THESAURUS_PATH``)."""
    path = load_settings().thesaurus_path
    return path if path.is_dir() and any(path.glob("*.yaml")) else None


_PathArg = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("eval")
@click.option("--postings", type=_PathArg, help="postings.jsonl (needs and offers).")
@click.option("--judgments", type=_PathArg, help="judgments.jsonl (need, offer, grade 1-3).")
@click.option("--needs", "needs_file", type=_PathArg, help="Only these need ids (one per line).")
@click.option(
    "--exclude-needs", "exclude_file", type=_PathArg, help="Drop these need ids (one per line)."
)
@click.option("--pairs", type=_PathArg, help="CSV text_a,text_b,score without header (STS).")
@click.option(
    "--thesaurus",
    "thesaurus_dir",
    type=click.Path(exists=True, path_type=Path),
    help="Thesaurus folder (default: MATCHMAKER_THESAURUS_PATH, i.e. data/thesaurus).",
)
@click.option(
    "--encoder",
    "encoder_kind",
    type=click.Choice(ENCODER_KINDS),
    default=None,
    help="Sentence encoder (default: MATCHMAKER_ENCODER); 'none' measures without it.",
)
@click.option(
    "--encoder-path",
    default=None,
    help="Model folder for --encoder sentence-transformers (default: MATCHMAKER_ENCODER_PATH).",
)
def eval_command(
    postings: Path | None,
    judgments: Path | None,
    needs_file: Path | None,
    exclude_file: Path | None,
    pairs: Path | None,
    thesaurus_dir: Path | None,
    encoder_kind: str | None,
    encoder_path: str | None,
) -> None:
    """Rank every need's offers (or score sentence pairs) with the engine and the baselines.

    In one run: ``engine`` (words and thesaurus), ``engine+encoder`` (with the semantic
    component), ``encoder`` (the sentence encoder alone) and the baselines; the encoder methods
    only when an encoder is configured. Prints JSON: nDCG@10, MRR, P@1, recall@10 per method, or
    Spearman per method with --pairs.
    """
    if pairs is None and (postings is None or judgments is None):
        raise click.UsageError("give --postings and --judgments, or --pairs")
    if pairs is not None and (postings is not None or judgments is not None):
        raise click.UsageError("--pairs cannot be combined with --postings/--judgments")
    try:
        th_path = thesaurus_dir or default_thesaurus_path()
        thesaurus = load_thesaurus(th_path) if th_path is not None else None
    except ThesaurusError as exc:
        raise click.ClickException(f"invalid thesaurus: {exc}") from exc

    settings = load_settings()
    try:
        encoder: CachedEncoder | None = shared_encoder(
            encoder_kind or settings.encoder,
            settings.encoder_path if encoder_path is None else encoder_path,
        )
    except EncoderError as exc:
        raise click.ClickException(f"encoder: {exc}") from exc

    def factory() -> Engine:
        return Engine(thesaurus=thesaurus, config=EngineConfig())

    engines = {"engine": factory}
    if encoder is not None:
        enc = encoder

        def semantic_factory() -> Engine:
            return Engine(thesaurus=thesaurus, config=EngineConfig(), encoder=enc)

        engines[SEMANTIC_ENGINE] = semantic_factory

    try:
        if pairs is not None:
            result = evaluate_pairs(pairs=load_pairs(pairs), engines=engines, encoder=encoder)
        else:
            assert postings is not None and judgments is not None
            docs = load_postings(postings)
            judged = load_judgments(judgments, docs)
            need_ids = [str(d.id) for d in docs if d.kind == "need"]
            known = set(need_ids)
            for f, keep in ((needs_file, True), (exclude_file, False)):
                if f is None:
                    continue
                listed = load_id_list(f)
                unknown = [i for i in listed if i not in known]
                if unknown:
                    raise EvalDataError(f"{f}: unknown need id(s): {', '.join(unknown[:5])}")
                chosen = set(listed)
                need_ids = [i for i in need_ids if (i in chosen) == keep]
            result = evaluate_rankings(
                postings=docs, judgments=judged, need_ids=need_ids, engines=engines, encoder=encoder
            ).to_dict()
    except EvalDataError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from exc
    click.echo(json.dumps(result, indent=2))


if __name__ == "__main__":  # pragma: no cover
    eval_command()
