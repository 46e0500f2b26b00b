"""Sanctions: each revokes exactly what it names, on the owner that imposed it, for its span."""

from __future__ import annotations

import pytest

from lookup.policy import Context, Network, PolicyPack, policy_from_dict
from lookup.requests import Organization, ReadQuery, SearchRequest
from lookup.sanctions import Sanction, SanctionedPack, SanctionTable, is_sanction_rule

DAY = 86_400
OAKLAND = Organization("oakland-ca-pd", "Oakland CA PD", "local", "CA")
SFPD = Organization("san-francisco-ca-pd", "San Francisco CA PD", "local", "CA")
CHP = Organization("california-highway-patrol", "California Highway Patrol", "state", "CA")
BERKELEY = Organization("berkeley-ca-pd", "Berkeley CA PD", "local", "CA")
OPEN = PolicyPack("open", "test", (policy_from_dict({"name": "open", "source": "test", "default": "allow"}, "t"),))


def request(org: str = CHP.slug, user: str = "officer-1", day: float = 10, on_behalf_of: str | None = None):
    t = int(day * DAY)
    return SearchRequest("r", org, user, t, "211PC", "plate", ReadQuery(plate="7ABC123", start_s=t - DAY, end_s=t),
                         on_behalf_of=on_behalf_of)


def decisions(table: SanctionTable, req: SearchRequest, requester=CHP):
    pack = SanctionedPack(OPEN, table)
    networks = [Network(OAKLAND, OPEN.layers, "state"), Network(SFPD, OPEN.layers, "state"),
                Network(requester, OPEN.layers, "own")]
    out = pack.evaluate_many(req, requester, networks, Context(now_s=req.time_s))
    return {n.owner.slug: d for n, d in zip(networks, out, strict=True)}


def revoke(action: str = "revoke_share", user: str | None = None, start: float = 5, end: float = 35):
    return Sanction("oak-1", OAKLAND.slug, action, CHP.slug, user, start * DAY, end * DAY, "federal x2",
                    ("2025-04-02 | California Highway Patrol | officer-1 | 'ICE case'",))


def test_a_revoked_share_denies_only_that_organization_on_that_owner_while_it_lasts():
    table = SanctionTable([revoke()])
    during = decisions(table, request(day=10))
    assert during[OAKLAND.slug].effect == "deny" and is_sanction_rule(during[OAKLAND.slug].rule_ref)
    assert during[OAKLAND.slug].rule_ref == "sanction/oak-1"
    assert during[SFPD.slug].effect == "allow"  # another owner is not affected
    assert during[CHP.slug].effect == "allow"  # nor the organization's own network
    assert decisions(table, request(org=BERKELEY.slug), BERKELEY)[OAKLAND.slug].effect == "allow"  # nor another org


@pytest.mark.parametrize("day, denied", [(4.99, False), (5, True), (34.99, True), (35, False), (60, False)])
def test_a_sanction_starts_and_expires_at_its_stated_times(day, denied):
    effect = decisions(SanctionTable([revoke()]), request(day=day))[OAKLAND.slug].effect
    assert (effect == "deny") is denied


def test_a_suspension_refuses_the_user_only_and_on_the_owners_own_network_too():
    table = SanctionTable([Sanction("oak-2", OAKLAND.slug, "suspend_user", OAKLAND.slug, "oakland-ca-pd-user-07",
                                    0, 30 * DAY, "repeated_plate x9", ())])
    networks = [Network(OAKLAND, OPEN.layers, "own"), Network(SFPD, OPEN.layers, "state")]
    pack = SanctionedPack(OPEN, table)
    for user, expected in (("oakland-ca-pd-user-07", ["deny", "allow"]), ("oakland-ca-pd-user-08", ["allow", "allow"])):
        req = request(org=OAKLAND.slug, user=user)
        got = [d.effect for d in pack.evaluate_many(req, OAKLAND, networks, Context(now_s=req.time_s))]
        assert got == expected


def test_requiring_a_beneficiary_refuses_only_searches_that_declare_none():
    table = SanctionTable([revoke("require_beneficiary")])
    assert decisions(table, request())[OAKLAND.slug].effect == "deny"
    assert decisions(table, request(on_behalf_of=CHP.slug))[OAKLAND.slug].effect == "allow"


def test_an_unreadable_sanctions_table_denies():
    class Broken(SanctionTable):
        def refusing(self, owner, request, via):
            raise RuntimeError("table lost")

    out = decisions(Broken(), request())
    assert all(d.effect == "deny" for d in out.values())


def test_a_sanction_must_name_what_it_does():
    with pytest.raises(ValueError, match="action 'ban'"):
        Sanction("x", OAKLAND.slug, "ban", CHP.slug, None, 0, DAY, "", ())
    with pytest.raises(ValueError, match="names no user"):
        Sanction("x", OAKLAND.slug, "suspend_user", CHP.slug, None, 0, DAY, "", ())
    with pytest.raises(ValueError, match="ends"):
        Sanction("x", OAKLAND.slug, "revoke_share", CHP.slug, None, DAY, DAY, "", ())
