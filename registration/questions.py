"""The organiser's editor for an event's custom registration questions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import db
from events.auth import event_role_required
from events.errors import show_on_form
from events.forms import EmptyForm
from events.models import Category, Event, EventRole
from registration import questionnaire
from registration.models import Question
from registration.question_forms import QuestionForm

bp = Blueprint("questions", __name__, url_prefix="/manage")


def _question_of(event: Event, question_id: int) -> Question:
    question = db.get_or_404(Question, question_id)
    if question.event_id != event.id:
        abort(404)
    return question


def _chosen_categories(form: QuestionForm) -> list[Category]:
    ids = form.categories.data or []
    if not ids:
        return []
    return list(db.session.execute(db.select(Category).where(Category.id.in_(ids))).scalars())


def _save(event: Event, question: Question | None, form: QuestionForm) -> Question | None:
    """Run the service; on a rule's refusal show it at its field and return None."""
    try:
        return questionnaire.save_question(
            event, question, form.data, _chosen_categories(form), current_user
        )
    except questionnaire.QuestionError as error:
        show_on_form(form, error)
        return None


@bp.route("/<int:event_id>/questions", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def index(event: Event):
    form = QuestionForm(event=event)
    if form.validate_on_submit() and _save(event, None, form) is not None:
        db.session.commit()
        flash(_("Question added."), "success")
        return redirect(url_for("questions.index", event_id=event.id))
    questions = questionnaire.event_questions(event, include_retired=True)
    return render_template(
        "questions/index.html", event=event, form=form, questions=questions, action_form=EmptyForm()
    )


@bp.route("/<int:event_id>/questions/<int:question_id>", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def edit(event: Event, question_id: int):
    question = _question_of(event, question_id)
    form = QuestionForm(event=event, obj=question if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = question.kind.value
        form.options.data = questionnaire.options_as_text(question.options)
        form.categories.data = [category.id for category in question.categories]
    if form.validate_on_submit() and _save(event, question, form) is not None:
        db.session.commit()
        flash(_("Question saved."), "success")
        return redirect(url_for("questions.index", event_id=event.id))
    return render_template("questions/edit.html", event=event, form=form, question=question)


@bp.post("/<int:event_id>/questions/<int:question_id>/remove")
@event_role_required(EventRole.ORGANISER)
def remove(event: Event, question_id: int):
    question = _question_of(event, question_id)
    if EmptyForm().validate_on_submit():
        deleted = questionnaire.remove_question(event, question, current_user)
        db.session.commit()
        flash(
            _("Question deleted.")
            if deleted
            else _("People have answered this question: it is retired and their answers are kept."),
            "success",
        )
    return redirect(url_for("questions.index", event_id=event.id))


@bp.post("/<int:event_id>/questions/<int:question_id>/restore")
@event_role_required(EventRole.ORGANISER)
def restore(event: Event, question_id: int):
    question = _question_of(event, question_id)
    if EmptyForm().validate_on_submit():
        questionnaire.restore_question(event, question, current_user)
        db.session.commit()
        flash(_("Question asked again."), "success")
    return redirect(url_for("questions.index", event_id=event.id))
