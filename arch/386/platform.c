/* 386/platform.c: linux/386 (i386 to i686). */
#include <elf.h>

#include "arch/arch.h"

ARCH_PLATFORM(i386, .arch = "386", .aliases = "i386 i486 i586 i686 x86",
	      .elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_386);
