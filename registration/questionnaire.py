"""Custom questions of an event: editing them without losing what people answered."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func
from sqlalchemy.orm import selectinload

from app import db
from events import audit
from events.dbtypes import utcnow
from events.errors import RuleError
from events.models import Category, Event, User
from events.setup import copy_row
from registration.models import Answer, Question, QuestionKind

CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)
MAX_OPTIONS = 50


class QuestionError(RuleError):
    """A rule of the question editor refused the change."""


def parse_options(text: str, existing: list[dict]) -> list[dict]:
    """Read one option a line, ``中文 | English``; keep the keys of unchanged options.

    An option keeps its key when its Chinese text is unchanged, so answers
    (which store keys) still point at it; new options get fresh keys.
    """
    known = {option["zh"]: option["key"] for option in existing}
    used = {option["key"] for option in existing}
    next_number = 1 + max((int(key[1:]) for key in used if key[1:].isdigit()), default=0)
    options = []
    for line in text.splitlines():
        zh, _sep, en = (part.strip() for part in line.partition("|"))
        if not zh:
            continue
        if any(option["zh"] == zh for option in options):
            raise QuestionError(
                _l("The option “%(option)s” is listed twice.", option=zh), "options"
            )
        key = known.get(zh)
        if key is None:
            key = f"o{next_number}"
            next_number += 1
        options.append({"key": key, "zh": zh, "en": en or None})
    return options


def options_as_text(options: list[dict]) -> str:
    return "\n".join(f"{o['zh']} | {o['en']}" if o.get("en") else o["zh"] for o in options)


def save_question(
    event: Event, question: Question | None, data: dict, categories: list[Category], actor: User
) -> Question:
    kind = QuestionKind(data["kind"])
    options = []
    if kind in CHOICE_KINDS:
        options = parse_options(data.get("options") or "", question.options if question else [])
        if len(options) < 2:
            raise QuestionError(_l("A choice question needs at least two options."), "options")
        if len(options) > MAX_OPTIONS:
            raise QuestionError(_l("At most %(count)d options.", count=MAX_OPTIONS), "options")
    if any(category.event_id != event.id for category in categories):
        raise QuestionError(_l("Choose categories of this event only."), "categories")
    created = question is None
    if created:
        question = Question(event=event, kind=kind)
        db.session.add(question)
    elif question.kind != kind and has_answers(question):
        raise QuestionError(
            _l("People have answered this question: its type can no longer change."), "kind"
        )
    wording_changed = not created and (
        question.label_zh != data["label_zh"]
        or question.label_en != data["label_en"]
        or question.options != options
    )
    question.kind = kind
    for name in ("label_zh", "label_en", "help_zh", "help_en", "required"):
        setattr(question, name, data[name])
    question.position = data.get("position") or 0
    question.options = options
    question.categories = categories
    if wording_changed:
        question.version += 1
    db.session.flush()
    audit.record(
        "question.created" if created else "question.updated",
        "question",
        question.id,
        event_id=event.id,
        actor=actor,
        version=question.version,
    )
    return question


def has_answers(question: Question) -> bool:
    return bool(
        db.session.execute(
            db.select(func.count(Answer.id)).where(Answer.question_id == question.id)
        ).scalar()
    )


def remove_question(event: Event, question: Question, actor: User) -> bool:
    """Delete a question nobody answered; otherwise retire it and keep the answers.

    Returns True when it was deleted outright.
    """
    answered = has_answers(question)
    audit.record(
        "question.retired" if answered else "question.deleted",
        "question",
        question.id,
        event_id=event.id,
        actor=actor,
    )
    if answered:
        question.active = False
    else:
        db.session.delete(question)
    db.session.flush()
    return not answered


def restore_question(event: Event, question: Question, actor: User) -> None:
    question.active = True
    audit.record("question.restored", "question", question.id, event_id=event.id, actor=actor)
    db.session.flush()


def event_questions(event: Event, *, include_retired: bool = False) -> list[Question]:
    statement = _ALL_QUESTIONS if include_retired else _ACTIVE_QUESTIONS
    return list(db.session.execute(statement, {"event_id": event.id}).scalars())


# Built once: every sign-up page and sign-up asks for the questions. Their
# categories come in one more query, not one per question (``applies_to``).
_ALL_QUESTIONS = (
    db.select(Question)
    .where(Question.event_id == bindparam("event_id"))
    .order_by(Question.position, Question.id)
    .options(selectinload(Question.categories))
)
_ACTIVE_QUESTIONS = _ALL_QUESTIONS.where(Question.active.is_(True))


def copy_questions(
    source: Event, clone: Event, categories: dict[int, Category], shift: timedelta
) -> None:
    """Clone hook: the new edition asks the same active questions."""
    for question in event_questions(source):
        copy_row(
            question,
            event=clone,
            version=1,
            created_at=utcnow(),
            options=[dict(option) for option in question.options],
            categories=[categories[c.id] for c in question.categories if c.id in categories],
        )


# --- asking the questions ------------------------------------------------------------


def questions_for(event: Event, category_id: int | None) -> list[Question]:
    """The active questions asked of a category (all of them when none is chosen yet)."""
    questions = event_questions(event)
    if category_id is None:
        return questions
    return [question for question in questions if question.applies_to(category_id)]


def snapshot_of(question: Question, value) -> dict:
    """The wording the person saw, kept with the answer."""
    snapshot = {"label": {"zh": question.label_zh, "en": question.label_en}}
    if question.kind in CHOICE_KINDS:
        keys = value if isinstance(value, list) else [value]
        snapshot["options"] = {
            option["key"]: {"zh": option["zh"], "en": option.get("en")}
            for option in question.options
            if option["key"] in keys
        }
    return snapshot


def save_answers(registration, answers: dict[Question, object]) -> None:
    """Store or replace answers; empty answers remove an earlier one."""
    if not answers:
        return  # an event without questions: not even a query
    existing = {answer.question_id: answer for answer in registration.answers}
    for question, value in answers.items():
        current = existing.get(question.id)
        if value in (None, "", []):
            if current is not None:
                registration.answers.remove(current)
            continue
        if current is None:
            current = Answer(question=question)
            registration.answers.append(current)
        current.value = value
        current.snapshot = snapshot_of(question, value)
        current.question_version = question.version
        current.answered_at = utcnow()
