"""Account pages of our own; sign-in, sign-out and password reset are allauth's."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy


class InviteAcceptView(auth_views.PasswordResetConfirmView):
    """An invited patient chooses a password through a one-time link, then is signed in."""

    template_name = "accounts/invite_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set. Welcome to B12 Care.")
        return response
