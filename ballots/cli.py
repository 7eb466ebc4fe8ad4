"""`flask ballots print`: print the ballots of every ready hamlet of a commune or district, with progress;
`flask ballots purge-images`: delete the ballot images and scanner batches past their keeping (ballots.rules).

Repeatable: hamlets that already have a real batch are skipped, so a second run prints only what is missing.
"""
from __future__ import annotations

import click

from ballots.models import BallotLayout
from ballots.printing import print_batch, real_batches
from ballots.reading import purge_images
from ballots.views import bp
from candidates.models import CandidateList, ListState
from core.errors import RuleViolation
from core.models import Commune, District, Hamlet, current_term
from core.transactions import commit
from election.models import Poll
from election.service import forget_checkin_order
from extensions import db


@bp.cli.command("print")
@click.option("--commune", "commune_code", help="Mã xã (Commune.code)")
@click.option("--district", "district_code", help="Mã huyện (District.code): mọi xã của huyện")
@click.option("--layout", type=click.Choice([layout.value for layout in BallotLayout]), default="A5")
@click.option("--round", "round_no", type=click.IntRange(1, 2), default=1)
def print_command(commune_code: str | None, district_code: str | None, layout: str, round_no: int) -> None:
    """In phiếu bầu cho các thôn đã xác nhận danh sách người ứng cử và chưa in."""
    if bool(commune_code) == bool(district_code):
        raise click.UsageError("Cần đúng một trong --commune hoặc --district.")
    stmt = db.select(Hamlet).join(Commune).where(Hamlet.ended_on.is_(None)).order_by(Commune.name, Hamlet.name)
    if commune_code:
        commune = db.session.scalar(db.select(Commune).where(Commune.code == commune_code))
        if commune is None:
            raise click.BadParameter(f"Không có xã mã {commune_code}.")
        stmt, district_id = stmt.where(Commune.id == commune.id), commune.district_id
    else:
        district = db.session.scalar(db.select(District).where(District.code == district_code))
        if district is None:
            raise click.BadParameter(f"Không có huyện mã {district_code}.")
        stmt, district_id = stmt.where(Commune.district_id == district.id), district.id
    term = current_term(district_id)
    if term is None:
        raise click.ClickException("Huyện chưa có nhiệm kỳ hiện hành.")
    hamlets = list(db.session.scalars(stmt))
    printed = skipped = 0
    with click.progressbar(hamlets, label="In phiếu bầu", item_show_func=lambda h: h.name if h else "") as bar:
        for hamlet in bar:
            candidate_list = CandidateList.for_hamlet(term, hamlet, round_no)
            if candidate_list is None or candidate_list.state != ListState.CONFIRMED:
                skipped += 1
                continue
            poll = Poll.get_or_create(term, hamlet, round_no)
            db.session.flush()
            if real_batches(poll):
                skipped += 1
                continue
            try:
                print_batch(poll, BallotLayout(layout), user_id=None)
            except RuleViolation as error:
                db.session.rollback()
                click.echo(f"\n{hamlet.name}: {error.message}", err=True)
                skipped += 1
                continue
            db.session.commit()  # one hamlet per transaction: an interruption loses nothing already printed
            printed += 1
    click.echo(f"Đã in phiếu cho {printed} thôn; bỏ qua {skipped} thôn (chưa xác nhận danh sách hoặc đã in).")


@bp.cli.command("forget-order")
def forget_order_command() -> None:
    """Ghi lại bảng nhận phiếu theo mã ngẫu nhiên, để vị trí lưu trữ không cho biết thứ tự các hộ nhận phiếu."""
    forget_checkin_order()
    db.session.commit()
    click.echo("Đã ghi lại bảng nhận phiếu theo thứ tự ngẫu nhiên.")


@bp.cli.command("purge-images")
def purge_images_command() -> None:
    """Xóa ảnh phiếu bầu và tệp quét đã hết thời hạn lưu giữ (hết thời hạn khiếu nại sau khi công nhận kết quả)."""
    gone = purge_images()
    commit("Xóa ảnh phiếu bầu hết thời hạn lưu giữ" if gone else None)
    click.echo(f"Đã xóa {gone} ảnh phiếu bầu và tệp quét hết thời hạn lưu giữ.")
