/* commands.h: every kiln command, the Kconfig symbol that puts it in the
 * binary and its one-line summary. The table in main.c is built from this
 * list with IS_ENABLED(), so a command whose symbol is off is absent from the
 * binary and answers "not in this build". A symbol of 1 means always built.
 * Commands of subsystems still to come name the symbol they will sit behind. */
#ifndef KILN_CMD_COMMANDS_H
#define KILN_CMD_COMMANDS_H

#define KILN_COMMANDS(X) \
	X(build,   cmd_build,   CONFIG_BUILD,    "build an image from a Dockerfile") \
	X(run,     cmd_run,     CONFIG_RUN,      "run a command in a new container from an image") \
	X(images,  cmd_images,  CONFIG_STORE,    "list the images in the store") \
	X(inspect, cmd_inspect, CONFIG_STORE,    "show an image's config and manifest") \
	X(tag,     cmd_tag,     CONFIG_STORE,    "give an image another name") \
	X(rmi,     cmd_rmi,     CONFIG_STORE,    "remove image names") \
	X(prune,   cmd_prune,   CONFIG_STORE,    "remove unreferenced blobs and layers") \
	X(fsck,    cmd_fsck,    CONFIG_STORE,    "check the store, and repair it with --repair") \
	X(save,    cmd_save,    CONFIG_STORE_ARCHIVE, "write images to an archive") \
	X(load,    cmd_load,    CONFIG_STORE_ARCHIVE, "read images from an archive") \
	X(import,  cmd_import,  CONFIG_STORE_ROOTFS, "make an image of a root filesystem tarball") \
	X(export,  cmd_export,  CONFIG_STORE_ROOTFS, "write an image's root filesystem as a tarball") \
	X(unpack,  cmd_unpack,  CONFIG_STORE_ROOTFS, "unpack an image's root filesystem into a directory") \
	X(pull,    cmd_pull,    CONFIG_REGISTRY, "fetch an image from a registry") \
	X(push,    cmd_push,    CONFIG_REGISTRY, "send an image to a registry") \
	X(login,   cmd_login,   CONFIG_REGISTRY, "store credentials for a registry") \
	X(logout,  cmd_logout,  CONFIG_REGISTRY, "remove the credentials stored for a registry") \
	X(debug,   cmd_debug,   CONFIG_DEBUG_CMD, "show kiln's view of a Dockerfile (parse, plan) and of platforms") \
	X(help,    cmd_help,    1,               "show help for kiln or a command") \
	X(version, cmd_version, 1,               "show version, architecture and features")

#endif
