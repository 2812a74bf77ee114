"""A tiny shopping cart: lines of (name, unit price, quantity)."""


def add_item(name, price, qty=1, cart=[]):
    """Add `qty` of `name` at `price` to `cart` and return the cart.

    Adding a name already in the cart raises its quantity instead of adding a line.
    """
    if qty <= 0:
        raise ValueError("quantity must be positive")
    for line in cart:
        if line["name"] == name:
            line["qty"] += qty
            return cart
    cart.append({"name": name, "price": price, "qty": qty})
    return cart


def cart_total(cart):
    """Sum of price * quantity over every line, rounded to cents."""
    return round(sum(line["price"] * line["qty"] for line in cart), 2)


def item_count(cart):
    """How many units the cart holds."""
    return sum(line["qty"] for line in cart)
