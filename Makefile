# milter-annotate: annotate SMTP rejections with an explanation and a fix.
#
#   make            build build/milter-annotate
#   make run        start the milter in the foreground on inet:8891@127.0.0.1
#   make test       unit tests (cmocka) and end-to-end tests (real MTAs),
#                   then make fuzz FUZZ_SECONDS=10, make asan, make valgrind
#   make unit       the unit tests (tests/run.sh unit [NAME...] runs some)
#   make e2e        the end-to-end tests (tests/run.sh e2e [NAME...])
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 30)
#   make asan       build into build/asan with ASan, UBSan and LeakSanitizer;
#                   the unit and end-to-end tests against it
#   make valgrind   the unit tests under valgrind memcheck
#   make deps       install the Debian packages needed to build and test
#   make bench      benchmarks: reply engine, milter under load, Postfix, memory
#   make bench-reply  the reply engine's part of make bench alone
#   make bench-dsn    bounce rewrites per second, the part of make bench alone
#   make soak       100,000 sessions with reloads: memory and descriptors stay flat
#   make demo       the sender's view through a real Postfix
#   make install    PREFIX=/usr/local DESTDIR= honoured
#   make deb        the Debian package build/milter-annotate_VERSION_ARCH.deb
#                   (dpkg-buildpackage on a copy of the tree in build/deb)
#   make test-deb   builds, lints, installs, runs and purges the package
#                   (tests/pkg/test_deb.sh, as root)
#   make lint       clang-format, cppcheck and the layer check
#
# Every target builds what it needs: each works on its own from a fresh
# clone once the packages are there (make deps; make test and make run
# install them themselves).

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR	?=

# BUILD and SANITIZE may be set on the command line: the same rules then
# build a sanitized tree in a folder of its own.
BUILD	:= build
SANITIZE :=
PKGS	:= milter libconfig libpcre2-8 glib-2.0 gmime-3.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)

CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	   -Wformat=2 -Wstrict-prototypes -Iinclude $(PKG_CFLAGS)

VERSION	:= 0.1.0
CFLAGS	+= -DMA_VERSION=\"$(VERSION)\"

ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=undefined \
	     -fno-omit-frame-pointer
CFLAGS	+= $(SAN_FLAGS)
LDFLAGS	+= $(SAN_FLAGS)
endif

# ---------------------------------------------------------------------------
# Sources, by folder (milter/README): one static archive per folder, linked
# in layer order, so that a call from a lower layer to a higher one does
# not link. From the top:
#
#   main -> tools -> site -> daemon -> proxy -> bounce -> engine -> core
#
# tools uses site, bounce and engine; site uses core; daemon uses proxy,
# bounce and engine; proxy uses bounce and engine; bounce uses engine;
# engine uses core; core uses only libraries.

CORE_SRCS := $(addprefix milter/core/, bug.c sbuf.c diag.c cfgfile.c \
	smtpcode.c codetable.c cause.c prefilter.c reply.c replyfmt.c \
	template.c helppath.c lang.c who.c causefeat.c codes_builtin.S)
ENGINE_SRCS := $(addprefix milter/engine/, config.c confstore.c rules.c \
	session.c log.c stats.c)
PROXY_SRCS := $(addprefix milter/proxy/, mproto.c sockspec.c macrolist.c \
	uppool.c proxy.c proxylisten.c)
DAEMON_SRCS := $(addprefix milter/daemon/, daemon.c callbacks.c)
SITE_SRCS := $(addprefix milter/site/, compare.c related.c html.c \
	htmlparts.c htmlindex.c htmlcode.c htmlcompare.c htmlsite.c site_css.S)
BOUNCE_SRCS := $(addprefix milter/bounce/, dsnparse.c dsnexplain.c dsntext.c \
	dsnhtml.c dsnrewrite.c dsncollect.c)
TOOLS_SRCS := $(addprefix milter/tools/, cli.c footermap.c logscan.c dsncmd.c \
	mtaconfig.c)
# Linked into the milter binary only (see milter/daemon/sigwait.c).
MAIN_SRCS := milter/main.c milter/daemon/sigwait.c

LAYERS	:= tools site daemon proxy bounce engine core
obj_of	 = $(patsubst milter/%,$(BUILD)/obj/%.o,$(basename $(1)))
lib_of	 = $(patsubst %,$(BUILD)/lib/lib%.a,$(1))

