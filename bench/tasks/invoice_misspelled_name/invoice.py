"""Invoice totals with a per-line discount and VAT."""

VAT_RATE = 0.2


def line_amount(unit_price, quantity, discount=0.0):
    """Price of one invoice line after its discount (a fraction, 0.1 = 10 %)."""
    if not 0 <= discount < 1:
        raise ValueError("discount must be in [0, 1)")
    return unit_price * quantity * (1 - discount)


def invoice_totals(lines, vat_rate=VAT_RATE):
    """Net, VAT and gross totals of (unit_price, quantity, discount) lines, in cents."""
    total = 0.0
    for unit_price, quantity, discount in lines:
        total += line_amount(unit_price, quantity, discount)
    net = round(totl, 2)
    vat = round(net * vat_rate, 2)
    return {"net": net, "vat": vat, "gross": round(net + vat, 2)}


def format_money(amount, currency="EUR"):
    return f"{amount:,.2f} {currency}"
