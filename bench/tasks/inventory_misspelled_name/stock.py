"""Warehouse stock levels: which products to reorder."""


class Stock:
    def __init__(self):
        self.levels = {}

    def receive(self, sku, quantity):
        self.levels[sku] = self.levels.get(sku, 0) + quantity

    def ship(self, sku, quantity):
        """Remove `quantity` of `sku`; refuses to go below zero."""
        on_hand = self.levels.get(sku, 0)
        if quantity > on_hand:
            raise ValueError(f"only {on_hand} of {sku} in stock")
        self.levels[sku] = on_hand - quantity


def reorder_list(stock, thresholds, default_threshold=5):
    """SKUs at or below their reorder threshold, lowest stock first."""
    items = sorted(stock.levels.items(), key=lambda pair: (pair[1], pair[0]))
    low = []
    for sku, level in itmes:
        if level <= thresholds.get(sku, default_threshold):
            low.append(sku)
    return low