CORE_OBJS   := $(call obj_of,$(CORE_SRCS))
ENGINE_OBJS := $(call obj_of,$(ENGINE_SRCS))
PROXY_OBJS  := $(call obj_of,$(PROXY_SRCS))
BOUNCE_OBJS := $(call obj_of,$(BOUNCE_SRCS))
DAEMON_OBJS := $(call obj_of,$(DAEMON_SRCS))
SITE_OBJS   := $(call obj_of,$(SITE_SRCS))
TOOLS_OBJS  := $(call obj_of,$(TOOLS_SRCS))
MAIN_OBJS   := $(call obj_of,$(MAIN_SRCS))

# What a program that uses a layer links, in order: the layer's archive,
# those below it, and the libraries they use.
DOWN_core   := core
DOWN_engine := engine core
DOWN_bounce := bounce engine core
DOWN_proxy  := proxy bounce engine core
DOWN_daemon := daemon proxy bounce engine core
DOWN_site   := site core
DOWN_tools  := tools site bounce engine core
DOWN_all    := $(LAYERS)
LIBS_core   := $(shell pkg-config --libs libconfig libpcre2-8 glib-2.0 2>/dev/null)
LIBS_engine := $(shell pkg-config --libs glib-2.0 2>/dev/null) -lpthread
LIBS_bounce := $(shell pkg-config --libs gmime-3.0 2>/dev/null)
LIBS_proxy  := -lpthread
LIBS_daemon := $(shell pkg-config --libs milter 2>/dev/null) -lpthread
archives_of  = $(call lib_of,$(DOWN_$(1)))
libs_of      = $(sort $(foreach l,$(DOWN_$(1)),$(LIBS_$(l))))
link_of      = $(call archives_of,$(1)) $(call libs_of,$(1))

BIN	:= $(BUILD)/milter-annotate

# Debian packages: to build, then to test (real MTAs and an SMTP client;
# for the help site: a validator, headless Chromium driven over WebDriver
# with curl and jq, and fonts with Arabic and Chinese glyphs).
DEB_BUILD := gcc make pkg-config libmilter-dev libconfig-dev libpcre2-dev \
	     libgmime-3.0-dev
DEB_TEST  := libcmocka-dev postfix postfix-pcre swaks rspamd clang valgrind \
	     tidy chromium chromium-driver curl jq fonts-dejavu-core \
	     fonts-wqy-microhei neomutt tmux
# ... and to build the Debian package (make deb) and check it with lintian.
DEB_PKG   := debhelper dpkg-dev fakeroot lintian

.PHONY: all run test unit e2e deps deps-build bench bench-reply bench-dsn soak install \
	clean lint layers demo fuzz fuzz-bins asan valgrind unit-bins check-libs \
	deb deps-deb test-deb

all: $(BIN)

$(BIN): $(MAIN_OBJS) $(call archives_of,all) | check-libs
	$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJS) $(call link_of,all)

$(BUILD)/obj/%.o: milter/%.c | check-libs
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# The code table is linked in byte for byte: one source, nothing to sync.
$(BUILD)/obj/core/codes_builtin.o: milter/core/codes_builtin.S conf/codes.conf
	@mkdir -p $(@D)
	$(CC) -DCODES_FILE='"conf/codes.conf"' -c -o $@ $<

# So is the help site's stylesheet (export html).
$(BUILD)/obj/site/site_css.o: milter/site/site_css.S milter/site/site.css
	@mkdir -p $(@D)
	$(CC) -DSTYLE_FILE='"milter/site/site.css"' -c -o $@ $<

$(call lib_of,core):   $(CORE_OBJS)
$(call lib_of,engine): $(ENGINE_OBJS)
$(call lib_of,proxy):  $(PROXY_OBJS)
$(call lib_of,bounce): $(BOUNCE_OBJS)
$(call lib_of,daemon): $(DAEMON_OBJS)
$(call lib_of,site):   $(SITE_OBJS)
$(call lib_of,tools):  $(TOOLS_OBJS)
$(BUILD)/lib/lib%.a:
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests:
	mkdir -p $@

