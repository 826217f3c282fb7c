"""Security headers on every answer: a CSP without inline scripts, no framing, no sniffing."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_security_policy() -> str:
    cfg = current_app.config
    script_src = ["'self'"]
    frame_src = ["'self'"]
    connect_src = ["'self'"]
    stripe = _origin(cfg.get("STRIPE_JS_URL")) if cfg.get("STRIPE_SECRET_KEY") else None
    if stripe:
        script_src.append(stripe)
        frame_src.append(stripe)
        connect_src.append(stripe)
    api = _origin(cfg.get("STRIPE_API_BASE")) if cfg.get("STRIPE_SECRET_KEY") else None
    if api and api not in connect_src:
        connect_src.append(api)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {' '.join(script_src)}",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {' '.join(connect_src)}",
            f"frame-src {' '.join(frame_src)}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy())
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
            headers.setdefault("X-Frame-Options", "DENY")  # embeddable pages set their own CSP
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if current_app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
