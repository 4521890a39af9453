"""Signing in and out, and the role checks every organiser and staff view uses."""

from __future__ import annotations

import hashlib
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from app import db, limiter
from events.dbtypes import utcnow
from events.forms import EmptyForm, LoginForm, SetPasswordForm
from events.models import Event, EventRole, User
from events.services import find_user_by_email, role_in_event

bp = Blueprint("auth", __name__)

_DUMMY_HASH: list[str] = []


def init_login(app: Flask, manager: LoginManager) -> None:
    manager.init_app(app)
    manager.login_view = "auth.login"
    manager.login_message = _l("Please sign in to see this page.")
    manager.login_message_category = "info"
    manager.user_loader(_load_user)
    manager.unauthorized_handler(_unauthorized)


def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user and user.active else None


def _unauthorized():
    if wants_json():
        return jsonify(error="unauthorized", message=_("Please sign in.")), 401
    flash(_("Please sign in to see this page."), "info")
    # Only a page can be returned to; a POST target would answer 405 after sign-in.
    target = request.full_path.rstrip("?") if request.method in ("GET", "HEAD") else None
    return redirect(url_for("auth.login", next=target))


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def is_safe_next(target: str | None) -> bool:
    """Only same-site paths: no scheme, no host, no ``//`` or ``/\\`` tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(char) < 32 or char == "\\" for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _account_key() -> str:
    """Rate-limit key for one account; hashed so no address lands in the limiter store."""
    email = (request.form.get("email") or "").strip().lower()
    return "login:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _credentials_failed(response) -> bool:
    """Only a wrong password counts towards the account lock.

    Refusals by the per-address limit or a CSRF failure must not, or one
    blocked address could keep locking other people's accounts.
    """
    return bool(g.get("credentials_failed"))


def _verify(user: User | None, password: str) -> bool:
    """Spend the same hashing time whether or not the account exists."""
    if user is None or not user.password_hash:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(generate_password_hash("not-a-real-password"))
        check_password_hash(_DUMMY_HASH[0], password)
        return False
    return user.check_password(password)


_TOO_MANY = _l("Too many sign-in attempts. Please wait a few minutes and try again.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], error_message=_TOO_MANY
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_credentials_failed,
    error_message=_TOO_MANY,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("events.dashboard"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if _verify(user, form.password.data):
            if not user.active:
                flash(
                    _("This account has been deactivated. Please contact the organisers."), "danger"
                )
                return render_template("auth/login.html", form=form), 403
            return _sign_in(user, form)
        g.credentials_failed = True
        flash(_("The email or password is not correct."), "danger")
    return render_template("auth/login.html", form=form)


def _sign_in(user: User, form: LoginForm):
    chosen_locale = session.get("locale")
    session.clear()  # a fresh session on sign-in: no fixation
    login_user(user, remember=form.remember.data)
    user.last_login_at = utcnow()
    if chosen_locale and not user.locale:
        user.locale = chosen_locale
    session["locale"] = user.locale or chosen_locale
    db.session.commit()
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("events.dashboard"))


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        locale = session.get("locale")
        logout_user()
        session.clear()
        if locale:
            session["locale"] = locale
        flash(_("You have signed out."), "success")
    return redirect(url_for("events.home"))


def event_for_organiser(event_id: int) -> Event:
    """Load an event the current user organises.

    Signed out: off to the login page. No role in this event: 404, exactly as
    if it did not exist, so nobody learns about other organisers' events.
    Staff of the event asking for an organiser page: 403.
    """
    return _event_for(event_id, EventRole.ORGANISER)


def event_for_staff(event_id: int) -> Event:
    """Load an event the current user works on as staff or organiser (same rules)."""
    return _event_for(event_id, EventRole.STAFF)


def _event_for(event_id: int, needed: EventRole) -> Event:
    if not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())
    event = db.get_or_404(Event, event_id)
    role = role_in_event(current_user, event)
    if role is None:
        abort(404)
    if needed is EventRole.ORGANISER and role is not EventRole.ORGANISER:
        abort(403)
    return event


def event_role_required(role: EventRole):
    """Decorate a view taking ``event_id``: it receives the checked ``event`` instead."""
    loader = event_for_organiser if role is EventRole.ORGANISER else event_for_staff

    def decorator(view):
        @wraps(view)
        def wrapped(event_id: int, **kwargs):
            return view(event=loader(event_id), **kwargs)

        return wrapped

    return decorator


# --- one-time set-password links ------------------------------------------------------

PASSWORD_LINK_MAX_AGE = 7 * 24 * 3600


def _password_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="huiwu.set-password")


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does, which makes every link single-use."""
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def password_link(user: User) -> str:
    """A signed link, valid for 7 days, to choose a password for ``user``."""
    token = _password_serializer().dumps([user.id, _password_fingerprint(user)])
    return url_for("auth.set_password", token=token, _external=True)


def _user_for_token(token: str) -> User | None:
    try:
        user_id, fingerprint = _password_serializer().loads(token, max_age=PASSWORD_LINK_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or _password_fingerprint(user) != fingerprint:
        return None
    return user


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def set_password(token: str):
    g.no_store = True
    user = _user_for_token(token)
    if user is None:
        return render_template("auth/set_password_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        flash(_("Your password is set. Please sign in."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)
