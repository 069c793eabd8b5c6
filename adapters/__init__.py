"""truelayer-lifecycle's shell: HTTP client, local sandbox, stores and the CLI.

Adapters perform the core's effects and feed the outcomes back as inputs; they never
decide a status themselves.
"""

from ._version import __version__

__all__ = ["__version__"]
