# Host tools for MFS images (docs/mfs-format.md): mkfs.mfs, fsck.mfs, mfs and
# corrupt-image, built in build/tools/ from tools/mfs/ and linked with Debian's
# liblz4 and libzstd. They include the kernel's kernel/fs/mfs/mfs_format.h.
# Included by the top-level Makefile.

MFS_TOOLS_DIR := build/tools
MFS_TOOLS_CC ?= gcc
MFS_TOOLS_CFLAGS := -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Ikernel -Itools/mfs
MFS_TOOLS_LIBS := -llz4 -lzstd
MFS_TOOLS_DEPS := tools/mfs/mfslib.c tools/mfs/mfslib.h kernel/fs/mfs/mfs_format.h
MFS_TOOLS := $(MFS_TOOLS_DIR)/mkfs.mfs \
             $(if $(wildcard tools/mfs/fsck.c),$(MFS_TOOLS_DIR)/fsck.mfs) \
             $(if $(wildcard tools/mfs/mfs.c),$(MFS_TOOLS_DIR)/mfs) \
             $(if $(wildcard tools/mfs/corrupt.c),$(MFS_TOOLS_DIR)/corrupt-image)
MFS_TOOLS_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

$(MFS_TOOLS_DIR)/mkfs.mfs: tools/mfs/mkfs.c $(MFS_TOOLS_DEPS)
	@mkdir -p $(@D)
	$(MFS_TOOLS_CC) $(MFS_TOOLS_CFLAGS) -o $@ $< tools/mfs/mfslib.c $(MFS_TOOLS_LIBS)

$(MFS_TOOLS_DIR)/fsck.mfs: tools/mfs/fsck.c $(MFS_TOOLS_DEPS)
	@mkdir -p $(@D)
	$(MFS_TOOLS_CC) $(MFS_TOOLS_CFLAGS) -o $@ $< tools/mfs/mfslib.c $(MFS_TOOLS_LIBS)

$(MFS_TOOLS_DIR)/mfs: tools/mfs/mfs.c $(MFS_TOOLS_DEPS)
	@mkdir -p $(@D)
	$(MFS_TOOLS_CC) $(MFS_TOOLS_CFLAGS) -o $@ $< tools/mfs/mfslib.c $(MFS_TOOLS_LIBS)

$(MFS_TOOLS_DIR)/corrupt-image: tools/mfs/corrupt.c $(MFS_TOOLS_DEPS)
	@mkdir -p $(@D)
	$(MFS_TOOLS_CC) $(MFS_TOOLS_CFLAGS) -o $@ $< tools/mfs/mfslib.c $(MFS_TOOLS_LIBS)

# The sanitized fsck and mfs that tools/mfs/test-tools.sh runs on corrupt images.
$(MFS_TOOLS_DIR)/san/%: tools/mfs/%.c $(MFS_TOOLS_DEPS)
	@mkdir -p $(@D)
	$(MFS_TOOLS_CC) $(MFS_TOOLS_CFLAGS) $(MFS_TOOLS_SAN) -o $@ $< tools/mfs/mfslib.c $(MFS_TOOLS_LIBS)

.PHONY: mfs-tools mfs-tools-check
mfs-tools: $(MFS_TOOLS)
mfs-tools-check: mfs-tools
	@tools/mfs/test-tools.sh
