# The twin toolkit.  `make` builds bin/; `make check` runs every test;
# `make check SANITIZE=1` runs them again under ASan and UBSan.

.SUFFIXES:

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/vendor-completions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d

VERSION = 0.1.0
CC      ?= cc
CFLAGS  ?= -O2 -g
WARNFLAGS = -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter
TW_CPPFLAGS = -Ilib -D_GNU_SOURCE -DJSMN_STRICT -DJSMN_PARENT_LINKS \
              -DTW_VERSION='"$(VERSION)"' -DTW_MODELS_DIR='"$(DATADIR)/twin/models"'
LIBS = -ljansson -lzip -lexpat -ldl -lcsv -lz -lmuparser -lgsl -lgslcblas -lcrypto -lm

# Sanitized objects and binaries live apart, so the two builds never mix.
ifeq ($(SANITIZE),1)
O = build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
O = build/plain
SANFLAGS =
endif
ifeq ($(WERROR),1)
WARNFLAGS += -Werror
endif
OUT = $(if $(filter 1,$(SANITIZE)),$(O)/bin,bin)

ALL_CFLAGS = $(WARNFLAGS) $(TW_CPPFLAGS) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS)

TOOLS     = $(patsubst cmd/%.c,%,$(wildcard cmd/twin-*.c))
LIB_SRC   = $(wildcard lib/*.c)
LIB_OBJ   = $(patsubst lib/%.c,$(O)/lib/%.o,$(LIB_SRC))
LIBA      = $(O)/libtwin.a
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES = $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC))
FUZZ_HDR  = tests/fuzz/fuzz.h tests/fuzz/fuzz_ingest.h tests/fuzz/replay.c
REPLAY_BIN = $(patsubst %,$(O)/fuzz/%,$(FUZZ_NAMES))
BENCH_SRC = $(wildcard tests/bench/*.c)
BENCH_BIN = $(patsubst tests/bench/%.c,$(O)/bench/%,$(BENCH_SRC))
# The test FMUs (tests/fmu.bats): built plain, without the sanitizers,
# so that both builds of twin-sim can load them.
FMU_XML   = $(wildcard testdata/fmu/*/modelDescription.xml)
FMUS      = $(patsubst testdata/fmu/%/modelDescription.xml,testdata/fmu/%.fmu,$(FMU_XML))
FMU_CFLAGS = -std=c11 -O2 -fPIC -shared -Wall -Wextra -Wno-type-limits -Ilib
MAN1 = $(wildcard man/*.1)
MAN5 = $(wildcard man/*.5)
MAN7 = $(wildcard man/*.7)

all: $(patsubst %,$(OUT)/%,$(TOOLS))

$(O)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

$(O)/cmd/%.o: cmd/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(OUT)/%: $(O)/cmd/%.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

$(O)/tests/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -MMD -MP $(LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

$(O)/bench/%: tests/bench/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

# An FMU: modelDescription.xml and, when the folder has NAME.c, the
# binary binaries/linux64/NAME.so, zipped.
testdata/fmu/%.fmu: testdata/fmu/%/modelDescription.xml $(wildcard testdata/fmu/*/*.c) \
		    testdata/fmu/unit.h lib/fmi2.h
	@rm -rf build/fmu/$* && mkdir -p build/fmu/$*
	cp $< build/fmu/$*/modelDescription.xml
	if [ -f testdata/fmu/$*/$*.c ]; then \
	  mkdir -p build/fmu/$*/binaries/linux64 && \
	  $(CC) $(FMU_CFLAGS) $(CFLAGS) -o build/fmu/$*/binaries/linux64/$*.so \
	        testdata/fmu/$*/$*.c -lm || exit 1; \
	fi
	rm -f $@ && cd build/fmu/$* && zip -q -X -r $(abspath $@) modelDescription.xml \
	  $$(test -d binaries && echo binaries)

fmus: $(FMUS)


# The fuzz targets without libFuzzer: make check replays their seed
# corpus and regressions through them.
$(O)/fuzz/%: tests/fuzz/%.c $(FUZZ_HDR) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIBA) $(LIBS)

# make fuzz: the targets built by clang with libFuzzer, ASan and UBSan
# (the library too, apart in build/fuzz), each run FUZZ_TIME seconds.
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_O    = build/fuzz
FUZZ_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
              $(WARNFLAGS) $(TW_CPPFLAGS) $(CPPFLAGS)
FUZZ_LIB_OBJ = $(patsubst lib/%.c,$(FUZZ_O)/lib/%.o,$(LIB_SRC))
FUZZ_BIN  = $(patsubst %,$(FUZZ_O)/bin/%,$(FUZZ_NAMES))

