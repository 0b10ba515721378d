# Which compiler builds kiln, with which flags. The static product is built
# with gcc + Debian's musl specs (native or cross); SANITIZE=1 builds the same
# sources with the host gcc/glibc and -fsanitize=address,undefined against
# Debian's -dev packages, for unit tests and fuzzers.

comma := ,
DEPS_DIR ?= $(objtree)/deps
DEPS_SRC ?= $(DEPS_DIR)/src

host-arch := $(shell uname -m | sed -e s/x86_64/amd64/ -e s/aarch64/arm64/ \
	-e s/armv7l/armv7/ -e s/armv6l/armv6/)

ifeq ($(origin ARCH),command line)
KILN_ARCH := $(ARCH)
else ifeq ($(CONFIG_KILN_ARCH_AMD64),y)
KILN_ARCH := amd64
else ifeq ($(CONFIG_KILN_ARCH_ARM64),y)
KILN_ARCH := arm64
else ifeq ($(CONFIG_KILN_ARCH_ARMV7),y)
KILN_ARCH := armv7
else ifeq ($(CONFIG_KILN_ARCH_ARMV6),y)
KILN_ARCH := armv6
else
KILN_ARCH := $(host-arch)
endif
# FUZZ=1: the sanitizer configuration with clang and libFuzzer coverage
ifeq ($(FUZZ),1)
SANITIZE := 1
endif
ifeq ($(SANITIZE),1)
KILN_ARCH := $(host-arch)
endif

# arch -> Debian GNU triplet, musl triplet, machine flags, arch/ folder
gnu-amd64  := x86_64-linux-gnu
musl-amd64 := x86_64-linux-musl
dir-amd64  := amd64
gnu-arm64  := aarch64-linux-gnu
musl-arm64 := aarch64-linux-musl
dir-arm64  := arm64
gnu-armv7  := arm-linux-gnueabihf
musl-armv7 := arm-linux-musleabihf
mflags-armv7 := -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard -mthumb
dir-armv7  := arm
gnu-armv6  := arm-linux-gnueabi
musl-armv6 := arm-linux-musleabi
mflags-armv6 := -march=armv6 -marm -mfloat-abi=soft
dir-armv6  := arm

ifeq ($(gnu-$(KILN_ARCH)),)
$(error kiln: ARCH '$(KILN_ARCH)' is not one of amd64 arm64 armv7 armv6)
endif
KILN_ARCH_DIR := $(dir-$(KILN_ARCH))

ifeq ($(KILN_ARCH),$(host-arch))
CROSS_COMPILE ?=
else
CROSS_COMPILE ?= $(gnu-$(KILN_ARCH))-
endif

WERROR ?= 1
warn-flags := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla $(if $(filter 1,$(WERROR)),-Werror)
common-cflags := -std=gnu11 -D_GNU_SOURCE -pipe -ffunction-sections -fdata-sections \
	-fno-common -I$(srctree)/src -I$(srctree) -I$(objtree)/include \
	-include $(autoheader) $(warn-flags)
kernel-headers := $(objtree)/include/kernel

ifeq ($(SANITIZE),1)
CC      := $(if $(filter 1,$(FUZZ)),clang,gcc)
AR      := ar
STRIP   := strip
SIZE    := size
san     := -fsanitize=address,undefined$(if $(filter 1,$(FUZZ)),$(comma)fuzzer-no-link) \
	-fno-sanitize-recover=all
CFLAGS  := $(common-cflags) -O1 -g -fno-omit-frame-pointer $(san)
LDFLAGS := $(san)
LIBS    := -lmbedtls -lmbedx509 -lmbedcrypto -lcjson -lcap -lz -lm
else
musl-specs := /usr/lib/$(musl-$(KILN_ARCH))/musl-gcc.specs
CC      := $(CROSS_COMPILE)gcc -specs $(musl-specs) $(mflags-$(KILN_ARCH))
AR      := $(CROSS_COMPILE)ar
STRIP   := $(CROSS_COMPILE)strip
SIZE    := $(CROSS_COMPILE)size
opt     := $(if $(CONFIG_OPTIMIZE_SIZE),-Os,-O2) $(if $(CONFIG_LTO),-flto)
CFLAGS  := $(common-cflags) $(opt) -g -DKILN_STATIC=1 -idirafter $(kernel-headers) \
	-isystem $(DEPS_DIR)/$(KILN_ARCH)/sysroot/include
LDFLAGS := -static -Wl,--gc-sections -Wl,-z,noexecstack $(opt) \
	-L$(DEPS_DIR)/$(KILN_ARCH)/sysroot/lib
LIBS    := -lmbedtls -lmbedx509 -lmbedcrypto -lcjson -lcap -lz
endif
CFLAGS += $(EXTRA_CFLAGS)

# musl-gcc has no kernel headers: point at the Debian ones for this arch.
kh-search := /usr/include/$(gnu-$(KILN_ARCH)) /usr/$(gnu-$(KILN_ARCH))/include
kh-asm := $(firstword $(wildcard $(addsuffix /asm,$(kh-search))))
kh-root := $(patsubst %/asm,%,$(kh-asm))
kh-linux := $(firstword $(wildcard $(kh-root)/linux) /usr/include/linux)
kh-generic := $(firstword $(wildcard $(kh-root)/asm-generic) /usr/include/asm-generic)
$(kernel-headers)/.stamp: $(flags-file) | $(kconfig-dirs)
	$(Q)test -n "$(kh-asm)" || { echo "kiln: no kernel headers for $(KILN_ARCH) (linux-libc-dev)" >&2; exit 2; }
	$(Q)mkdir -p $(kernel-headers)
	$(Q)ln -sfn $(kh-linux) $(kernel-headers)/linux
	$(Q)ln -sfn $(kh-generic) $(kernel-headers)/asm-generic
	$(Q)ln -sfn $(kh-asm) $(kernel-headers)/asm
	$(Q)echo $(KILN_ARCH) > $@

# The flags an object was built with: when they change, everything rebuilds.
flags-file := $(objtree)/.kiln-flags
flags-now  := $(KILN_ARCH) $(CC) $(CFLAGS)
ifneq ($(config-only),1)
ifneq ($(flags-now),$(shell cat $(flags-file) 2>/dev/null))
$(shell mkdir -p $(objtree) && printf '%s\n' '$(flags-now)' > $(flags-file))
endif
endif
