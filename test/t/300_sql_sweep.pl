
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Every SQL function of the extension, called with bad input: NULLs, NaN
# and infinities, zero and negative numbers, the extremes of each integer
# type, empty and oversized strings, arrays and byteas, empty, NULL-holding
# and multi-dimensional arrays, infinite dates, regclasses of things that
# are not ledgers.  Each argument in turn takes each value while the others
# hold an ordinary one, then all are NULL at once.  Called by a superuser
# and by a role with no privileges, each call in a savepoint rolled back.
#
# What must hold: the server never crashes, no call ends in an internal
# error (SQLSTATE class XX: an elog() reached from SQL, a "cache lookup
# failed", an unexpected state) or in an error without a SQLSTATE of its
# own (P0001, a PL/pgSQL RAISE with no ERRCODE), and the functions that
# take `internal` cannot be called from SQL at all.  The generator is
# checked too: every function is called, and each one at least once gets
# past the parser.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use InitdbTemplate;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('sweep');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'ledger'\nwal_level = logical\nledger.seal_interval = 100ms\n"
	  . "restart_after_crash = on\n");
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION ledger;
CREATE TABLE t (id int PRIMARY KEY, v text);
SELECT ledger.create_ledger('t');
INSERT INTO t VALUES (1, 'a'), (2, 'b');
SELECT ledger.seal();
INSERT INTO t VALUES (3, 'c');
CREATE TABLE plain (id int, v text);
INSERT INTO plain VALUES (1, 'a');
CREATE VIEW plain_view AS SELECT * FROM plain;
CREATE TABLE s (id int PRIMARY KEY, amount numeric, key_id text, sig bytea);
SELECT ledger.create_ledger('s');
SELECT ledger.add_key('ed-alice', 'alice', 'ed25519',
  '\\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
SELECT ledger.require_signatures('s', 'sig', 'key_id');
CREATE ROLE sweeper LOGIN;
GRANT USAGE ON SCHEMA ledger TO sweeper;
});

