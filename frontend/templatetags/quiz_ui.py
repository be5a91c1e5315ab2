from django import template

from frontend.ui_strings import PHASES, catalogue

register = template.Library()


@register.simple_tag
def ui_strings() -> dict[str, str]:
    """The scripts' strings in the active language.

    Use: ``{% ui_strings as s %}{{ s|json_script:"ui-strings" }}`` (see ``_js_strings.html``).
    """
    return catalogue()


@register.filter
def phase_label(phase: str) -> str:
    label = PHASES.get(phase)
    return str(label) if label is not None else phase
