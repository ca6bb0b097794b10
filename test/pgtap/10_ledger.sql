-- 10_ledger: ledger tables through pgTAP: structure, misuse with SQLSTATE and
-- message (throws_ok), and verification results.
BEGIN;
SELECT plan(42);

-- catalog and functions
SELECT has_table('ledger', 'ledgers', 'catalog ledger.ledgers exists');
SELECT has_table('ledger', 'transactions', 'catalog ledger.transactions exists');
SELECT has_table('ledger', 'blocks', 'catalog ledger.blocks exists');
SELECT has_function('ledger', 'create_ledger', ARRAY['regclass'], 'create_ledger(regclass) exists');
SELECT has_function('ledger', 'verify', ARRAY['regclass', 'jsonb'], 'verify(regclass, jsonb) exists');
SELECT function_returns('ledger', 'digest', ARRAY['regclass'], 'jsonb', 'digest returns jsonb');
SELECT volatility_is('ledger', 'merkle_root', ARRAY['bytea[]'], 'immutable', 'merkle_root is immutable');
-- not STRICT since 2026-12-06: a NULL (to_regclass of a mistyped name)
-- returned NULL and made nothing; it is refused now
SELECT throws_ok('SELECT ledger.create_ledger(NULL)', '22004', 'ledger table must not be NULL',
                 'create_ledger(NULL) is refused, not a silent NULL');
SELECT ok(NOT has_function_privilege('public', 'ledger.create_ledger(regclass)', 'EXECUTE'),
          'PUBLIC cannot execute create_ledger');
SELECT ok(NOT has_function_privilege('public', 'ledger.seal(regclass)', 'EXECUTE'),
          'PUBLIC cannot execute seal');
SELECT ok(NOT has_table_privilege('public', 'ledger.blocks', 'INSERT'), 'PUBLIC cannot write blocks');
SELECT ok(has_table_privilege('public', 'ledger.blocks', 'SELECT'), 'PUBLIC can read blocks');

-- a ledger
CREATE TABLE tap_pay (id int4 PRIMARY KEY, amount numeric);
INSERT INTO tap_pay VALUES (1, 10), (2, 20);
SELECT is((ledger.create_ledger('tap_pay'))->>'rows', '2', 'genesis digest counts the existing rows');
SELECT has_column('tap_pay', 'ledger_xact', 'ledger_xact added');
SELECT has_column('tap_pay', 'ledger_seq', 'ledger_seq added');
SELECT has_column('tap_pay', 'ledger_hash', 'ledger_hash added');
SELECT col_not_null('tap_pay', 'ledger_hash', 'ledger_hash is NOT NULL');
SELECT has_trigger('tap_pay', 'zz_ledger_row', 'row trigger attached');
SELECT has_trigger('tap_pay', 'ledger_append_only', 'append-only trigger attached');
SELECT is((SELECT tgenabled::text FROM pg_trigger WHERE tgrelid = 'tap_pay'::regclass AND tgname = 'zz_ledger_row'),
          'A', 'row trigger is ENABLE ALWAYS');

INSERT INTO tap_pay VALUES (3, 30);
SELECT is((SELECT count(*)::int FROM tap_pay WHERE ledger_hash = ledger.leaf_hash(tap_pay, ledger_xact, ledger_seq)), 3,
          'every stored hash is the leaf hash of the row');
-- (pgTAP runs in one transaction: the row just inserted is this transaction's
-- own, recorded only at commit, so verify checks the two genesis rows)
SELECT results_eq($$SELECT ok, rows_checked FROM ledger.verify('tap_pay')$$,
                  $$VALUES (true, 2::int8)$$, 'verify passes, skipping the uncommitted own row');

-- misuse: SQLSTATE and message
SELECT throws_ok($$UPDATE tap_pay SET amount = 0$$, '23000',
                 'cannot update rows of ledger table "tap_pay"', 'UPDATE refused');
SELECT throws_ok($$DELETE FROM tap_pay$$, '23000',
                 'cannot delete rows from ledger table "tap_pay"', 'DELETE refused');
