"""The offline rules model (``UWC_MODEL=offline``): understanding, conversation state, policy, answers."""

from graph.offline.model import OfflineRulesModel

__all__ = ["OfflineRulesModel"]
