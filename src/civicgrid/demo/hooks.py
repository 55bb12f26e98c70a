"""Extension point for later modules: a step that adds its own demo data once the base district is loaded.

A module registers a step in its `demo.py` (found by autodiscovery when `civicgrid demo` runs):

    from civicgrid.demo.hooks import DemoContext, register

    @register("hall")
    def load_hall(context: DemoContext) -> str: ...   # returns a one-line summary

Steps run in the order of their apps in INSTALLED_APPS (a later app's data stands on an earlier one's: visits need
the registry's households), whatever imported a `demo.py` first; each must call services only and be idempotent.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass

from civicgrid.regions.models import Region


@dataclass(frozen=True)
class DemoContext:
    district: Region
    scale: str
    seed: int
    password: str

    def rng(self, name: str) -> random.Random:
        """An independent random stream per step, so adding a step never changes another step's data."""
        return random.Random(f"{self.seed}:{name}")


Step = Callable[[DemoContext], str]
STEPS: list[tuple[str, Step]] = []


def ordered_steps() -> list[tuple[str, Step]]:
    """The registered steps by their app's place in INSTALLED_APPS."""
    from django.apps import apps

    places = {config.name: index for index, config in enumerate(apps.get_app_configs())}

    def place(entry: tuple[str, Step]) -> int:
        module = entry[1].__module__.removesuffix(".demo")
        return places.get(module, len(places))

    return sorted(STEPS, key=place)


def register(name: str) -> Callable[[Step], Step]:
    def decorator(step: Step) -> Step:
        if name not in {n for n, _s in STEPS}:
            STEPS.append((name, step))
        return step

    return decorator
