"""scenarios: what-ifs as data and their running: files, builder, runner, metrics, CLI."""

from scenarios.builder import World, build_world
from scenarios.experiment import compare, run_policy
from scenarios.files import ScenarioError, load_scenario
from scenarios.runner import run_world

__all__ = ["ScenarioError", "World", "build_world", "compare", "load_scenario", "run_policy", "run_world"]
