"""Template tags of the alerts app: the unread-message badge in the navigation.

A template tag (not a context processor) so only pages that show the nav pay for the query."""

from django import template

from b12care.alerts.selectors import unread_count_once

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_messages(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return unread_count_once(user)
