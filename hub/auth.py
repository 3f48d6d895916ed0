"""Who may log in to the hub: JupyterHub's native authenticator, for the course's roster.

    c.JupyterHub.authenticator_class = "hub.auth.CourseAuthenticator"

Each password lives (bcrypt-hashed) in the hub's database, in the native authenticator's table.
A password comes from one of two places:

- the instructor sets it: `python -m hub add-users --password-file FILE` (`set_passwords`);
- a rostered user chooses it at `/hub/signup`, once: the name is then taken, and only an
  instructor can reset it (`add-users --password-file` again).

Sign-up is for names on the roster only; anyone else is told to ask the instructor.
"""

from __future__ import annotations

import logging
from pathlib import Path

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import SignUpHandler

from autograder.errors import GraderError


class CourseSignUpHandler(SignUpHandler):
    """The sign-up page, saying what really happened (the stock page says "sent to the admin" even
    when the account is usable at once)."""

    def get_result_message(self, user, assume_user_is_human, username_already_taken, confirmation_matches,
                           user_is_admin):
        name = self.get_body_argument("username", "", strip=False)
        if not username_already_taken and not self.authenticator.on_roster(name):
            return "alert-danger", (f"{name!r} is not on this course's roster: ask your instructor to add you "
                                    "(python -m hub add-users), then sign up again.")
        if user is not None and user.is_authorized:
            return "alert-success", "Your account is ready: log in with this name and password."
        return super().get_result_message(user, assume_user_is_human, username_already_taken, confirmation_matches,
                                          user_is_admin)


class CourseAuthenticator(NativeAuthenticator):
    """The native authenticator with sign-up limited to the roster (module docstring)."""

    def on_roster(self, name: str) -> bool:
        """Whether `name` is an allowed user or an admin of this hub."""
        name = self.normalize_username(name)
        return name in self.allowed_users or name in self.admin_users

    def create_user(self, username, password, **kwargs):
        """Create the sign-up's account only for a rostered name (None otherwise)."""
        if not self.on_roster(username):
            return None
        return super().create_user(username, password, **kwargs)

    def get_handlers(self, app):
        return [(path, CourseSignUpHandler if handler is SignUpHandler else handler)
                for path, handler in super().get_handlers(app)]


def read_password_file(path: Path) -> dict[str, str]:
    """`name:password` lines (blank lines and `#` comments skipped), as chpasswd reads them."""
    passwords: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, colon, password = line.partition(":")
        if not colon or not name.strip() or not password:
            raise GraderError(f"{path}:{number}: write each line as name:password")
        passwords[name.strip()] = password
    return passwords


def set_passwords(db_path: Path, passwords: dict[str, str], minimum_length: int) -> None:
    """Set (or reset) each user's password in the hub's database, authorised to log in; the
    database is created when the hub has not run yet, and left readable by root only."""
    import bcrypt
    from jupyterhub import orm
    from nativeauthenticator.orm import UserInfo

    short = [name for name, password in passwords.items() if len(password) < minimum_length]
    if short:
        raise GraderError(f"the passwords of {', '.join(short)} are shorter than {minimum_length} characters: "
                          "choose longer ones (`openssl rand -base64 12` makes one)")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its schema notes are not the instructor's business
    session = orm.new_session_factory(f"sqlite:///{db_path}")()
    try:
        UserInfo.__table__.create(session.get_bind(), checkfirst=True)
        for name, password in passwords.items():
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
            info = UserInfo.find(session, name)
            if info is None:
                session.add(UserInfo(username=name, password=hashed, is_authorized=True))
            else:
                info.password, info.is_authorized = hashed, True
        session.commit()
    finally:
        session.close()
    db_path.chmod(0o600)


def remove_passwords(db_path: Path, names: list[str]) -> None:
    """Delete these users' passwords from the hub's database (they can sign up again only if
    they are put back on the roster)."""
    import sqlite3

    with sqlite3.connect(db_path) as db:
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'users_info'").fetchone():
            db.executemany("DELETE FROM users_info WHERE username = ?", [(name,) for name in names])
