/* 386/platform.c: linux/386 (i386 to i686), which x86_64 CPUs run as they
 * are. */
#include <elf.h>

#include "arch/arch.h"

ARCH_PLATFORM(i386, .arch = "386", .aliases = "i386 i486 i586 i686 x86",
	      .elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_386,
	      .binfmt_magic = { 0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, EV_CURRENT, 0,
				0, 0, 0, 0, 0, 0, 0, 0, ET_EXEC, 0, EM_386, 0 },
	      .binfmt_mask = ARCH_BINFMT_MASK_LSB,
	      .qemu = "i386", .native_on = "amd64", .native_needs_compat = 1);
