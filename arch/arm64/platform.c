/* arm64/platform.c: linux/arm64, also spelled aarch64; variant v8 is the
 * same platform. */
#include <elf.h>

#include "arch/arch.h"

ARCH_PLATFORM(arm64, .arch = "arm64", .aliases = "aarch64 arm64be",
	      .elf_class = ELFCLASS64, .elf_data = ELFDATA2LSB, .elf_machine = EM_AARCH64,
	      .binfmt_magic = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT, 0,
				0, 0, 0, 0, 0, 0, 0, 0, ET_EXEC, 0, EM_AARCH64, 0 },
	      .binfmt_mask = ARCH_BINFMT_MASK_LSB,
	      .qemu = "aarch64");
