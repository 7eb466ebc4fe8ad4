"""Command-line tools of the kernel: `flask users create-admin`, `flask audit verify`."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from core.accounts import Role, User
from core.audit import describe, set_actor, verify_chain
from extensions import db

users_cli = AppGroup("users", help="Người dùng.")
audit_cli = AppGroup("audit", help="Nhật ký thay đổi.")


@users_cli.command("create-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--full-name", default="Quản trị hệ thống", show_default=True)
@click.password_option("--password", help="Ít nhất 10 ký tự.")
def create_admin(username: str, full_name: str, password: str) -> None:
    """Create the first administrator."""
    if len(password) < 10:
        raise click.UsageError("Mật khẩu cần ít nhất 10 ký tự.")
    if db.session.scalar(db.select(User.id).where(User.username == username.lower())):
        raise click.UsageError(f"Tên đăng nhập {username} đã tồn tại.")
    set_actor(db.session, None, "cli:create-admin")
    user = User(username=username.lower(), full_name=full_name, role=Role.ADMIN)
    user.set_password(password)
    db.session.add(user)
    describe(f"Tạo quản trị viên {username}")
    db.session.commit()
    click.echo(f"Đã tạo quản trị viên «{user.username}».")


@audit_cli.command("verify")
def verify() -> None:
    """Recompute the hash chain of the audit log; exit 1 if an entry was altered or removed."""
    report = verify_chain()
    click.echo(report.message)
    if not report.ok:
        sys.exit(1)


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
