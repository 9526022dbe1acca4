"""``ptmscope verify``: re-measure what a model card claims and report the discrepancies.

The public function is :func:`ptmscope.verify` (in :mod:`ptmscope.api`); it needs the
``verify`` extra. Modules: ``options`` (data only, importable without the extra),
``engine`` (claims → recipes → verdicts), ``metrics``, ``data``, ``run`` (the model),
``materialize`` (a local folder for the model). The result types are in
:mod:`ptmscope.results.verify`.
"""