SELECT throws_ok($$TRUNCATE tap_pay$$, '23000',
                 'cannot truncate ledger table "tap_pay"', 'TRUNCATE refused');
SELECT throws_ok($$ALTER TABLE tap_pay DROP COLUMN amount$$, '0A000',
                 'cannot alter ledger table "tap_pay" this way', 'DROP COLUMN refused');
SELECT throws_ok($$ALTER TABLE tap_pay ALTER COLUMN amount TYPE float8$$, '0A000',
                 'cannot change the type of column "amount" of ledger table "tap_pay"', 'retype refused');
SELECT throws_ok($$ALTER TABLE tap_pay DISABLE TRIGGER zz_ledger_row$$, '0A000',
                 'cannot alter ledger table "tap_pay" this way', 'disabling the row trigger refused');
SELECT throws_ok($$DROP TABLE tap_pay$$, '0A000',
                 'cannot drop ledger table public.tap_pay', 'DROP TABLE refused');
SELECT throws_ok($$SELECT ledger.create_ledger('tap_pay')$$, '42710',
                 'table "tap_pay" is already a ledger', 'second create_ledger refused');
SELECT throws_ok($$INSERT INTO tap_pay (id, amount, ledger_xact) VALUES (9, 1, 1)$$, '428C9',
                 'cannot insert a value into column "ledger_xact" of ledger table "tap_pay"',
                 'supplying ledger_xact refused');
SELECT throws_ok($$INSERT INTO tap_pay (id, amount, ledger_xact, ledger_seq, ledger_hash) VALUES (9, 1, 1, 1, '\x00')$$,
                 'XX001', 'row of ledger table "tap_pay" does not match its hash',
                 'a wrong supplied hash refused');
SELECT throws_ok($$SELECT ledger.row_trigger()$$, '39P01',
                 'function "ledger.row_trigger" was not called by the trigger manager',
                 'row trigger outside the trigger manager');

CREATE TABLE tap_plain (id int4);
CREATE TABLE tap_point (id int4, p point);
SELECT throws_ok($$SELECT * FROM ledger.verify('tap_plain')$$, '22023',
                 'table "tap_plain" is not a ledger', 'verify of a non-ledger');
SELECT throws_ok($$SELECT ledger.digest('tap_plain')$$, '22023',
                 'table "tap_plain" is not a ledger', 'digest of a non-ledger');
SELECT throws_ok($$SELECT ledger.create_ledger('tap_point')$$, '0A000',
                 'column "p" has a type a ledger cannot hash: point', 'unsupported column type');
SELECT hasnt_column('tap_point', 'ledger_hash', 'the refused table is left unchanged');
SELECT throws_ok($$SELECT * FROM ledger.verify(NULL)$$, '22004',
                 'ledger table must not be NULL', 'verify of NULL');

-- a digest of another ledger does not verify (it may be this ledger's with
-- its identity changed): ok = false, naming both uuids
CREATE TABLE tap_other (id int4);
SELECT ok(ledger.create_ledger('tap_other') IS NOT NULL, 'second ledger created');
SELECT results_eq(
    format($$SELECT ok, problem LIKE 'the digest belongs to ledger %%, but ledger "tap_pay" has uuid %%'
             FROM ledger.verify('tap_pay', %L)$$, ledger.digest('tap_other')),
    $$VALUES (false, true)$$, 'digest of another ledger does not verify');

-- drop_ledger removes a signed ledger with all of its catalog rows
CREATE TABLE tap_signed (id int4, key_id text, sig bytea);
SELECT ok(ledger.create_ledger('tap_signed') IS NOT NULL, 'ledger to sign created');
SELECT ledger.require_signatures('tap_signed', 'sig', 'key_id');
SELECT ledger.drop_ledger('tap_signed');
SELECT is((SELECT count(*)::int FROM ledger.signed_ledgers s
           WHERE NOT EXISTS (SELECT 1 FROM ledger.ledgers l WHERE l.ledger_id = s.ledger_id)),
          0, 'drop_ledger leaves no signed-ledger rows behind');

SELECT * FROM finish();
ROLLBACK;
