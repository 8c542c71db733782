"""Relevance model: is an article about Hanoi–Russia cooperation?

from monitor.relevance import RelevanceModel
model = RelevanceModel.load()          # once per process
j = model.judge(title, body, lead="")  # j.label, j.score, j.reasons
"""

from .model import LABELS, Judgement, Reason, RelevanceModel

__all__ = ["LABELS", "Judgement", "Reason", "RelevanceModel"]
