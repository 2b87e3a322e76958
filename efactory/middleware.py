"""Project middleware."""

from django.contrib.auth.middleware import LoginRequiredMiddleware


class LoginObligatorioMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, but public views never load the session.

    Django 5.2 reads ``request.user`` (a session query) before looking at
    ``login_not_required``; /salud/ must answer its JSON 503 even when the database is down
    and the load balancer happens to send a session cookie.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
