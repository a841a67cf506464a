from django import template

from b12care.accounts.sessions import describe_browser

register = template.Library()


@register.filter
def browser_name(user_agent: str) -> str:
    return describe_browser(user_agent or "")
