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

# make check: static kiln, then the sanitizer build and its unit tests, then
# the integration tests against the static kiln as an unprivileged user.
check:
	$(Q)$(srctree)/scripts/setup-host.sh check
	$(Q)$(MAKE) -f $(srctree)/Makefile all
	$(Q)mkdir -p $(asan-dir)
	$(Q)cmp -s $(kconfig) $(asan-dir)/.config || cp $(kconfig) $(asan-dir)/.config
	$(Q)$(MAKE) -f $(srctree)/Makefile O=$(asan-dir) SANITIZE=1 unit
	$(Q)$(srctree)/tests/run.sh $(objtree) $(asan-dir)

check-unit:
	$(Q)$(MAKE) -f $(srctree)/Makefile O=$(asan-dir) SANITIZE=1 unit
	$(Q)KILN_ONLY=unit $(srctree)/tests/run.sh $(objtree) $(asan-dir)

check-integration: all
	$(Q)KILN_ONLY=integration $(srctree)/tests/run.sh $(objtree) $(asan-dir)
