/* authdirs.h: where the per-user files of registry authentication live,
 * shared by creds.c (auth files) and certs.c (certs.d, config.json). */
#ifndef KILN_REGISTRY_AUTHDIRS_H
#define KILN_REGISTRY_AUTHDIRS_H

/* $XDG_CONFIG_HOME, else $HOME/.config; NULL when neither is set to an
 * absolute path. Caller frees. */
char *reg_config_dir(void);

#endif
