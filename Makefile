# ledger: PGXS build.  "make test" and "make demo" drive throwaway clusters;
# see README.md.

EXTENSION = ledger
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = ledger
OBJS = \
	src/ledger.o \
	src/canon.o \
	src/crypto.o \
	src/merkle.o \
	src/history.o \
	src/history_sql.o \
	src/catalog.o \
	src/record.o \
	src/pending.o \
	src/trigger.o \
	src/create.o \
	src/guard.o \
	src/sealer.o \
	src/verify.o \
	src/tiles.o \
	src/digest.o \
	src/pricing_normal.o \
	src/pricing_european.o \
	src/pricing_iv.o \
	src/pricing_american.o \
	src/pricing.o \
	src/funcscan.o \
	src/sig.o \
	src/signed.o \
	src/margin.o \
	src/proof.o \
	src/replica.o \
	src/sync.o \
	src/worker.o \
	src/checkpoint.o

# The install script of the current version is assembled from one fragment
# per concern, in name order; so is each update script, from
# sql/update/OLD--NEW/.  Released install scripts (sql/ledger--0.1.0.sql)
# are kept as shipped and never edited.
SQL_PARTS = $(sort $(wildcard sql/install/*.sql))
UPDATES = $(notdir $(wildcard sql/update/*--*))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql \
	$(foreach u,$(UPDATES),sql/$(EXTENSION)--$(u).sql)
DATA = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))

REGRESS = \
	extension \
	canon \
	merkle \
	merkle_proofs \
	ledger_basic \
	ledger_guard \
	ledger_bad_input \
	pricing_american_fd \
	pricing_american_review \
	quant_review \
	ledger_attack \
	ledger_attack_review \
	pricing \
	pricing_greeks \
	pricing_scan \
	pricing_iv \
	pricing_american \
	sig_ed25519 \
	sig_ecdsa \
	sig_interop \
	sig_keys \
	signed_rows \
	margin_span \
	margin_strategy \
	margin_portfolio \
	margin_bad_input \
	margin_attack \
	margin_compare \
	margin_review \
	pricing_margin_edges \
	sync_bad_input \
	sync_signed \
	checkpoints \
	block_spans \
	parallel_query
# Files that "make test" runs at the same time as the one before them in
# REGRESS, in one parallel group of pg_regress (test/run.sh writes the
# schedule): they take seconds of CPU each and make temporary objects only,
# so they neither see nor change what another file does in the database.
# ledger_bad_input, which they run beside, is as slow.
REGRESS_BESIDE = pricing_american_fd pricing_american_review quant_review
REGRESS_OPTS = --temp-instance=tmp_check_regress --temp-config=test/ledger.conf \
	--load-extension=ledger
ISOLATION = insert_seal seal_seal ddl_insert signed_revoke on_conflict signed_empty block_spans sealing_status
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=output_iso \
	--temp-instance=tmp_check_iso --temp-config=test/ledger_manual_seal.conf \
	--load-extension=ledger

TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers
# Assert() checks in the tests only (make test exports LEDGER_ASSERTS=1):
# a failed assertion aborts the backend, and the server restarts, which a
# production build must not risk; benchmarks measure the production build.
ifeq ($(LEDGER_ASSERTS),1)
PG_CFLAGS += -DUSE_ASSERT_CHECKING
endif
SHLIB_LINK += -lcrypto
# AddressSanitizer and UndefinedBehaviorSanitizer (LEDGER_ASAN=1 make test;
# test/lib.sh preloads their runtimes into the servers): never in a build
# that is installed for use.
ifeq ($(LEDGER_ASAN),1)
PG_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
SHLIB_LINK += -fsanitize=address,undefined
endif

EXTRA_CLEAN = $(DATA_built) tmp_check_regress tmp_check_iso output_iso results \
	regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) $(EXTENSION).control
	cat $(SQL_PARTS) > $@

.SECONDEXPANSION:
$(foreach u,$(UPDATES),sql/$(EXTENSION)--$(u).sql): sql/$(EXTENSION)--%.sql: $$(sort $$(wildcard sql/update/%/*.sql))
	cat $(sort $(wildcard sql/update/$*/*.sql)) > $@

# The two commands README.md promises, plus the benchmark.
.PHONY: test demo bench indent
test:
	bash test/run.sh

demo:
	bash test/demo.sh

bench:
	bash bench/run.sh

# pgindent style (pg_bsd_indent from Debian's pg-bsd-indent); the type names
# it needs are regenerated into tools/typedefs.list first
INDENT_FILES = $(wildcard src/*.c src/*.h test/fuzz/*.c test/*.c)
indent:
	PG_CONFIG=$(PG_CONFIG) python3 tools/pgindent.py --typedefs $(INDENT_FILES)
	python3 tools/pgindent.py $(INDENT_FILES)
