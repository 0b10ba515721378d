# Tests. Unit tests (cmocka) are built in the sanitizer configuration:
# 'make check' builds $(objtree)/out/asan with SANITIZE=1 from the same
# .config and links each tests/unit/<subsystem>/test-*.c with every kiln
# object but main.o. Each tests/unit/<subsystem>/Kbuild lists its tests like
# objects (test-y += test-foo, test-$(CONFIG_X) += test-bar).

unit-tests :=
define unit-walk
test-y :=
include $(1)
unit-tests += $$(addprefix $(objtree)/tests/unit/bin/$(notdir $(patsubst %/Kbuild,%,$(1)))/,$$(test-y))
endef
ifneq ($(config-only),1)
$(foreach f,$(sort $(wildcard $(srctree)/tests/unit/*/Kbuild)),$(eval $(call unit-walk,$(f))))
endif

$(objtree)/tests/unit/bin/%: $(srctree)/tests/unit/%.c $(lib-objs) $(flags-file) | $(autoconf)
	$(quiet) TEST $(patsubst $(objtree)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -I$(srctree)/tests/unit -MMD -MF $@.d -o $@ $< $(lib-objs) \
		$(LDFLAGS) $(LIBS) -lcmocka
	$(Q)sed -i -e 's|^[^:]*:|$@:|' $@.d

-include $(addsuffix .d,$(unit-tests))

.PHONY: unit print-unit check check-unit check-integration
unit: $(unit-tests)
print-unit:
	@printf '%s\n' $(unit-tests)

asan-dir := $(objtree)/out/asan
fuzz-dir := $(objtree)/out/fuzz

# make check: static kiln, then the sanitizer build and its unit tests, then
# the integration tests against the static kiln as an unprivileged user.
check:
	$(Q)$(srctree)/scripts/setup-host.sh check
	$(Q)$(MAKE) -f $(srctree)/Makefile all
	$(Q)mkdir -p $(asan-dir)
	$(Q)cmp -s $(kconfig) $(asan-dir)/.config || cp $(kconfig) $(asan-dir)/.config
	$(Q)$(MAKE) -f $(srctree)/Makefile O=$(asan-dir) SANITIZE=1 unit
	$(Q)mkdir -p $(fuzz-dir)
	$(Q)cmp -s $(kconfig) $(fuzz-dir)/.config || cp $(kconfig) $(fuzz-dir)/.config
	$(Q)$(MAKE) -f $(srctree)/Makefile O=$(fuzz-dir) FUZZ=1 fuzz
	$(Q)FUZZ_DIR=$(fuzz-dir) FUZZ_SECONDS=$(FUZZ_SECONDS) $(srctree)/tests/run.sh $(objtree) $(asan-dir)

check-unit:
	$(Q)$(MAKE) -f $(srctree)/Makefile O=$(asan-dir) SANITIZE=1 unit
	$(Q)KILN_ONLY=unit $(srctree)/tests/run.sh $(objtree) $(asan-dir)

check-integration: all
	$(Q)KILN_ONLY=integration $(srctree)/tests/run.sh $(objtree) $(asan-dir)

# Fuzzers (libFuzzer): tests/fuzz/Kbuild lists them (fuzz-y += fuzz-x); each
# is built with FUZZ=1 and run for FUZZ_SECONDS from its seed corpus in
# tests/fuzz/corpus/<name>/ (copied, so runs never write into the tree).
FUZZ_SECONDS ?= 60
fuzzers :=
ifneq ($(config-only),1)
fuzz-y :=
-include $(srctree)/tests/fuzz/Kbuild
fuzzers := $(addprefix $(objtree)/tests/fuzz/bin/,$(fuzz-y))
endif

$(objtree)/tests/fuzz/bin/%: $(srctree)/tests/fuzz/%.c $(lib-objs) $(flags-file) | $(autoconf)
	$(quiet) FUZZ $(patsubst $(objtree)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer -MMD -MF $@.d -o $@ $< $(lib-objs) \
		$(LDFLAGS) -fsanitize=fuzzer $(LIBS)
	$(Q)sed -i -e 's|^[^:]*:|$@:|' $@.d

-include $(addsuffix .d,$(fuzzers))

.PHONY: fuzz print-fuzz
fuzz: $(fuzzers)
print-fuzz:
	@printf '%s\n' $(fuzzers)

# Benchmarks: each tests/bench/*.c is a program linked with kiln's objects
# in the normal (static) configuration: make O=dir bench, then run the
# scripts in tests/bench/ with that dir.
bench-progs := $(patsubst $(srctree)/tests/bench/%.c,$(objtree)/tests/bench/bin/%,\
	$(wildcard $(srctree)/tests/bench/*.c))

$(objtree)/tests/bench/bin/%: $(srctree)/tests/bench/%.c $(lib-objs) $(flags-file) | $(autoconf)
	$(quiet) BENCH $(patsubst $(objtree)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MF $@.d -o $@ $< $(lib-objs) $(LDFLAGS) $(LIBS)
	$(Q)sed -i -e 's|^[^:]*:|$@:|' $@.d

-include $(addsuffix .d,$(bench-progs))

.PHONY: bench
bench: $(bench-progs)
