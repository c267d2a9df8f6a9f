# user/user.mk: Keel's user programs, their tests and the initrd.
#
# Included by the top Makefile; also usable alone: `make -f user/user.mk user`.
# Every program is a static musl binary that runs on Keel and on the host
# Linux alike, so the tests can be checked against Linux first.
#
#   user/<name>.c           a one-file program           -> build/user/bin/<name>
#   user/<name>/*.c         a program of several files   -> build/user/bin/<name>
#   user/tests/<name>.c     a test, linked with user/tests/lib/*.c
#   user/etc/*              copied to /etc in the image
#
# Outputs are written under a temporary name and renamed, so that two makes
# at once (engineers, keel-run) never leave half a binary.
# Targets: user (all binaries), initrd (build/user/initrd.cpio),
# user-host-check (runs every test on the host).

USER_OUT := build/user
USER_BIN := $(USER_OUT)/bin
USER_CC := musl-gcc
USER_CFLAGS := -static -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -MMD -MP
BUSYBOX ?= /bin/busybox

USER_SINGLE := $(basename $(notdir $(wildcard user/*.c)))
USER_MULTI := $(sort $(filter-out tests etc lib,$(notdir $(patsubst %/,%,$(dir $(wildcard user/*/*.c))))))
USER_TESTS := $(basename $(notdir $(wildcard user/tests/*.c)))
USER_TESTLIB := $(wildcard user/tests/lib/*.c)
USER_PROGS := $(sort $(USER_SINGLE) $(USER_MULTI))
USER_BINS := $(addprefix $(USER_BIN)/,$(USER_PROGS) $(USER_TESTS))

.PHONY: user initrd user-host-check user-deps
user: $(USER_BINS)
initrd: $(USER_OUT)/initrd.cpio
user-host-check: $(USER_BINS)
	@tools/test-user-host.sh $(USER_BIN)

# musl-gcc, cpio and busybox come from Debian packages (tools/install-deps.sh).
user-deps:
	@command -v $(USER_CC) >/dev/null && command -v cpio >/dev/null && test -x $(BUSYBOX) \
	  || tools/install-deps.sh

$(USER_BIN)/%: user/%.c | user-deps
	@mkdir -p $(@D)
	@echo "  USERCC  $@"
	@$(USER_CC) $(USER_CFLAGS) -MF $(USER_OUT)/$*.d -MT $@ -o $@.$$$$ $< && mv -f $@.$$$$ $@

define USER_MULTI_RULE
$(USER_BIN)/$(1): $(wildcard user/$(1)/*.c) | user-deps
	@mkdir -p $$(@D)
	@echo "  USERCC  $$@"
	@$(USER_CC) $(USER_CFLAGS) -MF $(USER_OUT)/$(1).d -MT $$@ -o $$@.$$$$$$$$ $(wildcard user/$(1)/*.c) && mv -f $$@.$$$$$$$$ $$@
endef
$(foreach p,$(USER_MULTI),$(eval $(call USER_MULTI_RULE,$(p))))

$(USER_BIN)/%: user/tests/%.c $(USER_TESTLIB) | user-deps
	@mkdir -p $(@D)
	@echo "  USERCC  $@"
	@$(USER_CC) $(USER_CFLAGS) -Iuser/tests/lib -MF $(USER_OUT)/$*.d -MT $@ -o $@.$$$$ $< $(USER_TESTLIB) && mv -f $@.$$$$ $@

-include $(wildcard $(USER_OUT)/*.d)

# Busybox applets that get a /bin entry of their own: a copy of user/applet.c
# (13 KB, it execs /bin/busybox) under the applet's name. Busybox's shell needs
# them (it finds applets through /proc/self/exe, which Keel lacks, or the PATH).
BUSYBOX_APPLETS := awk basename cat chmod clear cmp cp cut date dd df diff dirname dmesg du env expr \
  false find fold free grep gunzip gzip head hexdump hostname id install kill less ln ls md5sum mkdir \
  mktemp more mv nl nproc od printf ps pwd readlink realpath rev rm rmdir sed seq sha256sum sleep sort \
  split stat strings stty sync tail tar tee test time timeout touch tr true tty uname uniq vi watch wc \
  which whoami xargs xxd yes zcat
USER_APPLETS = $(filter $(BUSYBOX_APPLETS),$(shell $(BUSYBOX) --list 2>/dev/null))

# The image's root: /bin (our programs, busybox and the applet stand-ins; no
# symlinks: the kernel's unpacker may skip them), /etc, and empty /home, /tmp, /dev.
USER_ETC := $(wildcard user/etc/*)
# Built in a private folder and moved into place, so that two makes at once
# (several engineers, keel-run) never see half a tree or half an archive.
$(USER_OUT)/initrd.cpio: $(USER_BINS) $(USER_ETC) user/user.mk | user-deps
	@set -e; r=$(USER_OUT)/root.$$$$; rm -rf $$r; \
	mkdir -p $$r/bin $$r/etc $$r/home $$r/tmp $$r/dev; chmod 1777 $$r/tmp; \
	cp $(USER_BINS) $(BUSYBOX) $$r/bin/; \
	strip -o $$r/applet.stripped $(USER_BIN)/applet; \
	for a in $(USER_APPLETS); do cp $$r/applet.stripped $$r/bin/$$a; done; rm $$r/applet.stripped; \
	cp $(USER_ETC) $$r/etc/; \
	echo "  CPIO    $@"; \
	(cd $$r && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) > $@.$$$$; \
	mv -f $@.$$$$ $@; \
	rm -rf $(USER_OUT)/root.old.$$$$; if [ -d $(USER_OUT)/root ]; then mv $(USER_OUT)/root $(USER_OUT)/root.old.$$$$; fi; \
	mv $$r $(USER_OUT)/root; rm -rf $(USER_OUT)/root.old.$$$$

# The disk image: the same tree as the initrd, as an MFS file system that the
# kernel mounts as / from the first virtio disk (docs/mfs-format.md). Tests
# and `make qemu` boot copies of it, so this file stays pristine.
DISK_IMG := $(USER_OUT)/disk.img
DISK_SIZE ?= 256M
DISK_INODES ?= 16384
.PHONY: disk
disk: $(DISK_IMG)
$(DISK_IMG): $(USER_OUT)/initrd.cpio build/tools/mkfs.mfs
	@echo "  MKFS    $@"
	@build/tools/mkfs.mfs -s $(DISK_SIZE) -N $(DISK_INODES) -L keel -d $(USER_OUT)/root $@.$$$$ >/dev/null && mv -f $@.$$$$ $@
