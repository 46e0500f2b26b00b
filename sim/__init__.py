"""sim: the world and its clock: roads, vehicles, trips, camera passes, random streams, records."""

from sim.plates import PlateError, decode, encode
from sim.random_streams import RandomStreams
from sim.records import Cameras, Passes, Reads, RunRecords, Vehicles
from sim.roads import NetworkError, RoadNetwork

__all__ = ["Cameras", "NetworkError", "Passes", "PlateError", "RandomStreams", "Reads", "RoadNetwork", "RunRecords",
           "Vehicles", "decode", "encode"]
