import pytest
from invoice import format_money, invoice_totals, line_amount


def test_line_amount_with_discount():
    assert line_amount(10.0, 3, 0.1) == pytest.approx(27.0)
    with pytest.raises(ValueError):
        line_amount(1.0, 1, 1.0)


def test_invoice_totals():
    lines = [(10.0, 2, 0.0), (5.0, 4, 0.25)]
    assert invoice_totals(lines) == {"net": 35.0, "vat": 7.0, "gross": 42.0}


def test_empty_invoice():
    assert invoice_totals([]) == {"net": 0.0, "vat": 0.0, "gross": 0.0}


def test_custom_vat_rate():
    assert invoice_totals([(100.0, 1, 0.0)], vat_rate=0.07)["gross"] == 107.0


def test_format_money():
    assert format_money(1234.5) == "1,234.50 EUR"
