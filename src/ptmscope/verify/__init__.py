"""``ptmscope verify``: re-measure what a model card claims and report the discrepancies.

Modules: ``engine`` (claims → recipes → verdicts), ``metrics``, ``data``, ``run``
(the model), ``materialize`` (a local folder for the model), ``results``.
"""
