/* amd64/platform.c: linux/amd64, what docker also calls x86_64 and x86-64. */
#include <elf.h>

#include "arch/arch.h"

ARCH_PLATFORM(amd64, .arch = "amd64", .aliases = "x86_64 x86-64",
	      .elf_class = ELFCLASS64, .elf_data = ELFDATA2LSB, .elf_machine = EM_X86_64,
	      .binfmt_magic = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT, 0,
				0, 0, 0, 0, 0, 0, 0, 0, ET_EXEC, 0, EM_X86_64, 0 },
	      .binfmt_mask = ARCH_BINFMT_MASK_LSB,
	      .qemu = "x86_64");
