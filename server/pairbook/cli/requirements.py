"""`pairbook requirements`: the packages a notebook's kernel imported, as a requirements file."""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pairbook.cli.console import fail


def add_requirements_parser(commands: Any) -> None:
    requirements = commands.add_parser(
        "requirements",
        help="print the packages a notebook's kernel imported, as a requirements file",
        description="Asks a running pairbook for the distributions (and versions) behind the "
        "modules the notebook's kernel has imported, without the kernel's own machinery.",
    )
    requirements.add_argument("notebook", help="the notebook's path under the served folder")
    requirements.add_argument("--url", default="http://127.0.0.1:8888", help="pairbook's address")
    requirements.add_argument(
        "--token", help="your token (default: $PAIRBOOK_TOKEN; `pairbook token` mints one)"
    )
    requirements.add_argument("-o", "--output", type=Path, help="write here instead of stdout")


def export_requirements(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("PAIRBOOK_TOKEN")
    if not token:
        return fail(
            "no token: pass --token or set PAIRBOOK_TOKEN (`pairbook token DIR` mints an "
            "owner token; only its hash is kept, so none can be read from DIR)"
        )
    url = f"{args.url.rstrip('/')}/api/requirements/{quote(args.notebook)}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
    except urllib.error.HTTPError as exc:
        return fail(f"{args.url} refused: {exc.code} {exc.read().decode(errors='replace')}")
    except OSError as exc:
        return fail(f"cannot reach pairbook at {args.url} ({exc}); is `pairbook serve` running?")
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
