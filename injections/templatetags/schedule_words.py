"""``{{ phase|phase_words }}``: a phase in the same plain words everywhere (injections.describe)."""

from django import template

from injections import describe

register = template.Library()


@register.filter
def phase_words(phase) -> str:
    return describe.phase_in_words(phase, product=True)


@register.filter
def phases_words(phases) -> str:
    return describe.phases_in_words(phases)
