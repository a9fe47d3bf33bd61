"""A notebook's own environment: where its requirements are declared, and the uv-built
virtual environment (cached by the requirements' hash) that a kernel or `pairbook check`
runs in."""

from pairbook.envs.cache import Environment, EnvironmentCache, Progress, default_cache_root
from pairbook.envs.requirements import Requirements, find_requirements

__all__ = [
    "Environment",
    "EnvironmentCache",
    "Progress",
    "Requirements",
    "default_cache_root",
    "find_requirements",
]
