"""truelayer-lifecycle's shell: HTTP client, local sandbox, stores and the CLI.

Adapters perform the core's effects and feed the outcomes back as inputs; they never
decide a status themselves.
"""

__all__: list[str] = []
