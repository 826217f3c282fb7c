"""Bank statement import: the treasurer uploads the account's statement (OFX, CAMT.053 or
CSV), its lines are stored once each, credits are matched to open promises (a campaign's
project account) or to members' savings (a club's account) by the reference we gave and
by amount, and each match the treasurer confirms records the transfer through the
existing guarded services (`pledges.record_transfer`, `clubs.savings.record_payment`).

`parsers.py` reads the files (no writes); `services.py` stores, proposes and confirms;
`routes.py` holds the pages (attached to the funding blueprint).
"""
