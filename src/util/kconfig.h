/* kconfig.h: IS_ENABLED(CONFIG_X) is 1 when kconfig defined CONFIG_X to 1,
 * else 0, so callers test features in a plain if () and the dead branch
 * (and everything only it references) drops out of the binary. */
#ifndef KILN_UTIL_KCONFIG_H
#define KILN_UTIL_KCONFIG_H

/* CONFIG_X expands to 1 when set; pasting gives KILN_ON_1, which is a comma,
 * shifting the 1 into the second slot. Unset, the pasted token is inert. */
#define KILN_ON_1 ,
#define kiln_pick_second(ignored, value, ...) value
#define kiln_enabled_2(maybe_comma) kiln_pick_second(maybe_comma 1, 0, ~)
#define kiln_enabled_1(value) kiln_enabled_2(KILN_ON_##value)
#define IS_ENABLED(option) kiln_enabled_1(option)

#endif
