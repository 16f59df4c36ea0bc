"""A deterministic sample inventory for demos and load tests: N customers with contacts and an
inventory whose credential store holds each customer's cloud access key.

``sample_inventory(customers=N, seed=S)`` returns the plain data of an inventory file (the shape
of docs/examples/inventory.yaml); the same arguments always give the same data. The access key
ids are made up in AWS's format and are not real keys.
"""

from __future__ import annotations

import random
from typing import Any

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
PLACES = ("US-CA", "US-NY", "US-TX", "US-WA", "DE", "FR", "GB", "IE", "NL", "CA-ON", "BR", "AU")
TIERS = ("enterprise", "business", "starter")
ROLES = ("CISO", "Security lead", "IT director", "Operations", "Owner")
NAMES = ("Ada", "Bola", "Chen", "Dana", "Emil", "Farah", "Goran", "Hana", "Ivo", "June")


def sample_inventory(*, customers: int, seed: int = 1) -> dict[str, Any]:
    if customers < 1:
        raise ValueError("customers must be at least 1")
    rng = random.Random(seed)  # noqa: S311 - sample data must be reproducible, not secret
    out_customers = []
    credentials = []
    records: dict[tuple[str, str], int] = {}
    for n in range(1, customers + 1):
        ext = f"customer-{n:04d}"
        places = sorted(rng.sample(PLACES, rng.randint(1, 3)))
        contacts = []
        for k in range(rng.randint(1, 3)):
            contact: dict[str, Any] = {
                "email": f"contact{k + 1}@{ext}.example",
                "name": f"{rng.choice(NAMES)} {ext[-4:]}",
                "role": rng.choice(ROLES),
            }
            if rng.random() < 0.7:
                contact["verified"] = True
                contact["verified_at"] = (
                    f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}T09:00:00Z"
                )
            contacts.append(contact)
        out_customers.append(
            {
                "external_id": ext,
                "name": f"Sample Customer {n}",
                "tier": rng.choice(TIERS),
                "jurisdictions": places,
                "contacts": contacts,
            }
        )
        key = "AKIA" + "".join(rng.choice(B32) for _ in range(16))
        credentials.append(
            {
                "customer": ext,
                "type": "aws_access_key_id",
                "identifier": key,
                "system": "collector-credentials",
                "label": "metrics collector",
            }
        )
        for place in places:
            records[(place, ext)] = rng.randint(10, 5_000)
    return {
        "customers": out_customers,
        "systems": [
            {
                "name": "collector-credentials",
                "owner": "platform-team",
                "environment": "production",
                "description": "Store of the cloud credentials customers give our collectors.",
                "data_elements": ["third_party_credentials"],
                "encryption": {"at_rest": True, "key_location": "AWS KMS, production account"},
            },
            {
                "name": "customer-db",
                "owner": "core-team",
                "environment": "production",
                "description": "Application database: customers' users and billing contacts.",
                "data_elements": ["name", "email_address", "account_credentials"],
                "records": [
                    {
                        "jurisdiction": place,
                        "count": count,
                        "customer": ext,
                    }
                    for (place, ext), count in records.items()
                ],
                "encryption": {"at_rest": True, "key_location": "RDS default key"},
            },
        ],
        "credentials": credentials,
        "code": [{"name": "collector-agent", "kind": "agent", "version": "4.12.1"}],
    }
