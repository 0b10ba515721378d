# The static libraries under $(DEPS_DIR)/$(KILN_ARCH)/sysroot, built once per
# architecture from the pinned Debian sources (scripts/deps.lock). A second
# make neither fetches nor rebuilds them. SANITIZE=1 uses Debian's -dev
# packages instead.

deps-stamp := $(DEPS_DIR)/$(KILN_ARCH)/sysroot/.built

ifeq ($(SANITIZE),1)
deps-ready :=
else
deps-ready := $(deps-stamp)
endif

# (the kernel headers only need to exist: DEPS_DIR may be shared by
# several output dirs, each with its own header links)
$(deps-stamp): $(srctree)/scripts/deps.sh $(srctree)/scripts/deps.lock \
		| $(kernel-headers)/.stamp
	$(Q)MAKEFLAGS= MAKEOVERRIDES= MFLAGS= CC="$(CC)" AR="$(AR)" RANLIB="$(CROSS_COMPILE)ranlib" \
		$(srctree)/scripts/deps.sh build $(DEPS_SRC) $(DEPS_DIR) $(KILN_ARCH) $(kernel-headers)

.PHONY: deps deps-fetch
deps: $(deps-ready)
deps-fetch:
	$(Q)$(srctree)/scripts/deps.sh fetch $(DEPS_SRC)
