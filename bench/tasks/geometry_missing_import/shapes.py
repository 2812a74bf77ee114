"""Plane geometry helpers for a floor-plan tool; points are (x, y) tuples."""


def distance(a, b):
    """Euclidean distance between two points."""
    return math.hypot(b[0] - a[0], b[1] - a[1])


def perimeter(points):
    """Length of the closed polygon through `points`."""
    if len(points) < 2:
        return 0.0
    total = 0.0
    for i, point in enumerate(points):
        total += distance(point, points[(i + 1) % len(points)])
    return total


def polygon_area(points):
    """Area of a simple polygon by the shoelace formula."""
    twice = 0.0
    for i, (x1, y1) in enumerate(points):
        x2, y2 = points[(i + 1) % len(points)]
        twice += x1 * y2 - x2 * y1
    return abs(twice) / 2


def circle_area(radius):
    if radius < 0:
        raise ValueError("radius must not be negative")
    return math.pi * radius**2
