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

# The stamp holds a hash of deps.lock, deps.sh and mbedtls-kiln.h: the libraries are rebuilt
# when either one's content changes, not its mtime, so trees and output dirs
# sharing one DEPS_DIR do not rebuild it for each other. (The kernel headers
# only need to exist: each output dir has its own links.)
deps-want := $(shell cat $(srctree)/scripts/deps.lock $(srctree)/scripts/deps.sh \
	$(srctree)/scripts/mbedtls-kiln.h | sha256sum | cut -c1-64)
deps-have := $(shell cat $(deps-stamp) 2>/dev/null)
$(deps-stamp): $(if $(filter $(deps-want),$(deps-have)),,FORCE) | $(kernel-headers)/.stamp
	$(Q)MAKEFLAGS= MAKEOVERRIDES= MFLAGS= CC="$(CC)" AR="$(AR)" RANLIB="$(CROSS_COMPILE)ranlib" \
		$(srctree)/scripts/deps.sh build $(DEPS_SRC) $(DEPS_DIR) $(KILN_ARCH) $(kernel-headers)

.PHONY: deps deps-fetch
deps: $(deps-ready)
deps-fetch:
	$(Q)$(srctree)/scripts/deps.sh fetch $(DEPS_SRC)

.PHONY: FORCE
FORCE:
