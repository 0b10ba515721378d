/* arm/platform.c: linux/arm with its variants; v7 first, as docker takes a
 * bare "arm" to mean arm/v7. All share ELF machine EM_ARM. */
#include <elf.h>

#include "arch/arch.h"

ARCH_PLATFORM(arm_v7, .arch = "arm", .variant = "v7", .aliases = "armhf armv7l armv7", .is_default = 1,
	      .elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_ARM);
ARCH_PLATFORM(arm_v6, .arch = "arm", .variant = "v6", .aliases = "armel armv6l armv6",
	      .elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_ARM);
ARCH_PLATFORM(arm_v5, .arch = "arm", .variant = "v5", .aliases = "armv5l armv5",
	      .elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_ARM);
