"""mkdocs hook: warnings count in strict mode even under `--quiet`.

`mkdocs build --strict --quiet` raises the `mkdocs` logger to ERROR, so the link and anchor
warnings never reach the handler that strict mode counts and a broken link builds green.
This hook puts the level back to WARNING (INFO lines stay quiet)."""

import logging
from typing import Any


def on_config(config: Any) -> Any:
    log = logging.getLogger("mkdocs")
    if log.getEffectiveLevel() > logging.WARNING:
        log.setLevel(logging.WARNING)
    return config
