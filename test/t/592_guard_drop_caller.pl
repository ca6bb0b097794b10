# Copyright (c) the ledger authors; PostgreSQL licence.
#
# The guard at the start of DROP EXTENSION, DROP SCHEMA and DROP OWNED
# (ledger._guard_drop_extension, src/guard.c) as a role that may not run
# them sees it (a review of 2026-12-07).  It refused DROP EXTENSION ledger,
# DROP SCHEMA of the extension's schema and DROP OWNED BY the extension's
# owner before PostgreSQL checked who asked, with a detail naming up to ten
# ledgers: any role learned the ledgers' names ("would delete the history of
# a.led, ..."), and where a DBA had revoked SELECT on ledger.ledgers from
# PUBLIC got "permission denied for table ledgers".  Such a role now gets
# PostgreSQL's own error; the superuser's DROP is refused as before, the
# catalog readable or not.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('guard_drop_caller');
$node->safe_psql('postgres', q{
CREATE EXTENSION ledger;
CREATE ROLE bob LOGIN;
CREATE SCHEMA a;
CREATE TABLE a.led (id int PRIMARY KEY, amount numeric);
SELECT ledger.create_ledger('a.led');
INSERT INTO a.led VALUES (1, 10);
});
my $owner = $node->safe_psql('postgres', q{SELECT extowner::regrole FROM pg_extension WHERE extname = 'ledger'});

sub as_role
{
	my ($role, $sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"BEGIN; $sql;\nROLLBACK;\n\\echo :LAST_ERROR_SQLSTATE",
		on_error_stop => 0,
		extra_params => [ '-U', $role ]);
	return ($out, $err);
}

my @drops = (
	[ 'DROP EXTENSION ledger', qr/must be owner of extension ledger/,
		qr/cannot drop extension ledger while 1 ledger exists/ ],
	[ 'DROP EXTENSION ledger CASCADE', qr/must be owner of extension ledger/,
		qr/cannot drop extension ledger while 1 ledger exists/ ],
	[ 'DROP SCHEMA ledger CASCADE', qr/must be owner of schema ledger/,
		qr/cannot drop schema "ledger" while 1 ledger exists/ ],
	[ "DROP OWNED BY $owner", qr/permission denied to drop objects/,
		qr/cannot drop objects owned by role "$owner" while 1 ledger exists/ ]);

for my $readable (1, 0)
{
	my $what = $readable ? 'catalog readable' : 'catalog revoked';
	$node->safe_psql('postgres', 'REVOKE SELECT ON ledger.ledgers FROM PUBLIC')
	  unless $readable;
	for my $d (@drops)
	{
		my ($state, $err) = as_role('bob', $d->[0]);
		like($err, $d->[1], "$what: bob: $d->[0]: PostgreSQL's error") or diag($err);
		unlike($err, qr/a\.led|ledgers? exist|permission denied for table/,
			'... naming no ledger') or diag($err);
		is($state, '42501', '... SQLSTATE 42501');

		($state, $err) = as_role($owner, $d->[0]);
		like($err, $d->[2], "$what: $owner: $d->[0]: refused by ledger") or diag($err);
		like($err, qr/a\.led/, '... naming the ledger');
	}
}
is($node->safe_psql('postgres', q{SELECT count(*) FROM a.led}), '1', 'the ledger is there');

done_testing();