# Values each argument type takes, as SQL expressions; the first is the
# ordinary value the other arguments hold.
my $big = 1048576;
my %values = (
	'boolean' => [ 'true', 'false', 'NULL::boolean' ],
	'bytea' => [
		"'\\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'::bytea",
		"'\\x'::bytea", "'\\x00'::bytea",
		"pg_catalog.decode(pg_catalog.repeat('ab', 64), 'hex')",
		"pg_catalog.decode(pg_catalog.repeat('ff', $big), 'hex')",
		'NULL::bytea'
	],
	'name' => [ "'t'::name", "''::name", "pg_catalog.repeat('n', 63)::name", 'NULL::name' ],
	'bigint' => [
		'1::bigint', '0::bigint', '(-1)::bigint', '9223372036854775807::bigint',
		'(-9223372036854775808)::bigint', '1000000000::bigint', 'NULL::bigint'
	],
	'integer' => [
		'1', '0', '(-1)', '2147483647', '(-2147483648)', '1000000', 'NULL::integer'
	],
	'text' => [
		"'call'", "''", "'put'", "'x'", "'NaN'", "'-1'",
		"pg_catalog.repeat('x', $big)", "E'a\\\\b''c\"d'", 'NULL::text'
	],
	'double precision' => [
		'1::float8', "'NaN'::float8", "'Infinity'::float8", "'-Infinity'::float8",
		'0::float8', '(-1)::float8', '1e-300::float8', '1e300::float8',
		'5e-324::float8', "'-0'::float8", '0.5::float8', '100::float8', 'NULL::float8'
	],
	'date' => [
		"'2026-06-30'::date", "'infinity'::date", "'-infinity'::date",
		"'4713-01-01 BC'::date", "'5874897-12-31'::date", 'NULL::date'
	],
	'timestamp with time zone' => [
		"'2026-06-30 12:00+00'::timestamptz", "'infinity'::timestamptz",
		"'-infinity'::timestamptz", "'4713-01-01 00:00+00 BC'::timestamptz",
		"'294276-12-31 23:59:59+00'::timestamptz", 'NULL::timestamptz'
	],
	'regclass' => [
		"'t'::regclass", "'plain'::regclass", "'plain_view'::regclass",
		"'pg_class'::regclass", "'ledger.ledgers'::regclass",
		"'ledger.transactions'::regclass", "0::oid::regclass",
		"4294967295::oid::regclass", 'NULL::regclass'
	],
	'regprocedure' => [
		"(SELECT p.oid FROM pg_proc p WHERE p.proname = 'run_margin_calls' AND p.pronamespace = 'ledger'::regnamespace LIMIT 1)::regprocedure",
		"(SELECT p.oid FROM pg_proc p WHERE p.proname = 'run_expiry' AND p.pronamespace = 'ledger'::regnamespace LIMIT 1)::regprocedure",
		"'pg_catalog.now()'::regprocedure", "0::oid::regprocedure",
		"4294967295::oid::regprocedure", 'NULL::regprocedure'
	],
	'uuid' => [
		"(SELECT ledger_uuid FROM ledger.ledgers LIMIT 1)",
		"'00000000-0000-0000-0000-000000000000'::uuid",
		"'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid", 'NULL::uuid'
	],
	'jsonb' => [
		"'{}'::jsonb", "'[]'::jsonb", "'null'::jsonb", "'1'::jsonb", "'\"x\"'::jsonb",
		"'{\"a\": [1, {\"b\": null}]}'::jsonb",
		"(pg_catalog.repeat('[', 5000) || pg_catalog.repeat(']', 5000))::jsonb",
		"(SELECT pg_catalog.jsonb_agg(g) FROM pg_catalog.generate_series(1, 200000) g)",
		'NULL::jsonb'
	],
	'record' => [
		"(SELECT t FROM t WHERE id = 1)", "ROW(1, 'a')", 'ROW()',
		"(SELECT p FROM plain p LIMIT 1)", 'NULL::record'
	],
);

# Arguments known by name: the ordinary value that gets a call past the
# first check (a method, an algorithm, a key), and further values to try.
# The Ed25519 key, message and signature: RFC 8032, section 7.1, TEST 1.
my $ed_pk = "'\\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'::bytea";
my $ed_sig =
  "'\\xe5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'::bytea";
my %by_name = (
	'method' => [ "'qdfp'", "'baw'", "'bjs2002'", "'crr'" ],
	'algorithm' => [ "'ed25519'", "'ecdsa-p256'", "'ecdsa-p256-p1363'" ],
	'public_key' => [$ed_pk],
	'signature' => [$ed_sig],
	'message' => [ "'\\x'::bytea" ],
	'key_id' => [ "'ed-alice'" ],
	'tbl' => [ "'s'::regclass", "'t'::regclass" ],
	'steps' => [ '500', '100000000' ],);

# Arrays of each element type: ordinary, empty, NULL-holding, two
# dimensions, a lower bound other than 1, a million elements.
my %elem_sample = (
	'double precision' => [ '1::float8', "'NaN'::float8" ],
	'integer' => [ '1', '(-2147483648)' ],
	'bigint' => [ '1::bigint', '(-1)::bigint' ],
	'text' => [ "'call'", "''" ],
	'bytea' => [ "'\\x00'::bytea", "'\\x'::bytea" ],
	'date' => [ "'2026-06-30'::date", "'infinity'::date" ],
	'regclass' => [ "'t'::regclass", "'pg_class'::regclass" ],);
for my $el (keys %elem_sample)
{
	my ($a, $b) = @{ $elem_sample{$el} };
	my $at = "$el\[\]";
	my $cast = $el eq 'double precision' ? 'float8' : $el;
	$values{$at} = [
		"ARRAY[$a]::$cast\[\]", "'{}'::$cast\[\]",
		"ARRAY[NULL]::$cast\[\]", "ARRAY[$b, NULL, $a]::$cast\[\]",
		"ARRAY[[$a, $a], [$a, $a]]::$cast\[\]",
		"('[5:5]={' || ($a)::text || '}')::$cast\[\]",
		"pg_catalog.array_fill(($a)::$cast, ARRAY[$big])",
		"NULL::$cast\[\]"
	];
}

