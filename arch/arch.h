/* arch.h: the image platforms kiln knows. Each arch/<name>/ folder adds its
 * table to the kiln_arch section; generic code only iterates and looks up. */
#ifndef KILN_ARCH_ARCH_H
#define KILN_ARCH_ARCH_H

#include <stdint.h>

struct arch_platform {
	const char *arch;	/* OCI architecture: "arm64" */
	const char *variant;	/* OCI variant ("v7") or NULL */
	const char *aliases;	/* other spellings, space separated: "aarch64" */
	uint8_t elf_class;	/* ELFCLASS32 / ELFCLASS64 */
	uint8_t elf_data;	/* ELFDATA2LSB / ELFDATA2MSB */
	uint16_t elf_machine;	/* EM_* */
	uint8_t is_default;	/* the variant a bare arch name means (arm: v7) */
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

#endif
