"""The static pickle engine, in three parts that never execute what they read.

:mod:`.interpreter` runs opcodes on a symbolic stack and records a trace (what
is imported, called, loaded as a nested payload, and what no pickler writes);
:mod:`.helpers` evaluates the few pure callables attackers use to build names;
:mod:`.judge` turns the trace into findings under the scan policy. Whole files
(stacked streams, trailing data) are read by :mod:`ptmscope.scan.pickles`.
"""
