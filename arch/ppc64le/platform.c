/* ppc64le/platform.c: linux/ppc64le; big-endian ppc64 is a different
 * platform that kiln does not build for. */
#include <elf.h>

#include "arch/arch.h"

ARCH_PLATFORM(ppc64le, .arch = "ppc64le",
	      .elf_class = ELFCLASS64, .elf_data = ELFDATA2LSB, .elf_machine = EM_PPC64);
