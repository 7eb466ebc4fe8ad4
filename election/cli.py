"""Command-line tools: `flask users create-admin`, `flask seed`, `flask rehearsal`, `flask audit verify`."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from app import db
from election.accounts import Role, User
from election.audit import describe, set_actor, verify_chain

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


@click.command("seed")
@click.option("--scale", type=click.Choice(["district", "province"]), default="district", show_default=True)
@click.option("--seed", "random_seed", type=int, default=59, show_default=True, help="Hạt giống ngẫu nhiên.")
@click.option("--password", default="dantin-demo-2022", show_default=True, help="Mật khẩu cho các tài khoản mẫu.")
@click.option("--quiet", is_flag=True, help="Không in thanh tiến độ.")
@click.option("--if-empty", is_flag=True, help="Bỏ qua (chỉ in tài khoản) nếu cơ sở dữ liệu đã có dữ liệu.")
def seed(scale: str, random_seed: int, password: str, quiet: bool, if_empty: bool) -> None:
    """Build the demo district modelled on Bình Sơn (or a province) in an empty database."""
    from election.models import District
    from election.seed import seed_demo

    if if_empty and db.session.scalar(db.select(District.id).limit(1)) is not None:
        click.echo("Cơ sở dữ liệu đã có dữ liệu; không tạo lại dữ liệu mẫu.")
        users = db.session.scalars(db.select(User).where(User.active.is_(True)).order_by(User.id)).all()
        logins = [(u.username, u.role.label, u.scope_label) for u in users]
    else:
        logins = seed_demo(scale=scale, random_seed=random_seed, password=password, progress=not quiet)
    click.echo("\nTài khoản mẫu (mật khẩu: %s):" % password)
    for username, role_label, scope in logins:
        click.echo(f"  {username:<22} {role_label} – {scope}")


@click.command("rehearsal")
@click.option("--password", default="dantin-demo-2022", show_default=True,
              help="Mật khẩu cho các tài khoản Tổ bầu cử, Ban chỉ đạo được tạo thêm.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True,
              help="Địa chỉ của ứng dụng, in trong mã QR của biên bản mẫu.")
@click.option("--quiet", is_flag=True, help="Không in thanh tiến độ.")
@click.option("--if-empty", is_flag=True, help="Bỏ qua nếu nhiệm kỳ hiện hành đã có cuộc bầu.")
def rehearsal(password: str, base_url: str, quiet: bool, if_empty: bool) -> None:
    """Election Sunday under way on the demo district: one hamlet at each step (after `flask seed`)."""
    from election.models import District
    from election.rehearsal import has_rehearsal, rehearse
    from election.seed import BINH_SON_NAME

    district_id = db.session.scalar(db.select(District.id).where(District.name == BINH_SON_NAME))
    if if_empty and district_id is not None and has_rehearsal(district_id):
        click.echo("Nhiệm kỳ hiện hành đã có cuộc bầu; không diễn tập lại.")
        return
    done = rehearse(password, base_url, progress=not quiet)
    click.echo(f"\nDiễn tập ngày bầu cử (mật khẩu các tài khoản mới: {password}):")
    for item in done:
        click.echo(f"  {item.team_login:<18} {item.hamlet}, {item.commune}: {item.label}")
    click.echo("Xem bảng theo dõi của huyện: đăng nhập tcnv.binhson, mục «Ngày bầu cử».")


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(seed)
    app.cli.add_command(rehearsal)