check-libs:
	@pkg-config --exists $(PKGS) || { echo "missing libraries ($(PKGS)):" \
	  "run 'make deps' as root" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Unit tests (cmocka), test tools, fuzz targets and benchmarks: each links
# the archives of the highest layer it uses, and what is below it.

UNIT_TESTS := test_sbuf:core test_codetable:core test_reply_parse:core \
	test_reply_format:core test_cause:core test_helppath:core \
	test_config:engine test_rules:engine test_log:engine \
	test_session:engine test_mproto:proxy test_uppool:proxy \
	test_macrolist:proxy test_logscan:tools test_dsn:bounce
TOOLS	   := replycheck:none mtadriver:proxy fakeup:proxy
FUZZ_TARGETS := reply:core codetable:core config:engine logscan:tools \
	mproto:proxy dsn:bounce
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
DOWN_none :=

name_of	 = $(word 1,$(subst :, ,$(1)))
layer_of = $(word 2,$(subst :, ,$(1)))

UNIT_BINS   := $(foreach t,$(UNIT_TESTS),$(BUILD)/tests/$(call name_of,$(t)))
TOOL_BINS   := $(foreach t,$(TOOLS),$(BUILD)/tests/$(call name_of,$(t)))
FUZZ_NAMES  := $(foreach t,$(FUZZ_TARGETS),$(call name_of,$(t)))
FUZZ_BINS   := $(FUZZ_NAMES:%=$(BUILD)/fuzz_%)
REPLAY_BINS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz_%)
FUZZ_COMMON := tests/fuzz/fuzzcheck.c

define unit_rule
$(BUILD)/tests/$(1): tests/unit/$(1).c $(call archives_of,$(2)) | $(BUILD)/tests
	$$(CC) $$(CFLAGS) -Itests/unit -MMD -MP -o $$@ $$< \
	  $(call link_of,$(2)) $(CMOCKA_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(call name_of,$(t)),$(call layer_of,$(t)))))

# Test tools (an MTA-side milter driver, a misbehaving upstream, the reply
# checker) use the project's own modules, mproto first of all.
define tool_rule
$(BUILD)/tests/$(1): tests/tools/$(1).c $(call archives_of,$(2)) | $(BUILD)/tests
	$$(CC) $$(CFLAGS) -Itests/tools -MMD -MP -o $$@ $$< $(call link_of,$(2))
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(call name_of,$(t)),$(call layer_of,$(t)))))

# Fuzz targets (tests/fuzz/fuzz_NAME.c): libFuzzer binaries for make fuzz,
# and the same code with a file-replay main (any compiler) that the unit
# suite runs over tests/fuzz/corpus/NAME, the seeds and past findings.
define fuzz_rule
$(BUILD)/tests/fuzz_$(1): tests/fuzz/fuzz_$(1).c tests/fuzz/standalone.c \
		$(FUZZ_COMMON) $(call archives_of,$(2)) | $(BUILD)/tests
	$$(CC) $$(CFLAGS) -Itests/fuzz -MMD -MP -o $$@ $$< \
	  tests/fuzz/standalone.c $(FUZZ_COMMON) $(call link_of,$(2))
$(BUILD)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(FUZZ_COMMON) \
		tests/fuzz/fuzzcheck.h $(call archives_of,$(2))
	$$(CC) $$(CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $$@ $$< \
	  $(FUZZ_COMMON) $(call link_of,$(2))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(call name_of,$(t)),$(call layer_of,$(t)))))

# The proxy tests' own upstream milter (libmilter).
$(BUILD)/tests/upstream_milter: tests/e2e/upstream_milter.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIBS_daemon)

# The load driver speaks the milter protocol with the project's mproto;
# the fault tests drive load with it too (build/tests/bench_milter).
$(BUILD)/bench-milter $(BUILD)/tests/bench_milter: tests/bench/bench_milter.c \
    $(call archives_of,proxy) | $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $< $(call link_of,proxy) -lm

$(BUILD)/bench-reply: tests/bench/bench_reply.c $(call archives_of,core)
	$(CC) $(CFLAGS) -o $@ $< $(call link_of,core)

$(BUILD)/bench-dsn: tests/bench/bench_dsn.c $(call archives_of,bounce)
	$(CC) $(CFLAGS) -o $@ $< $(call link_of,bounce)

# The floor: a libmilter milter that answers "continue" to everything.
$(BUILD)/bench-noop-milter: tests/bench/noop_milter.c
	$(CC) $(CFLAGS) -o $@ $< $(LIBS_daemon)

# Everything the unit and end-to-end suites run, in $(BUILD).
unit-bins: $(UNIT_BINS) $(TOOL_BINS) $(BUILD)/tests/upstream_milter \
	$(REPLAY_BINS) $(BUILD)/tests/bench_milter

# Built by tests/fuzz/run.sh: make BUILD=build/fuzz CC=clang
# SANITIZE=fuzzer-no-link,address,undefined fuzz-bins
fuzz-bins: $(FUZZ_BINS)