$(FUZZ_O)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_O)/libtwin.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $(FUZZ_LIB_OBJ)

$(FUZZ_O)/bin/%: tests/fuzz/%.c $(FUZZ_HDR) $(FUZZ_O)/libtwin.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz $(LDFLAGS) -o $@ $< $(FUZZ_O)/libtwin.a $(LIBS)

-include $(wildcard $(O)/*/*.d) $(wildcard $(FUZZ_O)/lib/*.d)

# Installs what the build and the tests need: as root with apt-get, or
# prints the one command to run.
deps:
	@tests/deps.sh

check: deps all $(UNIT_BIN) $(FMUS) $(REPLAY_BIN)
	@TWIN_BIN=$(abspath $(OUT)) UNIT_DIR=$(abspath $(O)/tests) FUZZ_DIR=$(abspath $(O)/fuzz) tests/run.sh

check-sanitize:
	@$(MAKE) --no-print-directory check SANITIZE=1

fuzz-deps:
	@tests/deps.sh fuzz

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory -s $(FUZZ_BIN)
	@FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run.sh $(abspath $(FUZZ_O)) $(FUZZ_NAMES)

demo: deps all
	@tests/demo.sh $(abspath $(OUT))

# Evaluation on the public benchmark sets in ../shared/data (skipped when
# absent): the NAB scorer checks itself, then scores the detectors.
eval: deps all
	@tests/eval/run.sh

bench: deps all $(BENCH_BIN)
	@TWIN_BIN=$(abspath $(OUT)) BENCH_DIR=$(abspath $(O)/bench) tests/bench/run.sh

# Every bats suite with the tools under valgrind memcheck (slow: not part
# of make check).  SUITES names some suites only.
valgrind: all
	@tests/deps.sh valgrind
	@TWIN_BIN=$(abspath $(OUT)) tests/valgrind.sh $(SUITES)

# Peak memory of each streaming tool over 10^6 and 10^7 records (a few
# minutes: not part of make check).
longrun: all $(BENCH_BIN)
	@TWIN_BIN=$(abspath $(OUT)) BENCH_DIR=$(abspath $(O)/bench) tests/longrun.sh

# SIGKILL at random points with --state, 100 trials each for twin-sync and
# twin-act (make check runs a few).
torture: all
	@TWIN_BIN=$(abspath $(OUT)) TWIN_MODELS=$(abspath models) SIGKILL_TRIALS=$${SIGKILL_TRIALS:-100} \
		bats -f 'SIGKILL|killed at any moment' tests/sync.bats tests/act.bats

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	         $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
	         $(DESTDIR)$(FISHCOMPDIR)
	for t in $(TOOLS); do \
	  install -m 755 bin/$$t $(DESTDIR)$(BINDIR)/$$t || exit 1; \
	  install -m 644 completions/$$t.bash $(DESTDIR)$(BASHCOMPDIR)/$$t || exit 1; \
	  install -m 644 completions/_$$t $(DESTDIR)$(ZSHCOMPDIR)/_$$t || exit 1; \
	  install -m 644 completions/$$t.fish $(DESTDIR)$(FISHCOMPDIR)/$$t.fish || exit 1; \
	done
	mkdir -p $(DESTDIR)$(DATADIR)/twin/models
	install -m 644 models/*.json $(DESTDIR)$(DATADIR)/twin/models
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7

uninstall:
	for t in $(TOOLS); do \
	  rm -f $(DESTDIR)$(BINDIR)/$$t $(DESTDIR)$(BASHCOMPDIR)/$$t \
	        $(DESTDIR)$(ZSHCOMPDIR)/_$$t $(DESTDIR)$(FISHCOMPDIR)/$$t.fish; \
	done
	for m in models/*.json; do rm -f $(DESTDIR)$(DATADIR)/twin/$$m; done
	rmdir $(DESTDIR)$(DATADIR)/twin/models $(DESTDIR)$(DATADIR)/twin 2>/dev/null || true
	for m in $(notdir $(MAN1)); do rm -f $(DESTDIR)$(MANDIR)/man1/$$m; done
	for m in $(notdir $(MAN5)); do rm -f $(DESTDIR)$(MANDIR)/man5/$$m; done
	for m in $(notdir $(MAN7)); do rm -f $(DESTDIR)$(MANDIR)/man7/$$m; done

clean:
	rm -rf bin build $(FMUS)

.PHONY: all deps fmus check check-sanitize fuzz fuzz-deps demo eval bench valgrind longrun torture install uninstall clean
