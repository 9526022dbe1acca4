"""Single source of the version string reported in every result."""

__version__ = "0.1.0"
