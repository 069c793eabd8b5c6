"""The version of truelayer-lifecycle: written here once; the build reads it (hatch)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
