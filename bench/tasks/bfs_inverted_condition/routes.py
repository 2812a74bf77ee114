"""Shortest hop counts on an undirected network of stations."""

from collections import deque


def build_graph(edges):
    """Adjacency sets from (a, b) pairs."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set()).add(a)
    return graph


def shortest_path(graph, start, goal):
    """A fewest-hops path from `start` to `goal` as a list of stations, or None."""
    if start == goal:
        return [start]
    previous = {start: None}
    queue = deque([start])
    while queue:
        station = queue.popleft()
        for neighbour in sorted(graph.get(station, ())):
            if neighbour in previous:
                previous[neighbour] = station
                if neighbour == goal:
                    path = [goal]
                    while previous[path[-1]] is not None:
                        path.append(previous[path[-1]])
                    return path[::-1]
                queue.append(neighbour)
    return None
