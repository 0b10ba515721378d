# The Kbuild walk: starting at the top-level Kbuild, each folder's Kbuild
# lists objects (obj-y, obj-$(CONFIG_X)) and sub-folders ("dir/"). One make
# process sees every object, so -j is safe and dependencies are exact.

objs :=

# $(call kbuild-walk,dir) includes dir/Kbuild with a fresh obj-y and recurses
define kbuild-walk
obj-y :=
ccflags-y :=
include $(srctree)/$(1)Kbuild
kbuild-objs-$(1) := $$(addprefix $(objtree)/$(1),$$(filter %.o,$$(obj-y)))
kbuild-dirs-$(1) := $$(addprefix $(1),$$(sort $$(filter %/,$$(obj-y))))
$$(foreach o,$$(kbuild-objs-$(1)),$$(eval ccflags-$$(o) := $$(ccflags-y)))
objs += $$(kbuild-objs-$(1))
$$(foreach d,$$(kbuild-dirs-$(1)),$$(eval $$(call kbuild-walk,$$(d))))
endef

ifneq ($(config-only),1)
$(eval $(call kbuild-walk,))
endif
objs := $(sort $(objs))
main-obj := $(objtree)/src/main.o
lib-objs := $(filter-out $(main-obj),$(objs))

# fixdep: an object depends on include/config/<symbol>.h for each CONFIG_
# symbol its sources mention, not on autoconf.h, so a change to one symbol
# rebuilds only the code that reads it (as the kernel's scripts/basic/fixdep).
fixdep = $(srctree)/scripts/fixdep.sh $(@:.o=.d) $(objtree) $(autoheader)

$(objtree)/%.o: $(srctree)/%.c $(flags-file) | $(deps-ready) $(autoconf) \
		$(kernel-headers)/.stamp $(objtree)/include/generated/version.h \
		$(objtree)/include/generated/features.h
	$(quiet) CC $(patsubst $(objtree)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(ccflags-$@) -MMD -MF $(@:.o=.d) -c $< -o $@
	$(Q)$(fixdep)

-include $(objs:.o=.cmd)

# The list of objects changes when the config does; relink only then.
objs-file := $(objtree)/.kiln-objs
ifneq ($(config-only),1)
ifneq ($(objs),$(shell cat $(objs-file) 2>/dev/null))
$(shell mkdir -p $(objtree) && printf '%s\n' '$(objs)' > $(objs-file))
endif
endif

$(objtree)/kiln_unstripped: $(objs) $(objs-file)
	$(quiet) LD $(patsubst $(objtree)/%,%,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(objs) $(LIBS)

$(objtree)/kiln: $(objtree)/kiln_unstripped
	$(quiet) STRIP $(patsubst $(objtree)/%,%,$@)
	$(Q)$(STRIP) -o $@ $<

# version.h: the version and git revision, rewritten only when they change
kiln-revision := $(shell git -C $(srctree) describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
version-line := \#define KILN_VERSION "$(VERSION)"\n\#define KILN_REVISION "$(kiln-revision)"\n\#define KILN_ARCH "$(KILN_ARCH)"\n
ifneq ($(config-only),1)
ifneq ($(shell printf '$(version-line)' | cmp -s - $(objtree)/include/generated/version.h && echo same),same)
$(shell mkdir -p $(objtree)/include/generated && printf '$(version-line)' > $(objtree)/include/generated/version.h)
endif
endif
$(objtree)/include/generated/version.h: ;

# features.h: the enabled CONFIG_ symbols, for 'kiln version'
# (rewritten only when the list changes; the stamp records that we looked)
features-stamp := $(objtree)/include/generated/.features
$(objtree)/include/generated/features.h: $(features-stamp) ;
$(features-stamp): $(autoconf)
	$(Q)sed -n 's/^CONFIG_\([A-Z0-9_]*\)=y$$/"\1",/p' $(autoconf) | sort > $@.tmp
	$(Q)cmp -s $@.tmp $(@D)/features.h && rm -f $@.tmp || mv $@.tmp $(@D)/features.h
	$(Q)touch $@
