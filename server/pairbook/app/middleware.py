"""What pairbook's ASGI middlewares share: they act on HTTP requests and let the rest pass."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HTTPMiddleware:
    """An ASGI middleware for HTTP requests only; websockets and lifespan pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer or pass on one HTTP request (`self.app` is the rest of the stack)."""
        raise NotImplementedError
