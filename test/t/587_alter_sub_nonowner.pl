# Copyright (c) the ledger authors; PostgreSQL licence.
#
# ALTER SUBSCRIPTION of a subscription of replicas by a role that does not
# own it (a brief of 2026-12-07, left by the session before).  ledger's
# guard (ledger._guard_subscription_enable, ddl_command_start) runs before
# PostgreSQL's own check of ownership, and read ledger.replicas as the
# caller for REFRESH, ADD and SET PUBLICATION, SET (disable_on_error =
# false) and ENABLE: such a role got ledger's own refusals ("holds ledger
# replicas", which says what the subscription writes), or, where
# ledger.replicas is not readable by it, "permission denied for table
# replicas", instead of PostgreSQL's "must be owner of subscription"
# (42501).  The guard checks ownership first, and refuses a role that does
# not own the subscription in PostgreSQL's words; the owner's ALTER is
# guarded as before.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('no_a');
my $b = sync_node('no_b', conf => "ledger.sync_reconnect_delay = 3600\n");
my $ci = acct_subscribed($a, $b);
$b->safe_psql('postgres', 'CREATE ROLE app LOGIN');

# every form of ALTER SUBSCRIPTION that PostgreSQL 15 has (the guard looks at
# the first seven)
my @forms = (
	'REFRESH PUBLICATION',
	'REFRESH PUBLICATION WITH (copy_data = false)',
	'ADD PUBLICATION pub2',
	'SET PUBLICATION pub',
	'SET PUBLICATION pub WITH (copy_data = false)',
	'SET (disable_on_error = false)',
	'ENABLE',
	'DISABLE',
	"SET (synchronous_commit = 'local')",
	"CONNECTION '$ci'",
	'DROP PUBLICATION pub2',
	"SKIP (lsn = '0/12345678')");

sub as_app
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $b->psql('postgres', "$sql;\n\\echo :LAST_ERROR_SQLSTATE",
		on_error_stop => 0, extra_params => [ "-U", "app" ]);
	return ($out, $err);
}

sub all_refused_as_owner_check
{
	my ($what) = @_;
	for my $form (@forms)
	{
		my ($state, $err) = as_app("ALTER SUBSCRIPTION sub $form");
		like($err, qr/ERROR:  must be owner of subscription sub$/m,
			"$what: ALTER SUBSCRIPTION sub $form: PostgreSQL's ownership error") or diag($err);
		is($state, '42501', "... SQLSTATE 42501");
		unlike($err, qr/replica|ledger/, '... and nothing of ledger or its replicas');
	}
	my ($state, $err) = as_app('ALTER SUBSCRIPTION nosuch REFRESH PUBLICATION');
	like($err, qr/ERROR:  subscription "nosuch" does not exist/, "$what: a subscription that does not exist: PostgreSQL's error");
	is($state, '42704', '... SQLSTATE 42704');
}

# ---------- 1. the catalog readable by all (as installed) ----------
all_refused_as_owner_check('ledger.replicas readable');

# ---------- 2. ledger.replicas not readable by the role ----------
$b->safe_psql('postgres', 'REVOKE SELECT ON ledger.replicas FROM PUBLIC');
all_refused_as_owner_check('ledger.replicas not readable');
is(sub_enabled($b, 'sub'), 't', 'the subscription is still enabled');
is($b->safe_psql('postgres', q{SELECT subdisableonerr AND subsynccommit = 'off' FROM pg_subscription WHERE subname = 'sub'}),
	't', '... with its settings unchanged');

# ---------- 3. the owner (a superuser) is guarded as before ----------
my ($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub REFRESH PUBLICATION');
like($err, qr/subscription "sub" holds ledger replicas, which PostgreSQL's table copy cannot copy/,
	'the owner: REFRESH PUBLICATION refused by ledger');
($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub SET (disable_on_error = false)');
like($err, qr/disable_on_error must stay on/, '... disable_on_error off refused');
($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION nosuch ENABLE');
like($err, qr/subscription "nosuch" does not exist/, '... a subscription that does not exist: PostgreSQL\'s error');
$b->safe_psql('postgres', "ALTER SUBSCRIPTION sub SET (synchronous_commit = 'local')");
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION sub DISABLE');
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE');
$a->safe_psql('postgres', 'INSERT INTO acct VALUES (2, 20)');
my $digest = caught_up($a, $b, 'acct');
ok($digest, '... its ALTERs go through, and the replica catches up');
verify_ok($b, 'postgres', 'acct', $digest, '... and verifies against the origin\'s digest');

# ---------- 4. renames, ledger.replicas still not readable by the role ----------
# ledger's rename guard (ledger._guard_replica_rename) read ledger.replicas
# as the caller too: in a database holding replicas, a table's owner could
# not rename it, nor its schema, once SELECT on ledger.replicas was revoked
# ("permission denied for table replicas"); and a role renaming a replica
# it does not own got that error, or with the table readable ledger's own
# refusal naming the subscription, before PostgreSQL's "must be owner".
$b->safe_psql('postgres', 'CREATE SCHEMA app_s AUTHORIZATION app');
# (a schema's rename needs CREATE on the database too)
$b->safe_psql('postgres', 'GRANT CREATE ON DATABASE postgres TO app');
$b->safe_psql('postgres', 'CREATE TABLE app_s.t (x int)');
$b->safe_psql('postgres', 'ALTER TABLE app_s.t OWNER TO app');
my ($state, $rerr) = as_app('ALTER TABLE app_s.t RENAME TO t2');
is($state, '00000', 'a table\'s owner renames it, ledger.replicas unreadable to it') or diag($rerr);
($state, $rerr) = as_app('ALTER TABLE app_s.t2 SET SCHEMA public');
like($rerr, qr/permission denied for schema public/, '... moving it is up to PostgreSQL (no CREATE on public)');
unlike($rerr, qr/replicas/, '... not refused for reading ledger.replicas');
($state, $rerr) = as_app('ALTER SCHEMA app_s RENAME TO app_s2');
is($state, '00000', '... and renames its schema') or diag($rerr);
($state, $rerr) = as_app('ALTER TABLE acct RENAME TO acct2');
like($rerr, qr/ERROR:  must be owner of table acct$/m, 'a replica it does not own: PostgreSQL\'s ownership error');
is($state, '42501', '... SQLSTATE 42501');
unlike($rerr, qr/replica|ledger|subscription/, '... and nothing of ledger or the subscription');
($state, $rerr) = as_app('ALTER SCHEMA public RENAME TO public2');
like($rerr, qr/ERROR:  must be owner of schema public$/m, 'the replica\'s schema it does not own: PostgreSQL\'s error');
unlike($rerr, qr/replica|ledger|subscription/, '... and nothing of ledger');
($ret, $out, $err) = $b->psql('postgres', 'ALTER TABLE acct RENAME TO acct2');
like($err, qr/cannot rename replica "public\.acct" of subscription "sub", which is enabled/,
	'the owner (a superuser): the replica\'s rename refused by ledger, as before');
is($b->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname = 'acct'}), '1', '... and not renamed');

$a->stop;
$b->stop;
done_testing();