# The functions: everything in schema ledger that SQL can call.
my @funcs = map { [ split /\|/, $_, 5 ] } split /\n/, $node->safe_psql(
	'postgres', q{
SELECT p.oid, p.oid::regprocedure, p.prokind,
       pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.format_type(a, NULL)
                                         FROM pg_catalog.unnest(p.proargtypes::oid[]) WITH ORDINALITY u(a, n)
                                         ORDER BY n), ','),
       pg_catalog.array_to_string(p.proargnames[1:p.pronargs], ',', '')
FROM pg_catalog.pg_proc p
WHERE p.pronamespace = 'ledger'::regnamespace
  AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
ORDER BY p.proname, p.oid});

my (@calls, %calls_of, @internal, %unknown_type);
for my $f (@funcs)
{
	my ($oid, $sig, $kind, $argstr, $namestr) = @$f;
	my @types = $argstr eq '' ? () : split /,/, $argstr;
	my @names = split /,/, $namestr // '', -1;
	(my $name = $sig) =~ s/\(.*//;
	if (grep { $_ eq 'internal' } @types)
	{
		push @internal, [ $sig, scalar @types ];
		next;
	}
	my @unknown = grep { !exists $values{$_} } @types;
	if (@unknown)
	{
		$unknown_type{$sig} = join(', ', @unknown);
		next;
	}
	my @tries = map {
		my $n = $names[$_] // '';
		[ @{ $by_name{$n} // [] }, @{ $values{ $types[$_] } } ]
	} 0 .. $#types;
	my @base = map { $_->[0] } @tries;
	my @vectors = ([@base], [ map { "NULL::$_" } @types ]);
	for my $i (0 .. $#types)
	{
		for my $v (@{ $tries[$i] }[ 1 .. $#{ $tries[$i] } ])
		{
			my @a = @base;
			$a[$i] = $v;
			push @vectors, \@a;
		}
	}
	for my $vec (@vectors)
	{
		my $sql =
		  $kind eq 'a'
		  ? "SELECT $name(" . join(', ', @$vec) . ') FROM pg_catalog.generate_series(1, 3)'
		  : "SELECT $name(" . join(', ', @$vec) . ')';
		push @calls, { sig => $sig, sql => $sql };
		$calls_of{$sig}++;
	}
}

cmp_ok(scalar(keys %calls_of), '>=', 100, 'the sweep calls at least 100 functions of the extension')
  or diag explain \%unknown_type;
is_deeply(\%unknown_type, {}, 'every argument type of a callable function has values to try');

# Functions taking `internal` (aggregate support, planner support) cannot
# be called from SQL: no SQL value has that type.
for my $i (@internal)
{
	my ($sig, $n) = @$i;
	(my $name = $sig) =~ s/\(.*//;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SELECT $name(" . join(', ', ('NULL') x $n) . ')');
	like($err, qr/function .* does not exist|cannot cast/,
		"$sig cannot be called from SQL with forged arguments");
}

# Run the calls as $role (undef: the superuser), each in a savepoint rolled
# back, and return [call, SQLSTATE or '' or 'CRASH'] for each.
sub sweep
{
	my ($role) = @_;
	my @result;
	my $next = 0;
	while ($next < @calls)
	{
		my $script = "\\set VERBOSITY verbose\n\\o /dev/null\nSET statement_timeout = '20s';\n";
		$script .= "SET ROLE $role;\n" if defined $role;
		$script .= "BEGIN;\n";
		for my $k ($next .. $#calls)
		{
			$script .= "\\warn \@\@$k\nSAVEPOINT s;\n$calls[$k]{sql};\nROLLBACK TO SAVEPOINT s;\n";
		}
		$script .= "\\warn \@\@END\nROLLBACK;\n";
		# (from a file: psql stops reading when the server goes away)
		my $file = "$PostgreSQL::Test::Utils::tmp_check/sweep.sql";
		open my $fh, '>', $file or die "could not write $file: $!";
		print $fh $script;
		close $fh;
		my ($out, $err) = ('', '');
		IPC::Run::run(
			[
				'psql', '-X', '-q', '-d', $node->connstr('postgres'),
				'-v', 'ON_ERROR_STOP=0', '-f', $file
			],
			'>', \$out, '2>', \$err,
			IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default * 10));
		my ($cur, $done_all) = (undef, 0);
		my (%state, %msg);
		for my $line (split /\n/, $err)
		{
			if ($line =~ /^\@\@(\d+)$/)
			{
				$cur = $1;
				$state{$cur} = '' unless exists $state{$cur};
			}
			elsif ($line =~ /^\@\@END$/)
			{
				$done_all = 1;
			}
			elsif (defined $cur && $line =~ /ERROR:\s+([0-9A-Z]{5}):/ && $state{$cur} eq '')
			{
				$state{$cur} = $1;
				$msg{$cur} = $line;
			}
			elsif (defined $cur && $line =~ /server closed the connection|connection to server was lost|no connection to the server/)
			{
				$state{$cur} = 'CRASH';
			}
		}
		my $last = $next;
		for my $k (sort { $a <=> $b } keys %state)
		{
			push @result, [ $calls[$k], $state{$k}, $msg{$k} // '' ];
			$last = $k;
		}
		last if $done_all;
		# the connection was lost at call $last: wait for the server, go on
		$result[-1][1] = 'CRASH' if @result;
		$node->poll_query_until('postgres', 'SELECT 1', '1') or die 'server did not come back';
		$next = $last + 1;
	}
	return @result;
}

for my $who ([ undef, 'a superuser' ], [ 'sweeper', 'a role with no privileges' ])
{
	my ($role, $label) = @$who;
	my @result = sweep($role);
	is(scalar @result, scalar @calls, "every call ran, as $label (" . scalar(@calls) . ' calls)');

	my @crash = map { $_->[0]{sql} } grep { $_->[1] eq 'CRASH' } @result;
	is_deeply(\@crash, [], "no call crashed the server, as $label");

	my @internal_err =
	  map { substr($_->[0]{sql}, 0, 300) . " => $_->[2]" } grep { $_->[1] =~ /^XX/ } @result;
	is_deeply(\@internal_err, [], "no call ended in an internal error (XX...), as $label");

	my @no_code =
	  map { substr($_->[0]{sql}, 0, 300) . " => $_->[2]" } grep { $_->[1] eq 'P0001' } @result;
	is_deeply(\@no_code, [], "no call ended in an error without a SQLSTATE of its own (P0001), as $label");

	my %parsed;
	$parsed{ $_->[0]{sig} } = 1 for grep { $_->[1] !~ /^(42883|42804|42P18|42725)$/ } @result;
	my @never = grep { !$parsed{$_} } sort keys %calls_of;
	is_deeply(\@never, [], "every function was called past the parser at least once, as $label");

	# every call and its outcome, beside the test's log
	if (open my $fh, '>',
		"$PostgreSQL::Test::Utils::log_path/sweep_" . ($role // 'superuser') . '.txt')
	{
		print $fh "$_->[1]\t$_->[0]{sql}\t$_->[2]\n" for @result;
		close $fh;
	}

	my %by_state;
	$by_state{ $_->[1] || 'ok' }++ for @result;
	diag("outcomes as $label: "
		  . join(', ', map { "$_ $by_state{$_}" } sort keys %by_state));
}

my @bad_log = grep { /terminated by signal|TRAP:|server process .* was terminated/ }
  split /\n/, slurp_file($node->logfile);
is_deeply(\@bad_log, [], 'the server log shows no crash and no failed assertion');

$node->stop;
done_testing();
