\echo Use "CREATE EXTENSION ledger" to load this file. \quit
-- ledger install script, assembled from sql/install/*.sql in name order.
-- Every built-in is schema-qualified; the extension's schema is "ledger".
