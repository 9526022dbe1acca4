"""What every command returns, as plain data.

These modules import nothing heavier than the standard library and the package
snapshot types, so rendering a stored result never loads a source, the scanner
or a model. ``scan`` and ``verify`` sit below :mod:`ptmscope.package` (a package
holds its scans and verifications); ``audit`` and ``study`` sit above it.
"""
