"""The client's address when the app runs behind trusted proxies (settings.PROXIES)."""

from django.conf import settings


def ip_del_cliente(request) -> str | None:
    """REMOTE_ADDR, or behind ``settings.PROXIES`` proxies the address the outermost of them
    saw: each proxy appends its peer to X-Forwarded-For, so it is that many entries from the
    right. Entries further left come from the client and cannot be trusted; with fewer
    entries than proxies (a request that did not come through them), REMOTE_ADDR."""
    proxies = settings.PROXIES
    if proxies > 0:
        cadena = request.META.get("HTTP_X_FORWARDED_FOR", "")
        direcciones = [d.strip() for d in cadena.split(",") if d.strip()]
        if len(direcciones) >= proxies:
            return direcciones[-proxies]
    return request.META.get("REMOTE_ADDR")
