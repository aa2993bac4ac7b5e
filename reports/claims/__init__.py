"""Textbook advice as data (../shared/design/CLAIMS.md): each claim is one declaration
(`declared.CLAIMS`: wording, source, the evidence it needs, its test); `evaluate` turns the
report's evidence into the advice table, one row per place a claim was tested, and one
"inconclusive: not measured (needs ...)" row for a claim nothing in the store could test.

    rows = evaluate(CLAIMS, ReportEvidence(sections, mixes))
"""
from reports.claims.declared import CLAIMS
from reports.claims.model import (
    Claim,
    ClaimRow,
    Finding,
    Needs,
    ReportEvidence,
    SectionEvidence,
    evaluate,
)

__all__ = ["CLAIMS", "Claim", "ClaimRow", "Finding", "Needs", "ReportEvidence",
           "SectionEvidence", "evaluate"]
