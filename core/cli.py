"""Command-line tools of the kernel: `flask users create-admin`, `flask users prune-login-attempts`, `flask audit verify`,
`flask audit anchor`, `flask idempotency prune`."""
from __future__ import annotations

import sys
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from core.accounts import LoginAttempt, Role, User
from core.audit import INSTALLATION, AuditHead, anchor, describe, set_actor, verify_chain
from core.idempotency import KEEP_DAYS, prune
from core.models import District
from core.vietnamese import utcnow
from extensions import db

users_cli = AppGroup("users", help="Người dùng.")
audit_cli = AppGroup("audit", help="Nhật ký thay đổi.")
idempotency_cli = AppGroup("idempotency", help="Mã chống gửi trùng của các biểu mẫu.")


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


@users_cli.command("prune-login-attempts")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3650),
              help="Giữ các lần đăng nhập trong chừng ấy ngày gần nhất.")
def prune_login_attempts(days: int) -> None:
    """Delete login attempts older than DAYS: every attempt is recorded (the throttle reads only the last hour), so
    the table grows with every election Sunday; run it from cron."""
    cutoff = utcnow() - timedelta(days=days)
    old = LoginAttempt.at < cutoff
    removed = db.session.scalar(sa.select(sa.func.count(LoginAttempt.id)).where(old))
    db.session.execute(sa.delete(LoginAttempt).where(old))
    db.session.commit()
    click.echo(f"Đã xoá {removed} lần đăng nhập cũ hơn {days} ngày.")


@idempotency_cli.command("prune")
@click.option("--days", default=KEEP_DAYS, show_default=True, type=click.IntRange(1, 3650),
              help="Giữ các mã trong chừng ấy ngày gần nhất.")
def prune_idempotency(days: int) -> None:
    """Delete the idempotency records of form submissions older than DAYS: a phone retries a form within hours,
    so the records are needed only for a few days; run it from cron."""
    removed = prune(days)
    click.echo(f"Đã xoá {removed} mã chống gửi trùng cũ hơn {days} ngày.")


@audit_cli.command("verify")
def verify() -> None:
    """Recompute every hash chain of the audit log (one per commune, district and the installation's) and check
    every anchor; exit 1 if an entry was altered, removed or rewritten."""
    report = verify_chain()
    click.echo(report.message)
    if not report.ok:
        sys.exit(1)


@audit_cli.command("anchor")
def anchor_chains() -> None:
    """Record the heads of every commune's chain in its district's chain, then the districts' heads in the
    installation's chain; print the installation's head (write it down or publish it: a later rewrite of any
    chain no longer matches it)."""
    set_actor(db.session, None, "system")
    describe("Neo đầu các chuỗi nhật ký")
    anchor(list(db.session.scalars(sa.select(District.id))))
    db.session.commit()
    head = db.session.scalars(sa.select(AuditHead).where(AuditHead.chain == INSTALLATION)).one()
    click.echo(f"Đã neo đầu các chuỗi. Đầu chuỗi chung: số {head.seq}, mã băm {head.hash}.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(idempotency_cli)
