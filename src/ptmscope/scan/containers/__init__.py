"""Readers for the containers model files come in, each told from content alone.

Each module holds one format family's reader and its
:class:`~ptmscope.scan.containers.base.Container`; their order is in
:mod:`ptmscope.scan.registry`.
"""
