/* arch.h: the image platforms kiln knows. Each arch/<name>/ folder adds its
 * table to the kiln_arch section; generic code only iterates and looks up. */
#ifndef KILN_ARCH_ARCH_H
#define KILN_ARCH_ARCH_H

#include <stdint.h>

/* binfmt_misc looks at this many leading bytes of an executable: the ELF
 * identification, e_type and e_machine */
#define ARCH_BINFMT_LEN 20

/* The mask every table uses: all of e_ident but EI_OSABI (Linux binaries
 * say SYSV or GNU there), e_type ET_EXEC or ET_DYN (the low bit free; it
 * sits in byte 16 for little-endian and 17 for big-endian), e_machine. */
#define ARCH_BINFMT_MASK_LSB { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, \
			       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
			       0xfe, 0xff, 0xff, 0xff }
#define ARCH_BINFMT_MASK_MSB { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, \
			       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
			       0xff, 0xfe, 0xff, 0xff }

struct arch_platform {
	const char *arch;	/* OCI architecture: "arm64" */
	const char *variant;	/* OCI variant ("v7") or NULL */
	const char *aliases;	/* other spellings, space separated: "aarch64" */
	uint8_t elf_class;	/* ELFCLASS32 / ELFCLASS64 */
	uint8_t elf_data;	/* ELFDATA2LSB / ELFDATA2MSB */
	uint16_t elf_machine;	/* EM_* */
	uint8_t is_default;	/* the variant a bare arch name means (arm: v7) */

	/* Running its binaries on another CPU. binfmt_magic is the start of an
	 * ET_EXEC executable's ELF header; a file matches when its first
	 * ARCH_BINFMT_LEN bytes, ANDed with binfmt_mask, equal it. */
	uint8_t binfmt_magic[ARCH_BINFMT_LEN];
	uint8_t binfmt_mask[ARCH_BINFMT_LEN];
	/* qemu-user's name for the CPU: the emulator is qemu-<qemu>-static or
	 * qemu-<qemu> (Debian also links <qemu>-binfmt-P to it). Platforms
	 * sharing it (arm v5..v7) share one binfmt_misc entry. */
	const char *qemu;
	/* other CPUs that run it without emulation, space separated, as
	 * "arch" or "arch/variant" of the machine ("arm64" runs arm/v7) */
	const char *native_on;
	/* ... but only when the kernel runs 32-bit processes there: on arm64
	 * that needs a CPU with AArch32 at EL0, which many lack */
	uint8_t native_needs_compat;
};

/* Registers a platform: the pointer lands in section kiln_arch, whose bounds
 * the linker provides as __start_kiln_arch / __stop_kiln_arch. */
#define ARCH_PLATFORM(id, ...) \
	static const struct arch_platform id = { __VA_ARGS__ }; \
	static const struct arch_platform *const id##_entry \
	__attribute__((used, section("kiln_arch"), aligned(sizeof(void *)))) = &id

const struct arch_platform *const *arch_platforms_begin(void);
const struct arch_platform *const *arch_platforms_end(void);

/* for each registered platform p (the section also holds NULL sentinels) */
#define arch_for_each_platform(p) \
	for (const struct arch_platform *const *p##_it = arch_platforms_begin(); \
	     p##_it < arch_platforms_end(); p##_it++) \
		for (const struct arch_platform *p = *p##_it; p; p = NULL)

/* "arm64", "v8" ... with docker's normalisations; NULL when unknown */
const struct arch_platform *arch_find(const char *arch, const char *variant);

/* the platform of a machine name as uname -m gives it ("aarch64", "armv6l":
 * an alias names its own variant); NULL when kiln has no table for it */
const struct arch_platform *arch_find_machine(const char *machine);
/* the CPU kiln runs on (the kernel's machine name, not the binary's: an
 * arm/v7 kiln on an arm64 kernel says arm64); NULL when unknown */
const struct arch_platform *arch_host(void);
/* does the kernel run 32-bit processes (PER_LINUX32 is accepted)? */
int arch_host_compat32(void);
/* "arm64", "arm/v7": the form native_on uses; buf of 32 bytes */
const char *arch_platform_name(const struct arch_platform *p, char buf[32]);
/* does a host CPU run p's binaries as they are, without emulation? compat32
 * says whether it runs 32-bit processes */
int arch_runs_on(const struct arch_platform *p, const struct arch_platform *host,
		 int compat32);
/* the same for this machine */
int arch_native(const struct arch_platform *p);

#endif
