/* s390x/platform.c: linux/s390x, the one big-endian platform in the list:
 * e_type and e_machine are stored high byte first. */
#include <elf.h>

#include "arch/arch.h"

ARCH_PLATFORM(s390x, .arch = "s390x",
	      .elf_class = ELFCLASS64, .elf_data = ELFDATA2MSB, .elf_machine = EM_S390,
	      .binfmt_magic = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2MSB, EV_CURRENT, 0,
				0, 0, 0, 0, 0, 0, 0, 0, 0, ET_EXEC, 0, EM_S390 },
	      .binfmt_mask = ARCH_BINFMT_MASK_MSB,
	      .qemu = "s390x");
