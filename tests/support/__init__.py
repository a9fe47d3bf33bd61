"""Helpers shared by the integration and interop tests: a real server process and clients."""
