"""One number format for people (issue 17, part 5): Vietnamese thousands dot and decimal comma on pages, PDFs and
messages, English separators on English pages; core.vietnamese.format_number/format_percent behind every one."""
from __future__ import annotations

from fractions import Fraction

from factories_counting import client_for
from test_counting_minutes import enter_twice, figures, pdf_text, submitted

from core.vietnamese import format_number, format_percent
from election.rules import HouseholdDifference


def test_vietnamese_numbers_use_a_thousands_dot_and_a_decimal_comma():
    assert format_number(76524) == "76.524"
    assert format_number(1234567.891, 2) == "1.234.567,89"
    assert format_number(12345.6, 1, "en") == "12,345.6"
    assert format_number(0) == "0"


def test_percentages_in_each_language_with_a_dash_for_nothing_to_count():
    assert format_percent(0.4839) == "48,39%"
    assert format_percent(0.4839, lang="en") == "48.39%"
    assert format_percent(Fraction(1, 3), 1) == "33,3%"
    assert format_percent(Fraction(1, 2), trim=True) == "50%"
    assert format_percent(Fraction(7443, 10000), trim=True) == "74,43%"
    assert format_percent(None) == "—" and format_percent(None, none="–") == "–"
    assert format_percent(12.5) == "1.250,00%"  # a share above 1 keeps its thousands dot


def test_rule_messages_and_documents_share_the_format():
    assert HouseholdDifference(roll=300, register=172).percent() == "+74,42%"
    assert HouseholdDifference(roll=300, register=172).percent("en") == "+74.42%"


def test_the_result_table_reads_a_decimal_comma_in_vietnamese_and_a_point_in_english(app, election):
    setup = submitted(election, votes=(150, 60))  # 150 of 310 households: 48.39 %
    client = client_for(app, setup.team_a)
    page = client.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert "48,39%" in page and "48.39%" not in page
    client.get("/lang/en")
    page = client.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert "48.39%" in page and "48,39%" not in page
    pdf = " ".join(pdf_text(client.get(f"/polls/{setup.poll.id}/minutes.pdf").data).split())
    assert "48,39%" in pdf  # the minutes are a Vietnamese document whatever the page's language


def test_counts_on_pages_carry_the_thousands_dot_and_dashes_pass_through(app, election):
    setup = election(households=1234, present=700)
    enter_twice(setup, figures(setup, 700, 690, 680, 10, 400, 280), acknowledged=True)
    client = client_for(app, setup.team_a)
    page = client.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert "1.234" in page and "1234" not in page
    client.get("/lang/en")
    assert "1,234" in client.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    pdf = " ".join(pdf_text(client.get(f"/polls/{setup.poll.id}/minutes.pdf").data).split())
    assert "Tổng số hộ gia đình của thôn 1.234" in pdf


def test_the_num_filter_leaves_a_dash_or_an_empty_value_alone(app):
    render = app.jinja_env.from_string("{{ a|num }}|{{ b|num }}|{{ c|num }}|{{ d|num(1) }}")
    with app.test_request_context("/"):
        assert render.render(a=None, b="–", c=76524, d=2.5) == "None|–|76.524|2,5"
