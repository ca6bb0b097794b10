-- test/demo.sql: the narrated walkthrough "make demo" runs (psql -X -a).
-- Placeholder until the ledger tables land: it shows the extension loading
-- and the way concurrent clients are run from here (\! pgbench).
\set ON_ERROR_STOP 1
\pset footer off

\echo
\echo '== 1. Install the extension in an existing database'
CREATE EXTENSION ledger;
SELECT extname, extversion, extnamespace::regnamespace AS schema
  FROM pg_extension WHERE extname = 'ledger';

\echo
\echo '== 2. A table with rows already in it'
CREATE TABLE payments (id bigserial PRIMARY KEY, payer text NOT NULL,
                       amount numeric(18,2) NOT NULL, at timestamptz NOT NULL DEFAULT now());
INSERT INTO payments (payer, amount)
  SELECT 'client ' || g, g * 10.5 FROM generate_series(1, 5) g;

\echo
\echo '== 3. Four concurrent clients insert 50 rows each (pgbench)'
\! pgbench -n -c 4 -j 2 -t 50 -f test/demo.d/insert_payment.sql > /dev/null
SELECT count(*) AS rows FROM payments;

\echo
\echo '== Done.'
