# milter-annotate: annotate SMTP rejections with an explanation and a fix.
#
#   make            build build/milter-annotate
#   make run        start the milter in the foreground on inet:8891@127.0.0.1
#   make test       unit tests (cmocka) and end-to-end tests (real MTAs),
#                   then make fuzz FUZZ_SECONDS=10, make asan, make valgrind
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 30)
#   make asan       build into build/asan with ASan, UBSan and LeakSanitizer;
#                   the unit and end-to-end tests against it
#   make valgrind   the unit tests under valgrind memcheck
#   make deps       install the Debian packages needed to build and test
#   make bench      benchmarks: reply engine, milter under load, Postfix, memory
#   make soak       100,000 sessions with reloads: memory and descriptors stay flat
#   make install    PREFIX=/usr/local DESTDIR= honoured
#   make lint       clang-format and cppcheck

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR	?=

# BUILD and SANITIZE may be set on the command line: the same rules then
# build a sanitized tree in a folder of its own.
BUILD	:= build
SANITIZE :=
PKGS	:= milter libconfig libpcre2-8
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	   -Wformat=2 -Wstrict-prototypes -Iinclude $(PKG_CFLAGS)
LDLIBS	+= $(PKG_LIBS) -lpthread

VERSION	:= 0.1.0
CFLAGS	+= -DMA_VERSION=\"$(VERSION)\"

ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=undefined \
	     -fno-omit-frame-pointer
CFLAGS	+= $(SAN_FLAGS)
LDFLAGS	+= $(SAN_FLAGS)
endif

