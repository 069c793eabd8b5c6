"""The plugin's tests run inner pytest sessions with ``pytester``."""

pytest_plugins = ("pytester",)
