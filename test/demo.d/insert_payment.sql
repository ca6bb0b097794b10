-- One payment per transaction; run by pgbench from test/demo.sql.
\set amount random(1, 100000)
INSERT INTO payments (payer, amount) VALUES ('client ' || :client_id, :amount / 100.0);
