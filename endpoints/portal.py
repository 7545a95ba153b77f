"""The clients' portal, ``/portal``: one page, its script and style under static/portal/."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from endpoints import static
from schema.context import State

# Only Causa's own files, no inline script or style; the page is never framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


async def page(request: Request[State]) -> Response:
    answer = static.page("portal")
    answer.headers.update(HEADERS)
    return answer


routes = [Route("/portal", page)]
