"""The engine facts and updates as an administrator sees them (Settings > Engines): each call
checks who is asking before anything runs."""

from __future__ import annotations

from . import doctor, engine_updates
from .auth import Principal
from .engine_updates import EngineVersion


def facts(who: Principal, refresh: bool = False) -> list[doctor.Check]:
    """The doctor's engine lines (gathered now with ``refresh`` or when none are known yet)."""
    who.require_admin()
    known = None if refresh else doctor.engine_facts_cache.latest()
    return known if known is not None else doctor.engine_facts_cache.refresh()


def check(who: Principal) -> list[EngineVersion]:
    who.require_admin()
    return engine_updates.check()


def update(who: Principal) -> str:
    who.require_admin()
    message = engine_updates.update(user_id=who.user_id)
    doctor.engine_facts_cache.refresh()
    return message


def rollback(who: Principal) -> str:
    who.require_admin()
    message = engine_updates.rollback(user_id=who.user_id)
    doctor.engine_facts_cache.refresh()
    return message


def rollback_ready() -> bool:
    return engine_updates.read_state().rollback_ready
