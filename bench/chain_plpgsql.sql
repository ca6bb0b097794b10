-- Baseline for bench/ledger.sh: the row-to-row hash chain users build today
-- with PL/pgSQL and pgcrypto.  A BEFORE INSERT trigger locks a single chain
-- head FOR UPDATE, hashes sha256(previous hash || row text) with pgcrypto's
-- digest(), stamps the row and moves the head.  The head's row lock is held
-- until commit, so every writer waits for the one before it.
--
-- Needs: CREATE EXTENSION pgcrypto (postgresql-contrib).  Creates
-- bench_chain (same user columns as the plain and ledger tables) and
-- bench_chain_head; bench/ledger.sh drops both afterwards.

CREATE TABLE bench_chain_head (
    id      int PRIMARY KEY,
    hash    bytea NOT NULL
);
INSERT INTO bench_chain_head VALUES (1, decode(repeat('00', 32), 'hex'));

CREATE TABLE bench_chain (
    account     int,
    amount      numeric,
    memo        text,
    at          timestamptz,
    prev_hash   bytea,
    hash        bytea
);

CREATE FUNCTION bench_chain_trigger() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    prev bytea;
BEGIN
    SELECT h.hash INTO prev FROM bench_chain_head h WHERE h.id = 1 FOR UPDATE;
    NEW.prev_hash := prev;
    NEW.hash := digest(prev || convert_to(
                    concat_ws('|', NEW.account, NEW.amount, NEW.memo,
                              to_char(NEW.at AT TIME ZONE 'UTC',
                                      'YYYY-MM-DD"T"HH24:MI:SS.US')),
                    'UTF8'), 'sha256');
    UPDATE bench_chain_head SET hash = NEW.hash WHERE id = 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER bench_chain_hash BEFORE INSERT ON bench_chain
    FOR EACH ROW EXECUTE FUNCTION bench_chain_trigger();
