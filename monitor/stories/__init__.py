"""One story, many sources: group near-duplicate and cross-language articles about one event.

from monitor.stories import StoryGrouper
grouper = StoryGrouper(db)          # loads the entity table once
decision = grouper.assign(article)  # a stored Article -> its story id (also stored)
"""

from monitor.stories.entities import EntityError, EntityTable
from monitor.stories.features import FEATURES_VERSION, StoryFeatures, extract_features
from monitor.stories.grouping import Comparison, StoryDecision, StoryGrouper, StoryOptions, compare
from monitor.stories.text import article_text_lines, similarity, text_signature

__all__ = [
    "Comparison",
    "EntityError",
    "EntityTable",
    "FEATURES_VERSION",
    "StoryDecision",
    "StoryFeatures",
    "StoryGrouper",
    "StoryOptions",
    "article_text_lines",
    "compare",
    "extract_features",
    "similarity",
    "text_signature",
]
