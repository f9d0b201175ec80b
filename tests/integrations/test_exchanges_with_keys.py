"""A company API key in the exchanges API: the "exchanges" scope to write, never a signature."""

from __future__ import annotations

from tests.exchanges.conftest import accepted, agreement, contact, match  # noqa: F401
from tests.integrations.conftest import key_client


def test_a_key_with_the_exchanges_scope_proposes_but_cannot_sign(partner, agreement):  # noqa: F811
    client, _key, _text = key_client(partner, scopes=("read", "exchanges"))
    proposed = client.post(f"/api/v1/agreements/{agreement.pk}/propose/")
    assert proposed.status_code == 200, proposed.content
    assert proposed.json()["state"] == "proposed"

    signing = client.post(f"/api/v1/agreements/{agreement.pk}/sign/", {"version": 1},
                          format="json")
    assert signing.status_code == 403
    assert "cannot sign" in signing.content.decode()
    agreement.refresh_from_db()
    assert agreement.state == "proposed"
    assert not agreement.versions.get(number=1).signatures.exists()


def test_a_key_without_the_exchanges_scope_reads_but_cannot_act(partner, agreement):  # noqa: F811
    client, _key, _text = key_client(partner, scopes=("read", "listings"))
    assert client.get(f"/api/v1/agreements/{agreement.pk}/").status_code == 200
    refused = client.post(f"/api/v1/agreements/{agreement.pk}/propose/")
    assert refused.status_code == 403
    assert "exchanges" in refused.content.decode()
    agreement.refresh_from_db()
    assert agreement.state == "draft"
