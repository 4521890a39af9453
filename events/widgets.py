"""Form widgets that write their HTML attributes faster, with the same output.

WTForms formats every attribute through ``Markup('{}="{}"').format``, a
pass of Python's string formatter with escaping hooks, and a form of a dozen
fields has about a hundred attributes: that was two fifths of the time of
rendering the public sign-up page, which every person of a registration
rush loads and, when the category is full, gets again. ``html_params`` is
the widgets' documented point of extension; the widgets here only replace
it with plain escaping and an f-string. The output is the same, byte for
byte (``tests/test_widgets.py`` compares them).

Forms opt in with ``class Meta(FastWidgets)``.
"""

from __future__ import annotations

from markupsafe import escape
from wtforms import widgets
from wtforms.meta import DefaultMeta
from wtforms.widgets.core import clean_key


def html_params(**kwargs) -> str:
    """As :func:`wtforms.widgets.html_params`: sorted, ``True`` bare, ``False`` left out."""
    parts = []
    for key, value in sorted(kwargs.items()):
        if value is False:
            continue
        name = escape(clean_key(key))
        if value is True:
            parts.append(name)
        else:
            # Markup values are not escaped again, but a quote would still end the attribute.
            parts.append(f'{name}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return " ".join(parts)


def _faster(widget_class: type) -> type:
    return type(widget_class.__name__, (widget_class,), {"html_params": staticmethod(html_params)})


#: WTForms' widget classes that take ``html_params`` from the class, and their faster twins.
_FASTER = {
    widget_class: _faster(widget_class)
    for widget_class in (
        widgets.TextInput,
        widgets.EmailInput,
        widgets.TelInput,
        widgets.URLInput,
        widgets.NumberInput,
        widgets.DateInput,
        widgets.PasswordInput,
        widgets.HiddenInput,
        widgets.CheckboxInput,
        widgets.RadioInput,
        widgets.SubmitInput,
    )
}


def faster_twin(widget):
    """The same widget with the faster ``html_params``, or ``widget`` itself."""
    twin_class = _FASTER.get(type(widget))
    if twin_class is None:
        return widget
    twin = twin_class.__new__(twin_class)
    twin.__dict__.update(widget.__dict__)  # e.g. PasswordInput's hide_value
    return twin


class FastWidgets(DefaultMeta):
    """Form ``Meta``: bound fields get the faster twins of their widgets."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        field.widget = faster_twin(field.widget)
        option_widget = getattr(field, "option_widget", None)
        if option_widget is not None:  # radio buttons and check boxes of a list
            field.option_widget = faster_twin(option_widget)
        return field