SRCS	:= $(wildcard milter/*.c)
OBJS	:= $(SRCS:milter/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/codes_builtin.o \
	   $(BUILD)/obj/site_css.o
LIB_OBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
BIN	:= $(BUILD)/milter-annotate

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

# Debian packages: to build, then to test (real MTAs and an SMTP client;
# for the help site: a validator, headless Chromium driven over WebDriver
# with curl and jq, and fonts with Arabic and Chinese glyphs).
DEB_BUILD := gcc make pkg-config libmilter-dev libconfig-dev libpcre2-dev
DEB_TEST  := libcmocka-dev postfix postfix-pcre swaks rspamd clang valgrind \
	     tidy chromium chromium-driver curl jq fonts-dejavu-core \
	     fonts-wqy-microhei

.PHONY: all run test unit e2e deps deps-build bench soak install clean lint \
	demo fuzz fuzz-bins asan valgrind

all: $(BIN)

$(BIN): $(OBJS) | check-libs
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/obj/%.o: milter/%.c | $(BUILD)/obj check-libs
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The code table is linked in byte for byte: one source, nothing to sync.
$(BUILD)/obj/codes_builtin.o: milter/codes_builtin.S conf/codes.conf | $(BUILD)/obj
	$(CC) -DCODES_FILE='"conf/codes.conf"' -c -o $@ $<

# So is the help site's stylesheet (export html).
$(BUILD)/obj/site_css.o: milter/site_css.S milter/site.css | $(BUILD)/obj
	$(CC) -DSTYLE_FILE='"milter/site.css"' -c -o $@ $<

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

.PHONY: check-libs
check-libs:
	@pkg-config --exists $(PKGS) || { echo "missing libraries ($(PKGS)):" \
	  "run 'make deps' as root" >&2; exit 1; }

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit -MMD -MP -o $@ $< $(LIB_OBJS) \
	  $(LDLIBS) $$(pkg-config --libs cmocka)

# apt-get install what is missing of the given packages, nothing if all is.
# Services the packages bring (rspamd, postfix) are not started: the tests
# run private instances, and a developer's machine keeps its own setup.
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  echo 'postfix postfix/main_mailer_type select No configuration' \
	    | debconf-set-selections; \
	  rc_policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    rc_policy=/usr/sbin/policy-rc.d; \
	    printf '#!/bin/sh\nexit 101\n' > $$rc_policy; chmod 755 $$rc_policy; \
	  fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  status=$$?; [ -n "$$rc_policy" ] && rm -f $$rc_policy; \
	  [ $$status -eq 0 ] || { echo "make deps: apt-get failed (run as root)" >&2; exit 1; }; \
	fi
endef

# Everything building and testing need (the tests' Postfix, Sendmail and
# swaks included). Idempotent: about a second when all is there.
deps:
	$(call apt_install,$(DEB_BUILD) $(DEB_TEST))
	@bash tests/e2e/deps.sh

# What building and running need: make run installs no MTA (installing
# Postfix would make apt remove a Sendmail already there).
deps-build:
	$(call apt_install,$(DEB_BUILD))

run: deps-build
	@$(MAKE) --no-print-directory all
	$(BIN) -f -c conf/milter-annotate.conf -p inet:8891@127.0.0.1

# What CI runs (.ci/run): the suites, then short fuzzing and the memory
# checks, each stopping make test at its first failure.
test: deps
	@$(MAKE) --no-print-directory all unit-bins
	@bash tests/run.sh
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory valgrind

TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tests/%)

# Fuzz targets (tests/fuzz/fuzz_NAME.c): libFuzzer binaries for make fuzz,
# and the same code with a file-replay main (any compiler) that the unit
# suite runs over tests/fuzz/corpus/NAME, the seeds and past findings.
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES  := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_BINS   := $(FUZZ_NAMES:%=$(BUILD)/fuzz_%)
REPLAY_BINS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz_%)
FUZZ_COMMON := tests/fuzz/fuzzcheck.c

.PHONY: unit-bins
unit-bins: $(UNIT_BINS) $(TOOL_BINS) $(BUILD)/tests/upstream_milter \
	$(REPLAY_BINS) $(BUILD)/tests/bench_milter

# Test tools (an MTA-side milter driver, a misbehaving upstream...) use
# the project's own modules, mproto.c first of all.
$(BUILD)/tests/%: tests/tools/%.c $(LIB_OBJS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/tools -MMD -MP -o $@ $< $(LIB_OBJS) $(LDLIBS)

# The proxy tests' own upstream milter (libmilter).
$(BUILD)/tests/upstream_milter: tests/e2e/upstream_milter.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

$(BUILD)/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/standalone.c \
		$(FUZZ_COMMON) $(LIB_OBJS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/fuzz -MMD -MP -o $@ $< tests/fuzz/standalone.c \
	  $(FUZZ_COMMON) $(LIB_OBJS) $(LDLIBS)

# Built by tests/fuzz/run.sh: make BUILD=build/fuzz CC=clang
# SANITIZE=fuzzer-no-link,address,undefined fuzz-bins
fuzz-bins: $(FUZZ_BINS)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_COMMON) tests/fuzz/fuzzcheck.h \
		$(LIB_OBJS)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< \
	  $(FUZZ_COMMON) $(LIB_OBJS) $(LDLIBS)

unit: all unit-bins
	@bash tests/run.sh unit

e2e: all unit-bins
	@bash tests/run.sh e2e

# Each fuzz target for FUZZ_SECONDS on its seeds (tests/fuzz/corpus/NAME)
# and what earlier runs found (build/fuzz/corpus/NAME); a finding fails it
# and leaves its input in build/fuzz/artifacts/. Installs clang if missing.
FUZZ_SECONDS ?= 30

fuzz:
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# The milter, unit tests and tools with AddressSanitizer, UBSan and
# LeakSanitizer in build/asan; the unit and end-to-end suites against them
# (MA_BUILD). Reports go to files, the daemon's included (it runs in the
# background), and one fails the test that caused it (tests/run.sh).
ASAN_BUILD := build/asan
SAN_LOG    := $(CURDIR)/$(ASAN_BUILD)/reports
SAN_OPTS   := halt_on_error=1:exitcode=66:log_path=$(SAN_LOG)
SAN_ENV    := MA_BUILD=$(ASAN_BUILD) MA_SAN_LOG=$(SAN_LOG) \
	ASAN_OPTIONS=$(SAN_OPTS)/asan:detect_leaks=1 \
	UBSAN_OPTIONS=$(SAN_OPTS)/ubsan:print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

asan: deps
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) \
	  SANITIZE=address,undefined all unit-bins
	@rm -rf $(SAN_LOG) && mkdir -p $(SAN_LOG)
	@$(SAN_ENV) bash tests/run.sh unit e2e

# The unit tests and seed replays of the plain build under memcheck
# (errors and leaks fail; ASan cannot run under valgrind).
valgrind: deps
	@$(MAKE) --no-print-directory all unit-bins
	@MA_VALGRIND=1 bash tests/run.sh unit

# Benchmarks (not part of make test): the reply engine, then the milter
# under a protocol load driver, through Postfix, and its memory
# (tests/bench/bench.sh; BENCH_* variables scale it, see BENCHMARKS.md).
BENCH_BINS := $(BUILD)/bench-reply $(BUILD)/bench-milter $(BUILD)/bench-noop-milter

bench: all
	@$(MAKE) --no-print-directory $(BENCH_BINS)
	@$(BUILD)/bench-reply
	@bash tests/bench/bench.sh

# A long run (not part of make test): SOAK_* variables scale it, see
# tests/bench/soak.sh.
soak: all
	@$(MAKE) --no-print-directory $(BUILD)/bench-milter $(BUILD)/bench-noop-milter
	@bash tests/bench/soak.sh

$(BUILD)/bench-reply: tests/bench/bench_reply.c $(LIB_OBJS)
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

# The load driver speaks the milter protocol with the project's mproto;
# the fault tests drive load with it too (build/tests/bench_milter).
$(BUILD)/bench-milter $(BUILD)/tests/bench_milter: tests/bench/bench_milter.c \
    $(LIB_OBJS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS) -lm

# The floor: a libmilter milter that answers "continue" to everything.
$(BUILD)/bench-noop-milter: tests/bench/noop_milter.c
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

demo: deps
	@$(MAKE) --no-print-directory all
	@bash tests/e2e/demo.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR) \
	  $(DESTDIR)$(PREFIX)/share/milter-annotate
	install -m 755 $(BIN) $(DESTDIR)$(SBINDIR)/milter-annotate
	install -m 644 man/milter-annotate.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/milter-annotate.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 conf/codes.conf conf/milter-annotate.conf \
	  $(DESTDIR)$(PREFIX)/share/milter-annotate/
	test -e $(DESTDIR)$(SYSCONFDIR)/milter-annotate.conf || install -m 644 \
	  conf/milter-annotate.conf $(DESTDIR)$(SYSCONFDIR)/milter-annotate.conf
	install -d $(DESTDIR)/lib/systemd/system $(DESTDIR)$(SYSCONFDIR)/init.d \
	  $(DESTDIR)$(SYSCONFDIR)/default
	sed 's|/usr/local/sbin|$(SBINDIR)|g' init/milter-annotate.service \
	  > $(DESTDIR)/lib/systemd/system/milter-annotate.service
	sed 's|/usr/local/sbin|$(SBINDIR)|g' init/milter-annotate.init \
	  > $(DESTDIR)$(SYSCONFDIR)/init.d/milter-annotate
	chmod 755 $(DESTDIR)$(SYSCONFDIR)/init.d/milter-annotate
	test -e $(DESTDIR)$(SYSCONFDIR)/default/milter-annotate || install -m 644 \
	  init/milter-annotate.default $(DESTDIR)$(SYSCONFDIR)/default/milter-annotate

lint:
	clang-format --dry-run --Werror milter/*.c include/*.h tests/unit/*.c \
	  tests/unit/*.h tests/bench/*.c tests/tools/*.c tests/fuzz/*.c \
	  tests/fuzz/*.h tests/e2e/*.c
	cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance \
	  --std=c11 --inline-suppr --suppress=missingIncludeSystem --suppress=variableScope \
	  -Iinclude -Itests/fuzz milter tests/bench tests/tools tests/fuzz

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d)
