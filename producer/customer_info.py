"""Fictitious customer reference data (names, contact details, location), deterministic per seed.

Emails use the reserved example.com domain and phone numbers the 555-01xx block that US
numbering keeps for fiction, so no row can reach a real person.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from producer.world import STREAM_CUSTOMER_INFO, WorldConfig, keyed_rng

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily "
    "Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah "
    "Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Amy "
    "Jacob Kathleen Gary Angela Nicholas Shirley Eric Brenda Jonathan Emma Stephen Anna "
    "Larry Pamela Justin Nicole Scott Samantha Brandon Katherine Benjamin Christine Samuel "
    "Debra Gregory Rachel Alexander Carolyn Patrick Janet Frank Maria Raymond Olivia"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey"
).split()
JOB_TITLES = (
    "Accountant",
    "Architect",
    "Barista",
    "Civil engineer",
    "Data analyst",
    "Dentist",
    "Electrician",
    "Graphic designer",
    "Human resources officer",
    "Journalist",
    "Librarian",
    "Mechanical engineer",
    "Nurse",
    "Pharmacist",
    "Physiotherapist",
    "Pilot",
    "Police officer",
    "Product manager",
    "Retail manager",
    "Sales representative",
    "Software developer",
    "Teacher",
    "Veterinarian",
    "Web designer",
)
# (city, state, telephone area code)
CITIES = (
    ("Seattle", "WA", 206),
    ("Spokane", "WA", 509),
    ("Portland", "OR", 503),
    ("San Francisco", "CA", 415),
    ("Los Angeles", "CA", 213),
    ("San Diego", "CA", 619),
    ("Phoenix", "AZ", 602),
    ("Denver", "CO", 303),
    ("Austin", "TX", 512),
    ("Dallas", "TX", 214),
    ("Houston", "TX", 713),
    ("Chicago", "IL", 312),
    ("Minneapolis", "MN", 612),
    ("Detroit", "MI", 313),
    ("Atlanta", "GA", 404),
    ("Miami", "FL", 305),
    ("Orlando", "FL", 407),
    ("Charlotte", "NC", 704),
    ("Nashville", "TN", 615),
    ("New York", "NY", 212),
    ("Boston", "MA", 617),
    ("Philadelphia", "PA", 215),
    ("Baltimore", "MD", 410),
    ("Columbus", "OH", 614),
)

CUSTOMER_INFO_COLUMNS = (
    "customer_id",
    "job_title",
    "email_address",
    "full_name",
    "phone_number",
    "city",
    "state",
)


def generate_customer_info(config: WorldConfig) -> pd.DataFrame:
    """One row per customer id 0..customers-1, with the columns in CUSTOMER_INFO_COLUMNS."""
    rng = keyed_rng(config.seed, STREAM_CUSTOMER_INFO)
    n = config.customers
    first = np.asarray(FIRST_NAMES, dtype=object)[rng.integers(len(FIRST_NAMES), size=n)]
    last = np.asarray(LAST_NAMES, dtype=object)[rng.integers(len(LAST_NAMES), size=n)]
    city = rng.integers(len(CITIES), size=n)
    job = rng.integers(len(JOB_TITLES), size=n)
    line = rng.integers(100, size=n)
    customer_id = np.arange(n, dtype=np.int64)

    full_name = first + " " + last
    email = pd.Series(first).str.lower() + "." + pd.Series(last).str.lower()
    email = email + "." + pd.Series(customer_id).astype(str) + "@example.com"
    area = pd.Series(np.array([c[2] for c in CITIES])[city]).astype(str)
    phone = "+1-" + area + "-555-01" + pd.Series(line).astype(str).str.zfill(2)
    return pd.DataFrame(
        {
            "customer_id": customer_id,
            "job_title": np.asarray(JOB_TITLES, dtype=object)[job],
            "email_address": email.to_numpy(dtype=object),
            "full_name": full_name,
            "phone_number": phone.to_numpy(dtype=object),
            "city": np.array([c[0] for c in CITIES], dtype=object)[city],
            "state": np.array([c[1] for c in CITIES], dtype=object)[city],
        },
        columns=list(CUSTOMER_INFO_COLUMNS),
    )
