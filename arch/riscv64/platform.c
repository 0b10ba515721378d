/* riscv64/platform.c: linux/riscv64. */
#include <elf.h>

#include "arch/arch.h"

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

ARCH_PLATFORM(riscv64, .arch = "riscv64",
	      .elf_class = ELFCLASS64, .elf_data = ELFDATA2LSB, .elf_machine = EM_RISCV,
	      .binfmt_magic = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT, 0,
				0, 0, 0, 0, 0, 0, 0, 0, ET_EXEC, 0, EM_RISCV, 0 },
	      .binfmt_mask = ARCH_BINFMT_MASK_LSB,
	      .qemu = "riscv64");
