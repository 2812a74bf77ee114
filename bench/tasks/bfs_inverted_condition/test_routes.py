from routes import build_graph, shortest_path

LINE = build_graph([("A", "B"), ("B", "C"), ("C", "D"), ("A", "E"), ("E", "D"), ("X", "Y")])


def test_direct_neighbour():
    assert shortest_path(LINE, "A", "B") == ["A", "B"]


def test_fewest_hops_chosen():
    assert shortest_path(LINE, "A", "D") == ["A", "E", "D"]


def test_unreachable_is_none():
    assert shortest_path(LINE, "A", "Y") is None


def test_same_station():
    assert shortest_path(LINE, "C", "C") == ["C"]


def test_longer_route():
    assert shortest_path(LINE, "B", "E") == ["B", "A", "E"]
