\echo Use "ALTER EXTENSION ledger UPDATE TO '0.2.0'" to load this file. \quit
-- ledger update script 0.1.0 -> 0.2.0, assembled from
-- sql/update/0.1.0--0.2.0/*.sql in name order.  Every change to the
-- catalog, the canonical format or a hash between the two versions is
-- here; test/t/090_upgrade.pl upgrades ledgers made by 0.1.0 with it.
