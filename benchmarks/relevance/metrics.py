"""Scores with ir-measures (trec_eval's code through pytrec_eval), not computed by hand.

MAP, nDCG@10, P@10 and recall@100, averaged over every judged query: a query for which a
system returns nothing counts as 0 (trec_eval -c), instead of being left out of the mean as
pytrec_eval does by default, which would flatter a system that returns nothing.
"""

from __future__ import annotations

import ir_measures
from ir_measures import AP, P, R, nDCG

MEASURES = {"MAP": AP, "nDCG@10": nDCG @ 10, "P@10": P @ 10, "R@100": R @ 100}


def evaluate(qrels: dict[str, dict[str, int]],
             run: dict[str, dict[str, float]]) -> dict[str, float]:
    judged = {q: docs for q, docs in qrels.items() if any(g > 0 for g in docs.values())}
    names = {str(m): name for name, m in MEASURES.items()}
    sums = dict.fromkeys(MEASURES, 0.0)
    filled = {q: docs for q, docs in run.items() if q in judged and docs}
    for metric in ir_measures.iter_calc(list(MEASURES.values()), judged, filled):
        sums[names[str(metric.measure)]] += metric.value
    return {name: round(total / len(judged), 4) for name, total in sums.items()}
