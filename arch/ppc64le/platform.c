/* ppc64le/platform.c: linux/ppc64le; big-endian ppc64 is a different
 * platform that kiln does not build for. */
#include <elf.h>

#include "arch/arch.h"

ARCH_PLATFORM(ppc64le, .arch = "ppc64le",
	      .elf_class = ELFCLASS64, .elf_data = ELFDATA2LSB, .elf_machine = EM_PPC64,
	      .binfmt_magic = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT, 0,
				0, 0, 0, 0, 0, 0, 0, 0, ET_EXEC, 0, EM_PPC64, 0 },
	      .binfmt_mask = ARCH_BINFMT_MASK_LSB,
	      .qemu = "ppc64le");
