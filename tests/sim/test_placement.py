"""Where cameras stand: real positions snap to segments that carry traffic in the model."""

from __future__ import annotations

import numpy as np

from cameras.osm import OsmCamera, nearest_edges, snap_cameras
from sim.roads import NetworkBuilder


def _grid():
    b = NetworkBuilder("grid")
    ids = b.grid("town", -122.0, -121.98, 37.0, 37.018, spacing_m=500.0)
    b.zones_from_grid("town", ids, 2)
    return b.build()


def test_a_point_snaps_to_the_nearest_segment_that_carries_traffic():
    net = _grid()
    mid_lon, mid_lat = net.edge_midpoints()
    target = 10
    nearest, _, _ = nearest_edges(net, mid_lon[[target]], mid_lat[[target]], 150.0)
    assert nearest[0] in (target,) or net.edge_to[nearest[0]] == net.edge_from[target]
    busy = np.ones(net.n_edges, bool)
    busy[(net.edge_from == net.edge_from[target]) & (net.edge_to == net.edge_to[target])] = False
    busy[(net.edge_from == net.edge_to[target]) & (net.edge_to == net.edge_from[target])] = False
    point = [OsmCamera("n1", float(mid_lon[target]), float(mid_lat[target]), None, None, None)]
    sites, summary = snap_cameras(net, point, {"town": "town-pd"}, {}, (), 150.0, busy)
    assert len(sites) == 1 and busy[sites[0].edge]
    # without the traffic mask it stays on the quiet street
    sites, _ = snap_cameras(net, point, {"town": "town-pd"}, {}, (), 150.0)
    assert not busy[sites[0].edge]
