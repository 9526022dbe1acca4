"""Renderers of a :class:`~ptmscope.results.policy.PolicyDecision` (``ptmscope policy check``)."""
