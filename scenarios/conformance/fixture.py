"""The kit's organizations, sharing and reads: provisioned through our admin API, or
printed as a fixture file a tester loads into their own service by hand.

One camera owner (``conf-owner``, a California city police department) shares 1:1 with
every requester, so that each corpus search reaches exactly one network and the answer's
status is the decision. A second owner (``conf-rl-owner``) limits searches to two an hour
and shares with ``conf-rl-pd`` only, for the rate-limit test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lookup.requests import Organization

OWNER = "conf-owner"
RL_OWNER = "conf-rl-owner"
RL_REQUESTER = "conf-rl-pd"
AUDITOR = "conf-auditor"
RETENTION_DAYS = 30.0


@dataclass(frozen=True)
class FixtureOrg:
    org: Organization
    owns_cameras: bool = False
    devices: int = 0
    roles: tuple[str, ...] = ("agency",)


def _org(slug: str, name: str, kind: str, state: str, tags=(), **kw) -> FixtureOrg:
    return FixtureOrg(Organization(slug, name, kind, state, frozenset(tags)), **kw)


ORGS: tuple[FixtureOrg, ...] = (
    _org(OWNER, "Conformance City Police Department", "local", "CA", owns_cameras=True, devices=4,
         roles=("agency", "camera")),
    _org(RL_OWNER, "Rate-Limited City Police Department", "local", "CA", owns_cameras=True, devices=2,
         roles=("agency", "camera")),
    _org("conf-ca-pd", "Conformance Town Police Department", "local", "CA"),
    _org("conf-ca-so", "Conformance County Sheriff's Office", "sheriff", "CA"),
    _org("conf-chp", "Conformance State Highway Patrol", "state", "CA"),
    _org("conf-tfo", "Conformance Town PD task-force officer", "local", "CA", tags=("task_force",)),
    _org("conf-fbi", "Conformance Federal Bureau", "federal", "US"),
    _org("conf-ice", "Conformance Immigration Enforcement", "federal", "US", tags=("immigration",)),
    _org("conf-tx-pd", "Conformance Texas Police Department", "out_of_state", "TX"),
    _org("conf-hoa", "Conformance Homeowners Association", "private", "CA"),
    _org(RL_REQUESTER, "Conformance Rate-Limit Test PD", "local", "CA"),
    _org(AUDITOR, "Conformance State Auditor", "state", "CA", roles=("auditor",)),
)
BY_SLUG = {f.org.slug: f for f in ORGS}
# conf-owner shares with every requester but the rate-limit test's; conf-rl-owner with it alone
SHARES = {OWNER: tuple(sorted(s for s in BY_SLUG if s not in (OWNER, RL_OWNER, RL_REQUESTER, AUDITOR))),
          RL_OWNER: (RL_REQUESTER,)}
RATE_LIMIT_POLICY = {
    "name": "conf-rl-owner-own", "source": "alprsim conformance kit", "layer": "owner", "default": "allow",
    "rules": [{"id": "two-an-hour", "effect": "limit", "message": "at most 2 searches an hour",
               "limit": {"rate": {"max": 2, "per_s": 3600, "per": "user"}}}]}


@dataclass
class Keys:
    """Secrets by (org slug, role)."""

    by_org_role: dict[tuple[str, str], str] = field(default_factory=dict)

    def get(self, org: str, role: str = "agency") -> str | None:
        return self.by_org_role.get((org, role))


def fixture_document(pack: str) -> dict:
    """What a tester loads into a service without our admin routes (printed by the kit)."""
    return {
        "about": "alprsim conformance fixture: register these organizations, give each the keys listed under "
                 "roles, set the sharing and the policy pack, then run `alprsim conform URL --key ORG=KEY ...`",
        "policy_pack": pack,
        "organizations": [{"slug": f.org.slug, "name": f.org.name, "kind": f.org.kind, "state": f.org.state,
                           "tags": sorted(f.org.tags), "owns_cameras": f.owns_cameras, "devices": f.devices,
                           "retention_days": RETENTION_DAYS if f.owns_cameras else None, "roles": list(f.roles)}
                          for f in ORGS],
        "sharing": {owner: {"shares": list(shares), "state_share": False, "national_lookup": False}
                    for owner, shares in SHARES.items()},
        "owner_policies": {RL_OWNER: RATE_LIMIT_POLICY},
        "keys": "pass each as --key SLUG=KEY (agency), --key SLUG:camera=KEY, --auditor-key KEY",
    }


def provision(admin, pack_document: dict | None) -> Keys:
    """Register the fixture at a service through our admin API (``admin``: a LookupClient
    with the admin key); returns fresh keys. Safe to repeat: organizations are updated."""
    for f in ORGS:
        o = f.org
        admin.put_org(o.slug, o.name, o.kind, o.state, tags=o.tags, owns_cameras=f.owns_cameras,
                      devices=f.devices, retention_days=RETENTION_DAYS)
    if pack_document is not None:
        admin.set_pack(pack_document)
    admin.set_policy(RL_OWNER, RATE_LIMIT_POLICY)
    for owner, shares in SHARES.items():
        admin.set_org_sharing(owner, shares)
    keys = Keys()
    for f in ORGS:
        for role in f.roles:
            keys.by_org_role[(f.org.slug, role)] = admin.create_key(f.org.slug, role, "conformance kit")["key"]
    return keys


__all__ = ["AUDITOR", "BY_SLUG", "Keys", "ORGS", "OWNER", "RATE_LIMIT_POLICY", "RL_OWNER", "RL_REQUESTER",
           "SHARES", "fixture_document", "provision"]
