"""Model selection: rank the candidates for a task (``select``) and compare them side by side.

Each stage is a module beside this one: :mod:`ptmscope.selection.select` ranks a task's
candidates from a study database alone (the registry stage: nothing is downloaded).
"""
