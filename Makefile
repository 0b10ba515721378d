# kiln: top-level Makefile. Configuration (Kconfig), toolchain choice and the
# Kbuild walk live in scripts/*.mk; this file wires the user-facing targets.

VERSION := 0.1.0

# make -s: not even the short lines (read before MAKEFLAGS grows below)
silent := $(findstring s,$(firstword -$(MAKEFLAGS)))
MAKEFLAGS += --no-builtin-rules --no-builtin-variables
.SUFFIXES:
.DEFAULT_GOAL := all

srctree := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
objtree := $(if $(O),$(abspath $(O)),$(srctree))

# V=1 prints every command; otherwise one short line per step.
ifeq ($(V),1)
Q :=
quiet := @true
else
Q := @
quiet := @printf '  %-7s %s\n'
endif
ifdef silent
quiet := @true
endif

PREFIX ?= /usr/local
DESTDIR ?=

export srctree objtree

include $(srctree)/scripts/kconfig.mk
include $(srctree)/scripts/toolchain.mk
include $(srctree)/scripts/deps.mk
include $(srctree)/scripts/kbuild.mk
include $(srctree)/scripts/tests.mk

.PHONY: all install uninstall size clean distclean demo help

all: $(objtree)/kiln

install: $(objtree)/kiln
	$(Q)install -d $(DESTDIR)$(PREFIX)/bin
	$(Q)install -m 0755 $(objtree)/kiln $(DESTDIR)$(PREFIX)/bin/kiln
	$(quiet) INSTALL $(DESTDIR)$(PREFIX)/bin/kiln

uninstall:
	$(Q)rm -f $(DESTDIR)$(PREFIX)/bin/kiln

size: $(objtree)/kiln
	$(Q)$(srctree)/scripts/size.sh $(objtree) "$(SIZE)" $(objs)

# The README's first command: set up the machine, build, run the main job.
demo:
	$(Q)$(srctree)/scripts/setup-host.sh demo
	$(Q)$(MAKE) -s -f $(srctree)/Makefile all
	$(Q)sh $(srctree)/scripts/demo.sh $(objtree)

# Only what the build made: with O unset, objtree is the source tree.
clean:
	$(Q)for d in src arch tests; do \
		[ ! -d $(objtree)/$$d ] || find $(objtree)/$$d \( -name '*.o' -o -name '*.cmd' \
			-o -name '*.d' -o -name '*.tmp' \) -type f -exec rm -f {} +; \
	done
	$(Q)rm -rf $(objtree)/tests/unit/bin $(objtree)/tests/fuzz/bin $(objtree)/tests/bench/bin \
		$(objtree)/kiln $(objtree)/kiln_unstripped \
		$(objtree)/.kiln-objs $(objtree)/.kiln-flags $(objtree)/out

distclean: clean
	$(Q)rm -rf $(objtree)/.config $(objtree)/.config.old $(objtree)/include \
		$(objtree)/deps

help:
	@echo 'Configuration:'
	@echo '  defconfig          the full feature set (Kconfig defaults)'
	@echo '  allnoconfig        the smallest binary'
	@echo '  allyesconfig       every option on'
	@echo '  olddefconfig       update .config, new symbols at their defaults'
	@echo '  savedefconfig      write the minimal defconfig of .config'
	@echo '  menuconfig         edit .config in a terminal menu'
	@$(foreach b,$(boards),echo '  $(b)_defconfig';)
	@echo 'Building:'
	@echo '  all (default)      build ./kiln, static with musl'
	@echo '  demo               set up the machine, build, run the main job'
	@echo '  check              unit (sanitizers) and integration tests'
	@echo '  size               stripped size and the largest objects'
	@echo '  install            PREFIX=$(PREFIX) DESTDIR='
	@echo '  clean, distclean'
	@echo 'Variables: O=dir V=1 ARCH=amd64|arm64|armv7|armv6 SANITIZE=1'
	@echo '           DEPS_SRC=dir (Debian source files, see README)'
