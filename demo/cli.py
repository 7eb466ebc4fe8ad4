"""`flask seed` (the demo district) and `flask rehearsal` (its election Sunday under way)."""
from __future__ import annotations

import click
from flask import Flask

from core.accounts import User
from core.models import District
from demo.documents import review_documents
from demo.rehearsal import has_rehearsal, rehearse
from demo.seed import BINH_SON_NAME, DEMO_USERS, district_figures, seed_demo
from extensions import db


@click.command("seed")
@click.option("--scale", type=click.Choice(["district", "province"]), default="district", show_default=True)
@click.option("--seed", "random_seed", type=int, default=59, show_default=True, help="Hạt giống ngẫu nhiên.")
@click.option("--password", default="dantin-demo-2022", show_default=True, help="Mật khẩu cho các tài khoản mẫu.")
@click.option("--quiet", is_flag=True, help="Không in thanh tiến độ.")
@click.option("--if-empty", is_flag=True, help="Bỏ qua (chỉ in tài khoản) nếu cơ sở dữ liệu đã có dữ liệu.")
def seed(scale: str, random_seed: int, password: str, quiet: bool, if_empty: bool) -> None:
    """Build the demo district modelled on Bình Sơn (or a province) in an empty database."""
    if if_empty and db.session.scalar(db.select(District.id).limit(1)) is not None:
        click.echo("Cơ sở dữ liệu đã có dữ liệu; không tạo lại dữ liệu mẫu.")
        # The seed's logins, one per role, as a first run prints them (not every team login the rehearsal made).
        users = db.session.scalars(db.select(User).where(User.active.is_(True),
                                                         User.username.in_([u[0] for u in DEMO_USERS]))
                                   .order_by(User.id)).all()
        logins = [(u.username, u.role.label, u.scope_label) for u in users]
    else:
        logins = seed_demo(scale=scale, random_seed=random_seed, password=password, progress=not quiet)
    figures = district_figures()
    if figures is not None:
        click.echo(f"\n{figures.summary}.")
    click.echo(f"\nTài khoản mẫu (mật khẩu: {password}):")
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
    district_id = db.session.scalar(db.select(District.id).where(District.name == BINH_SON_NAME))
    if if_empty and district_id is not None and has_rehearsal(district_id):
        click.echo("Nhiệm kỳ hiện hành đã có cuộc bầu; không diễn tập lại.")
        return
    done = rehearse(password, base_url, progress=not quiet)
    click.echo(f"\nDiễn tập ngày bầu cử (mật khẩu các tài khoản mới: {password}):")
    for item in done:
        if item.election_sunday:
            click.echo(f"  {item.team_login:<18} {item.hamlet}, {item.commune}: {item.label}")
    before = [item for item in done if not item.election_sunday]
    if before:
        click.echo("Thôn chưa sẵn sàng bầu cử (còn việc phải làm trước ngày bầu):")
        for item in before:
            click.echo(f"  {item.team_login:<18} {item.hamlet}, {item.commune}: {item.label}")
    click.echo("Xem bảng theo dõi của huyện: đăng nhập tcnv.binhson, mục «Ngày bầu cử».")


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed)
    app.cli.add_command(rehearsal)
    app.cli.add_command(review_documents)
