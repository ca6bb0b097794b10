
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Faults the review of the extension's SQL (2026-12-06) reproduced, each
# failing here against the code before:
#  1. ledger._check_ledger(regclass, bool), which the DDL guard's event
#     triggers call as the role running the DDL (and so executable by
#     PUBLIC), stored the column list of a ledger whose list is still in
#     the form 0.1.0 recorded (a database updated from 0.1.0 keeps it until
#     the ledger's next DDL) for any caller, as the extension's owner: a
#     role with no privilege on the ledger updated its row of
#     ledger.ledgers, and by leaving its transaction open held the row the
#     sealer takes, so that every background pass skipped the ledger and
#     digest() returned an old block after ledger.digest_wait.  The list is
#     now stored only for the table's owner (who runs the DDL that changes
#     it).
#  2. Margin calls and expiry events were announced with their accounts and
#     figures to every role that LISTENs; a run now sends its date and count
#     only.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('sqlrev', conf => "ledger.digest_wait = 3000\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE ROLE app LOGIN;
});

# ---------- 1. a 0.1.0 column list stored by any role ----------

$node->safe_psql('postgres', q{
	CREATE TABLE legacy (id int4, memo text);
	SELECT ledger.create_ledger('legacy');
	INSERT INTO legacy VALUES (1, 'a');
});
ok(wait_sealed($node, 'postgres'), 'legacy ledger sealed');
# the column list as 0.1.0 recorded it ("name:tag", no "shape-v2" marker),
# which ALTER EXTENSION ledger UPDATE leaves in place (090_upgrade)
my $v1 = q{{id:int4,memo:text,ledger_xact:int8,ledger_seq:int8,ledger_hash:bytea}};
$node->safe_psql('postgres',
	"UPDATE ledger.ledgers SET shape = '$v1' WHERE relation = 'legacy'::regclass");

my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT ledger._check_ledger('legacy', false)", extra_params => [ '-U', 'app' ]);
is($ret, 0, 'a role with no privilege on the ledger may call the guard\'s check (the event triggers do)');
is($node->safe_psql('postgres', "SELECT shape::text FROM ledger.ledgers WHERE relation = 'legacy'::regclass"),
	$v1, '... but it does not store the ledger\'s column list');

# held open: the sealer must still seal the ledger (the list as 0.1.0
# recorded it again, should the call above have stored it)
$node->safe_psql('postgres',
	"UPDATE ledger.ledgers SET shape = '$v1' WHERE relation = 'legacy'::regclass");
my $holder = $node->background_psql('postgres', on_error_stop => 1, extra_params => [ '-U', 'app' ]);
$holder->query_safe('BEGIN');
$holder->query_safe("SELECT ledger._check_ledger('legacy', false)");
my $x = $node->safe_psql('postgres', "INSERT INTO legacy VALUES (2, 'b') RETURNING ledger_xact");
($ret, $out, $err) = $node->psql('postgres', "SELECT (ledger.digest('legacy')->>'transactions')::int8");
unlike($err, qr/was not sealed within/, '... and its open transaction holds nothing the sealer needs');
is($node->safe_psql('postgres',
	"SELECT block_no IS NOT NULL FROM ledger.transaction_blocks WHERE xact_id = $x"),
	't', '... the commit made meanwhile is sealed');
$holder->query_safe('COMMIT');
$holder->quit;

# the owner's own DDL still stores the list in the current form
$node->safe_psql('postgres', 'ALTER TABLE legacy ADD COLUMN note text');
like($node->safe_psql('postgres', "SELECT shape::text FROM ledger.ledgers WHERE relation = 'legacy'::regclass"),
	qr/^\{shape-v2,.*"note pg_catalog\.text"\}$/, 'the owner\'s DDL stores the list, in the current form');
verify_ok($node, 'postgres', 'legacy', undef, '... and the ledger verifies');

# ---------- 2. margin calls announced to every role ----------
#
# ledger.run_margin_calls and ledger.run_expiry announced each call and
# event with its account and figures on a channel, and PostgreSQL has no
# privilege on LISTEN (src/backend/commands/async.c, Async_Listen): a role
# that may not read ledger.margin_calls or any margin table heard every
# account's requirement, collateral and deficit.  Since 2026-12-06 a run
# sends one notification with its date and count only; listeners read the
# table under their own privileges.
$node->safe_psql('postgres', q{
	INSERT INTO ledger.margin_products (product, style, multiplier, settlement, price_scan, vol_scan,
		short_option_minimum)
	VALUES ('ES', 'futures', 50, 'physical', 120, 0.05, 300);
	INSERT INTO ledger.margin_prices VALUES ('ES', 4000, 0.18);
	INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity, premium)
	VALUES ('fut-short', 'ES', 'future', NULL, '2026-06-19', 10, NULL);
	INSERT INTO ledger.margin_collateral VALUES ('fut-short', 'USD', 'cash', 10000);
});
($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM ledger.margin_calls',
	extra_params => [ '-U', 'app' ]);
like($err, qr/permission denied for table margin_calls/, 'app may not read ledger.margin_calls');
my $listener = $node->background_psql('postgres', extra_params => [ '-U', 'app' ]);
$listener->query_safe('LISTEN ledger_margin_call');
is($node->safe_psql('postgres', "SELECT ledger.run_margin_calls('2026-03-20 21:00:00+00')"),
	'1', 'one margin call made');
my $heard = $listener->query_safe('SELECT 1');
like($heard, qr/Asynchronous notification "ledger_margin_call" with payload "\{"as_of": "[^"]+", "calls": 1\}" received/,
	'... a role that may not read it hears that a run made one call');
unlike($heard, qr/fut-short|deficit|requirement|collateral/,
	'... and not its account or any figure (before: the account and deficit)');
$listener->quit;

done_testing();