# ---------------------------------------------------------------------------
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
	@MA_BUILD=$(BUILD) bash tests/run.sh
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory valgrind

unit: all unit-bins
	@MA_BUILD=$(BUILD) bash tests/run.sh unit

e2e: all unit-bins
	@MA_BUILD=$(BUILD) bash tests/run.sh e2e

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
	@MA_BUILD=$(BUILD) MA_VALGRIND=1 bash tests/run.sh unit

# Benchmarks (not part of make test): the reply engine, then the milter
# under a protocol load driver, through Postfix, and its memory
# (tests/bench/bench.sh; BENCH_* variables scale it, see BENCHMARKS.md).
BENCH_BINS := $(BUILD)/bench-milter $(BUILD)/bench-noop-milter \
	$(BUILD)/tests/replycheck

bench: bench-reply bench-dsn
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@bash tests/bench/bench.sh

bench-reply: check-libs
	@$(MAKE) --no-print-directory $(BUILD)/bench-reply
	@$(BUILD)/bench-reply

bench-dsn: check-libs
	@$(MAKE) --no-print-directory $(BUILD)/bench-dsn
	@$(BUILD)/bench-dsn

# A long run (not part of make test): SOAK_* variables scale it, see
# tests/bench/soak.sh.
soak:
	@$(MAKE) --no-print-directory all $(BUILD)/bench-milter \
	  $(BUILD)/bench-noop-milter
	@bash tests/bench/soak.sh

demo: deps
	@$(MAKE) --no-print-directory all $(BUILD)/tests/replycheck
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

# The Debian package (init/debian: debhelper, compat 13). dpkg-buildpackage
# runs on a copy of the tree staged in $(BUILD)/deb, so the tree stays
# clean; debian/rules builds and installs with this Makefile (PREFIX=/usr)
# and generates the help site. The .deb is copied to $(BUILD)/, the full
# log kept in $(BUILD)/deb/build.log. Installs what it needs (deps-deb).
# The staged build sees none of this make's variables (MAKEFLAGS unset).
DEB_STAGE := $(BUILD)/deb
DEB_SRC   := $(DEB_STAGE)/milter-annotate-$(VERSION)
DEB_TREE  := Makefile README.md conf include init man milter

deps-deb:
	$(call apt_install,$(DEB_BUILD) $(DEB_PKG))

deb: deps-deb
	@v=$$(dpkg-parsechangelog -l init/debian/changelog -S Version) && \
	  [ "$$v" = "$(VERSION)" ] || { echo "make deb: init/debian/changelog" \
	  "is at version $$v, the Makefile at $(VERSION): add a changelog" \
	  "entry for $(VERSION)" >&2; exit 1; }
	@rm -rf $(DEB_STAGE) && mkdir -p $(DEB_SRC)
	@cp -a $(DEB_TREE) $(DEB_SRC)/
	@mv $(DEB_SRC)/init/debian $(DEB_SRC)/debian
	@echo "make deb: dpkg-buildpackage in $(DEB_SRC) (log: $(DEB_STAGE)/build.log)"
	@cd $(DEB_SRC) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	  dpkg-buildpackage -b -us -uc -jauto \
	  >../build.log 2>&1 || { tail -n 40 ../build.log >&2; \
	  echo "make deb: dpkg-buildpackage failed (log above)" >&2; exit 1; }
	@grep -E '^dpkg-[a-z]+: warning:' $(DEB_STAGE)/build.log >&2 || true
	@deb=milter-annotate_$(VERSION)_$$(dpkg --print-architecture).deb && \
	  cp $(DEB_STAGE)/$$deb $(BUILD)/ && echo "make deb: $(BUILD)/$$deb"

# Build the package, lint it, install it here, run it behind a private
# Postfix and Sendmail, purge it (as root; tests/pkg/test_deb.sh).
test-deb:
	@bash tests/pkg/test_deb.sh

# The include graph follows the layers (tests/tools/layercheck.py): no
# module or folder includes one above it or one that includes it back.
layers:
	@python3 tests/tools/layercheck.py

lint: layers
	clang-format --dry-run --Werror milter/main.c milter/*/*.c \
	  include/*/*.h tests/unit/*.c tests/unit/*.h tests/bench/*.c \
	  tests/tools/*.c tests/fuzz/*.c tests/fuzz/*.h tests/e2e/*.c
	cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance \
	  --std=c11 --inline-suppr --suppress=missingIncludeSystem --suppress=variableScope \
	  -Iinclude -Itests/fuzz milter tests/bench tests/tools tests/fuzz

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)
