# Configuration through Debian's kconfig-frontends (kconfig-conf/-mconf): the
# result is $(objtree)/.config, include/config/auto.conf for make, and
# include/generated/autoconf.h for C. kconfig-conf runs inside $(objtree) so
# that its per-symbol files (include/config/*/*.h, used by fixdep) land there.

KCONFIG_CONF  ?= kconfig-conf
KCONFIG_MCONF ?= kconfig-mconf

kconfig    := $(objtree)/.config
autoconf   := $(objtree)/include/config/auto.conf
autoheader := $(objtree)/include/generated/autoconf.h
kconfig-files := $(wildcard $(srctree)/Kconfig $(srctree)/*/Kconfig \
                            $(srctree)/src/*/Kconfig)
boards := $(notdir $(patsubst %/defconfig,%,$(wildcard $(srctree)/board/*/defconfig)))

kconfig-env = cd $(objtree) && srctree=$(srctree) KCONFIG_CONFIG=.config \
	KCONFIG_AUTOCONFIG=include/config/auto.conf \
	KCONFIG_AUTOHEADER=include/generated/autoconf.h \
	KCONFIG_TRISTATE=include/config/tristate.conf
conf = $(kconfig-env) $(KCONFIG_CONF) $(if $(filter 1,$(V)),,-s)

config-targets := defconfig allnoconfig allyesconfig alldefconfig olddefconfig \
	oldconfig savedefconfig menuconfig randconfig listnewconfig \
	$(addsuffix _defconfig,$(boards))
no-config-goals := $(config-targets) clean distclean help
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out $(no-config-goals),$(MAKECMDGOALS)),)
config-only := 1
endif
endif

.PHONY: $(config-targets)

kconfig-tool-check = @command -v $(KCONFIG_CONF) >/dev/null || { \
	echo "kiln: '$(KCONFIG_CONF)' not found; run: make demo (or apt-get install kconfig-frontends-nox)" >&2; exit 2; }

# the directories themselves as order-only prerequisites: they are made
# whenever missing, whatever else a copied or cleaned tree still holds
kconfig-dirs := $(objtree)/include/config $(objtree)/include/generated
$(kconfig-dirs):
	$(Q)mkdir -p $@

# make defconfig DEFCONFIG=file loads a minimal config saved by savedefconfig
defconfig alldefconfig: | $(kconfig-dirs)
	$(kconfig-tool-check)
	$(Q)$(conf) $(if $(DEFCONFIG),--defconfig=$(abspath $(DEFCONFIG)),--alldefconfig) $(srctree)/Kconfig

allnoconfig allyesconfig randconfig olddefconfig oldconfig listnewconfig: | $(kconfig-dirs)
	$(kconfig-tool-check)
	$(Q)$(conf) --$@ $(srctree)/Kconfig

$(addsuffix _defconfig,$(boards)): %_defconfig: | $(kconfig-dirs)
	$(kconfig-tool-check)
	$(Q)$(conf) --defconfig=$(srctree)/board/$*/defconfig $(srctree)/Kconfig

savedefconfig: | $(kconfig-dirs)
	$(kconfig-tool-check)
	$(Q)$(conf) --savedefconfig=$(objtree)/defconfig $(srctree)/Kconfig
	$(quiet) GEN $(objtree)/defconfig

menuconfig: | $(kconfig-dirs)
	$(Q)command -v $(KCONFIG_MCONF) >/dev/null || { \
		echo "kiln: '$(KCONFIG_MCONF)' not found; apt-get install kconfig-frontends-nox" >&2; exit 2; }
	$(Q)$(kconfig-env) $(KCONFIG_MCONF) $(srctree)/Kconfig

# A build without .config starts from the defaults, as BusyBox does.
$(kconfig): | $(kconfig-dirs)
	$(kconfig-tool-check)
	@echo "kiln: no .config in $(objtree): using defconfig"
	$(Q)$(conf) --alldefconfig $(srctree)/Kconfig

# silentoldconfig rewrites autoconf.h every time but touches the per-symbol
# files only for symbols whose value changed: objects depend on those.
$(autoconf): $(kconfig) $(kconfig-files) | $(kconfig-dirs)
	$(kconfig-tool-check)
	$(quiet) CONFIG $(kconfig)
	$(Q)$(conf) --olddefconfig $(srctree)/Kconfig
	$(Q)$(conf) --silentoldconfig $(srctree)/Kconfig
	$(Q)touch $@

$(autoheader): $(autoconf)

ifndef config-only
-include $(autoconf)
endif
