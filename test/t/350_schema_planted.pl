
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# A database owner who is not a superuser made schema "ledger" before a
# superuser ran CREATE EXTENSION ledger (or pg_restore) in that database,
# and became superuser (found by a review acting as an attacker on
# 2026-12-05, reproduced): CREATE EXTENSION uses an existing schema
# whoever owns it and whatever it holds, so a planted overload of an
# internal function ran as the installing superuser, and the schema's
# owner could later rename it and put a fake catalog under the name the
# library read, which the background sealer (a superuser) then wrote.
# The install and update scripts now refuse a schema not owned by a
# superuser, one granting CREATE to another role, and (install) one that
# holds anything or (update) anything not the extension's; the library
# finds the extension's schema through the extension, not by name.  Each
# part below fails against the code before.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('planted');
$node->safe_psql('postgres', q{
	CREATE ROLE dbo LOGIN;
	CREATE DATABASE t1 OWNER dbo;
	CREATE DATABASE t2 OWNER dbo;
	CREATE DATABASE t3 OWNER dbo;
	CREATE DATABASE t4 OWNER dbo;
	CREATE DATABASE restored OWNER dbo;
});

my $plant = q{
	CREATE FUNCTION ledger._prepare_builtin(t text) RETURNS void LANGUAGE plpgsql AS $$
	BEGIN
		IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
			EXECUTE 'ALTER ROLE dbo SUPERUSER';
		END IF;
		PERFORM ledger._prepare_builtin(t::pg_catalog.regclass);
	END $$;
};
my $dbo_super = sub {
	$node->safe_psql('postgres', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'dbo'});
};
sub create_ext
{
	my ($db) = @_;
	my ($ret, $out, $err) = $node->psql($db, "\\set VERBOSITY verbose\nCREATE EXTENSION ledger");
	return $err;
}

# 1. the schema made and planted by the database owner
$node->safe_psql('t1', "CREATE SCHEMA ledger; $plant", extra_params => [ '-U', 'dbo' ]);
like(create_ext('t1'), qr/ERROR:  42501: schema "ledger" is owned by a role that is not a superuser/,
	'CREATE EXTENSION refuses a schema "ledger" owned by the database owner');
is($dbo_super->(), 'f', '... who does not become superuser (before: it did)');
is($node->safe_psql('t1', q{SELECT count(*) FROM pg_extension WHERE extname = 'ledger'}), '0',
	'... and the extension is not installed');

# 2. made by a superuser, CREATE granted to the database owner
$node->safe_psql('t2', 'CREATE SCHEMA ledger; GRANT CREATE, USAGE ON SCHEMA ledger TO dbo');
like(create_ext('t2'), qr/ERROR:  42501: schema "ledger" grants CREATE to dbo, which is not a superuser/,
	'CREATE EXTENSION refuses a schema granting CREATE to another role');
$node->safe_psql('t2', 'GRANT CREATE ON SCHEMA ledger TO PUBLIC; REVOKE CREATE ON SCHEMA ledger FROM dbo');
like(create_ext('t2'), qr/ERROR:  42501: schema "ledger" grants CREATE to PUBLIC/, '... or to PUBLIC');

# 3. planted, then handed to a superuser (what pg_restore's ALTER SCHEMA
# ... OWNER does before its CREATE EXTENSION)
$node->safe_psql('t3', "CREATE SCHEMA ledger; $plant", extra_params => [ '-U', 'dbo' ]);
$node->safe_psql('t3', 'ALTER SCHEMA ledger OWNER TO postgres');
like(create_ext('t3'), qr/ERROR:  55000: schema "ledger" already holds function _prepare_builtin/,
	'CREATE EXTENSION refuses a schema that holds anything');
is($dbo_super->(), 'f', '... and the database owner is not superuser');

# an empty schema of a superuser's (what pg_restore makes) is taken
$node->safe_psql('t4', 'CREATE SCHEMA ledger');
is(create_ext('t4'), '', 'an empty schema "ledger" owned by a superuser is taken');
my ($ret, $out, $err) = $node->psql('t4', 'ALTER SCHEMA ledger RENAME TO ledger_moved', extra_params => [ '-U', 'dbo' ]);
like($err, qr/must be owner of schema ledger/, 'the database owner cannot rename the extension\'s schema');

# 4. pg_restore into a database whose owner planted the schema
$node->safe_psql('t4', q{
	CREATE TABLE pay (id int, amount numeric);
	SELECT ledger.create_ledger('pay');
	INSERT INTO pay VALUES (1, 10), (2, 20);
});
my $dir = PostgreSQL::Test::Utils::tempdir();
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('t4'), '-f', "$dir/t4.dump" ], 'pg_dump of a ledger database');
$node->safe_psql('restored', "CREATE SCHEMA ledger; $plant", extra_params => [ '-U', 'dbo' ]);
my ($rout, $rerr) = ('', '');
IPC::Run::run([ 'pg_restore', '-d', $node->connstr('restored'), "$dir/t4.dump" ], '>', \$rout, '2>', \$rerr);
like($rerr, qr/schema "ledger" already holds function _prepare_builtin/,
	'pg_restore into a database whose owner planted schema "ledger" does not install the extension there');
is($dbo_super->(), 'f', '... and the database owner is not superuser (before: it was)');

# a clean restore still works
$node->safe_psql('postgres', 'CREATE DATABASE restored2');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored2'), "$dir/t4.dump" ], 'pg_restore into a fresh database');
verify_ok($node, 'restored2', 'pay', undef, '... whose ledger verifies');

# A catalog table replaced by a view (a superuser's doing, with the guards
# that keep the catalog's names and triggers set aside; no other role can
# now): refused by kind, where the sealer crashed in a loop before
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('t4', q{
	ALTER EVENT TRIGGER ledger_guard_replica_rename DISABLE;
	ALTER EVENT TRIGGER ledger_guard_signed DISABLE;
	ALTER TABLE ledger.seal_queue RENAME TO seal_queue_was;
	ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;
	ALTER EVENT TRIGGER ledger_guard_replica_rename ENABLE ALWAYS;
	CREATE VIEW ledger.seal_queue AS SELECT * FROM ledger.seal_queue_was;
});
($ret, $out, $err) = $node->psql('t4', "\\set VERBOSITY verbose\nINSERT INTO pay VALUES (3, 30)");
like($err, qr/ERROR:  XX001: ledger catalog relation "ledger.seal_queue" is not a table/,
	'a catalog table replaced by a view is refused by its kind, at commit');
($ret, $out, $err) = $node->psql('t4', "\\set VERBOSITY verbose\nSELECT ledger.seal()");
like($err, qr/ERROR:  XX001: ledger catalog relation "ledger.seal_queue" is not a table/, '... and by seal()');
sleep(1);
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started, '... and the server never restarted');
$node->safe_psql('t4', q{
	DROP VIEW ledger.seal_queue;
	ALTER EVENT TRIGGER ledger_guard_replica_rename DISABLE;
	ALTER EVENT TRIGGER ledger_guard_signed DISABLE;
	ALTER TABLE ledger.seal_queue_was RENAME TO seal_queue;
	ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;
	ALTER EVENT TRIGGER ledger_guard_replica_rename ENABLE ALWAYS;
	INSERT INTO pay VALUES (3, 30);
});
ok(wait_sealed($node, 't4'), 'put back, the ledger is sealed');
verify_ok($node, 't4', 'pay', undef, '... and verifies');

$node->stop;
done_testing();
