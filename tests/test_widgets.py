"""The faster widgets write exactly what WTForms' own write."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from wtforms import widgets as wtforms_widgets

from app import db
from events import widgets
from events.models import Event
from registration import questionnaire
from registration.models import Question, QuestionKind
from registration.signup_forms import signup_form_class

ATTRIBUTES = [
    {},
    {"name": "name", "id": "name", "type": "text", "value": ""},
    {"value": "<script>\"&'", "class_": "form-control is-invalid", "required": True},
    {"checked": False, "readonly": True, "maxlength": 100, "minlength": 0},
    {"data_question_id": 7, "aria_describedby": "name-help", "for_": "x"},
    {"value": Markup("<b>trusted</b>"), "placeholder": None, "step": 0.5},
    {"value": Markup('a" onmouseover="alert(1)'), "title": Markup("&quot;ok&quot;")},
    {"title": "王立强 <董事长>", "autofocus": False, "lang": "zh-Hans"},
]


@pytest.mark.parametrize("attributes", ATTRIBUTES)
def test_attributes_are_written_as_wtforms_writes_them(attributes):
    assert widgets.html_params(**attributes) == wtforms_widgets.html_params(**attributes)


def test_a_quote_in_trusted_markup_does_not_end_the_attribute():
    written = widgets.html_params(value=Markup('a" onmouseover="alert(1)'))
    assert written == 'value="a&quot; onmouseover=&quot;alert(1)"'


def test_a_twin_keeps_its_widgets_settings():
    twin = widgets.faster_twin(wtforms_widgets.PasswordInput(hide_value=False))
    assert isinstance(twin, wtforms_widgets.PasswordInput) and twin.hide_value is False
    select = wtforms_widgets.Select()
    assert widgets.faster_twin(select) is select  # not one of ours: left as it is


def sign_up_page_with(app, event_id, fast: bool, monkeypatch, data=None) -> str:
    if not fast:
        monkeypatch.setattr(widgets, "faster_twin", lambda widget: widget)
    event = db.session.get(Event, event_id)
    questions = questionnaire.event_questions(event)
    form = signup_form_class(questions)(event=event, questions=questions)
    if data is not None:
        form.validate()
    from flask import render_template

    page = render_template(
        "registration/register.html", event=event, form=form, is_open=True, offer_waitlist=True
    )
    monkeypatch.undo()
    return page


def test_the_sign_up_page_is_the_same_with_fast_widgets(app, make_event, monkeypatch):
    event = make_event()
    with app.app_context():
        for number, kind in enumerate(QuestionKind):
            options = [{"key": "o1", "zh": "甲", "en": "A"}, {"key": "o2", "zh": "乙", "en": None}]
            db.session.add(
                Question(
                    event_id=event.id,
                    kind=kind,
                    label_zh=f"问题{number}<b>",
                    required=bool(number % 2),
                    position=number,
                    options=options,
                )
            )
        db.session.commit()
    bad_input = {"name": '"><script>', "mobile": "abc", "email": "not-an-address", "consent": ""}
    for data in (None, bad_input):
        with app.test_request_context(f"/e/{event.slug}/register", method="POST", data=data or {}):
            fast = sign_up_page_with(app, event.id, True, monkeypatch, data)
            plain = sign_up_page_with(app, event.id, False, monkeypatch, data)
        assert fast == plain
        assert 'class="question"' in fast and "问题0&lt;b&gt;" in fast


def test_sign_up_and_language_forms_use_the_twins(app, make_event):
    from events.forms import LanguageForm

    event = make_event()
    with app.test_request_context("/"):
        form = signup_form_class([])(event=db.session.get(Event, event.id), questions=[])
        language = LanguageForm(formdata=None)
        for widget in (form.name.widget, form.consent.widget, form.category.option_widget):
            assert type(widget) in widgets._FASTER.values()
        assert type(language.locale.widget) in widgets._FASTER.values()
