/* s390x/platform.c: linux/s390x, the one big-endian platform in the list. */
#include <elf.h>

#include "arch/arch.h"

ARCH_PLATFORM(s390x, .arch = "s390x",
	      .elf_class = ELFCLASS64, .elf_data = ELFDATA2MSB, .elf_machine = EM_S390);
