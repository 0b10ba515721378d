/* arm/platform.c: linux/arm with its variants; v7 first, as docker takes a
 * bare "arm" to mean arm/v7. All share ELF machine EM_ARM and so one
 * emulator; an arm64 CPU with AArch32 runs them all, a v7 one v6 and v5. */
#include <elf.h>

#include "arch/arch.h"

#define ARM_MAGIC { 0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, EV_CURRENT, 0, \
		    0, 0, 0, 0, 0, 0, 0, 0, ET_EXEC, 0, EM_ARM, 0 }

ARCH_PLATFORM(arm_v7, .arch = "arm", .variant = "v7", .aliases = "armhf armv7l armv7 armv8l",
	      .is_default = 1,
	      .elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_ARM,
	      .binfmt_magic = ARM_MAGIC, .binfmt_mask = ARCH_BINFMT_MASK_LSB,
	      .qemu = "arm", .native_on = "arm64", .native_needs_compat = 1);
ARCH_PLATFORM(arm_v6, .arch = "arm", .variant = "v6", .aliases = "armel armv6l armv6",
	      .elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_ARM,
	      .binfmt_magic = ARM_MAGIC, .binfmt_mask = ARCH_BINFMT_MASK_LSB,
	      .qemu = "arm", .native_on = "arm64 arm/v7", .native_needs_compat = 1);
ARCH_PLATFORM(arm_v5, .arch = "arm", .variant = "v5", .aliases = "armv5l armv5",
	      .elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_ARM,
	      .binfmt_magic = ARM_MAGIC, .binfmt_mask = ARCH_BINFMT_MASK_LSB,
	      .qemu = "arm", .native_on = "arm64 arm/v7 arm/v6", .native_needs_compat = 1);
