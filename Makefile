# Keel: build, run, grade and test. See README.md for the commands.
#
# Build modes, each in its own folder under build/:
#   make ...           build/student  the tree as it stands (lab functions stubbed)
#   make ... LAB=9c    build/lab-9c   solutions of the labs before 9c overlaid
#   make ... SOL=1     build/sol      every solution overlaid: the reference kernel
# The overlay rule, implemented once here: solutions/<lab>/<path> replaces <path>.

SHELL := /bin/bash
.DEFAULT_GOAL := all
LAB_ORDER := 9a 9b 9c 9d 9e

ifeq ($(SOL),1)
  MODE := sol
  OVERLAY_LABS := $(LAB_ORDER)
else ifneq ($(filter $(LAB),$(LAB_ORDER)),)
  MODE := lab-$(LAB)
  OVERLAY_LABS := $(shell echo $(LAB_ORDER) | tr ' ' '\n' | sed '/^$(LAB)$$/,$$d')
else
  MODE := student
  OVERLAY_LABS :=
endif
BUILD := build/$(MODE)
INITRD := build/user/initrd.cpio   # the boot archive (user/user.mk): /bin, /etc

# overlay(path): the file that stands for <path> in this mode.
overlay = $(or $(lastword $(foreach l,$(OVERLAY_LABS),$(wildcard solutions/$(l)/$(1)))),$(1))

CC := gcc
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
           -fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls -fno-asynchronous-unwind-tables \
           -fcf-protection=none -Wall -Wextra -Werror -Wframe-larger-than=2048 -MMD -MP \
           -DKEEL_MODE=$(MODE) \
           $(foreach l,$(call reverse,$(OVERLAY_LABS)),-Isolutions/$(l)/kernel) -Ikernel
reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
KLDFLAGS := -nostdlib -static -no-pie -Wl,-z,max-page-size=0x1000,-z,noexecstack,--build-id=none \
            -T kernel/arch/x86_64/kernel.ld

# Objects depend on a stamp named after the flags, so changing a flag rebuilds.
FLAGS_STAMP := $(BUILD)/flags.$(shell echo '$(KCFLAGS) $(KLDFLAGS)' | md5sum | cut -c1-8)
$(FLAGS_STAMP):
	@mkdir -p $(@D); rm -f $(BUILD)/flags.*; touch $@

KSRC := $(filter-out $(KSRC_EXCLUDE),$(sort $(shell find kernel -name '*.c' -o -name '*.S')))
KOBJ := $(patsubst %,$(BUILD)/obj/%.o,$(KSRC))

define KOBJ_RULE
$(BUILD)/obj/$(1).o: $(call overlay,$(1)) $(FLAGS_STAMP) | deps
	@mkdir -p $$(@D)
	@echo "  CC      $$<"
	@$(CC) $(KCFLAGS) -c $(call overlay,$(1)) -o $$@
endef
$(foreach s,$(KSRC),$(eval $(call KOBJ_RULE,$(s))))
-include $(KOBJ:.o=.d)

.PHONY: all kernel iso qemu qemu-gdb run grade check bench fuzz stress tools docs doctor clean deps print-sources print-build

all: kernel tools user initrd disk
kernel: $(BUILD)/kernel.elf

# Two links: the first finds every function's address, the second embeds
# that table (in .ksyms, after .text, so no function moves).
$(BUILD)/kernel.elf: $(KOBJ) kernel/arch/x86_64/kernel.ld tools/gen-ksyms.sh $(FLAGS_STAMP)
	@echo "  LD      $@"
	@tools/gen-ksyms.sh > $(BUILD)/ksyms0.S
	@$(CC) -c $(BUILD)/ksyms0.S -o $(BUILD)/ksyms0.o
	@$(CC) $(KLDFLAGS) -o $(BUILD)/kernel.tmp $(KOBJ) $(BUILD)/ksyms0.o -lgcc
	@tools/gen-ksyms.sh $(BUILD)/kernel.tmp > $(BUILD)/ksyms.S
	@$(CC) -c $(BUILD)/ksyms.S -o $(BUILD)/ksyms.o
	@$(CC) $(KLDFLAGS) -o $@ $(KOBJ) $(BUILD)/ksyms.o -lgcc
	@cmp -s <(nm -n $(BUILD)/kernel.tmp | grep -i ' t ') <(nm -n $@ | grep -i ' t ') || \
	  { echo "kernel: functions moved between the two links (check .ksyms placement)"; rm -f $@; exit 1; }

# ---- running -----------------------------------------------------------------
SMP ?= 4
MEM ?= 256M
CMDLINE ?=
QEMU := qemu-system-x86_64
QEMUOPTS := -machine q35 -cpu max -m $(MEM) -smp $(SMP) -display none -no-reboot \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 $(if $(filter 1,$(KVM)),-accel kvm)
GDBPORT := $(shell echo $$((25000 + $$(id -u) % 5000)))
# QEMU exits 33 for a clean power-off (drivers/power.h); report anything else.
qemu_status = s=$$?; [ $$s = 33 ] || [ $$s = 0 ] || { echo "qemu exited with status $$s"; exit $$s; }

# Install missing Debian packages before the first build or boot.
deps:
	@for t in gcc python3 $(QEMU) grub-mkrescue xorriso; do command -v $$t >/dev/null || exit 1; done && \
	  test -d /usr/lib/grub/i386-pc \
	  || tools/install-deps.sh

# `make qemu` and `make run` boot a working copy of the disk image, so what
# you write survives into the next boot; rebuilding the image (new user
# programs) starts the copy afresh. The initrd stays as the fallback root.
QEMU_DISK := build/qemu-disk.img
$(QEMU_DISK): build/user/disk.img
	@cp --sparse=always $< $@
	@echo "  DISK    $@: a fresh copy of $< (it keeps your files until the image is rebuilt)"
DISKOPTS = -drive file=$(QEMU_DISK),if=none,id=vda,format=raw -device virtio-blk-pci,drive=vda

$(BUILD)/keel.iso: $(BUILD)/kernel.elf $(INITRD) | deps
	@mkdir -p $(BUILD)/iso/boot/grub
	@cp $< $(BUILD)/iso/boot/kernel.elf
	@cp $(INITRD) $(BUILD)/iso/boot/initrd.cpio
	@printf 'serial --unit=0 --speed=115200\nterminal_input serial console\nterminal_output serial console\nset timeout=0\nmenuentry "Keel ($(MODE))" {\n  multiboot2 /boot/kernel.elf $(CMDLINE)\n  module2 /boot/initrd.cpio initrd\n  boot\n}\n' > $(BUILD)/iso/boot/grub/grub.cfg
	@grub-mkrescue -o $@ $(BUILD)/iso 2>$(BUILD)/grub-mkrescue.log || { cat $(BUILD)/grub-mkrescue.log; exit 1; }
	@echo "  ISO     $@"
iso: $(BUILD)/keel.iso
# The ISO embeds the command line: rebuild it every time.
.PHONY: $(BUILD)/keel.iso

qemu: $(BUILD)/keel.iso $(QEMU_DISK)
	@echo "Booting $(BUILD) through GRUB with -smp $(SMP), / on $(QEMU_DISK); quit with Ctrl-A X"
	@$(QEMU) $(QEMUOPTS) $(DISKOPTS) -serial mon:stdio -cdrom $<; $(qemu_status)

qemu-gdb: $(BUILD)/keel.iso $(QEMU_DISK)
	@echo "QEMU waits for GDB on port $(GDBPORT): run 'gdb' in this folder (.gdbinit connects)"
	@$(QEMU) $(QEMUOPTS) $(DISKOPTS) -serial mon:stdio -cdrom $< -S -gdb tcp::$(GDBPORT); $(qemu_status)

# The fast path used by tests: the same ELF through QEMU's multiboot1 loader.
run: $(BUILD)/kernel.elf $(INITRD) $(QEMU_DISK) | deps
	@$(QEMU) $(QEMUOPTS) $(DISKOPTS) -serial mon:stdio -kernel $< -initrd $(INITRD) -append "$(CMDLINE)"; $(qemu_status)

# ---- grading and tests ----------------------------------------------------------
GRADE_LAB := $(or $(LAB),base)
J ?= $(shell nproc)
grade: $(BUILD)/kernel.elf $(INITRD) build/user/disk.img build/tools/fsck.mfs | deps
	@python3 grading/lab-$(GRADE_LAB).py --build $(BUILD) -j $(J) $(if $(T),-T $(T)) \
	  $(if $(filter 1,$(GDB)),--gdb) \
	  --rerun-hint "make grade LAB=$(GRADE_LAB)$(if $(filter 1,$(SOL)), SOL=1)" $(GRADE_FLAGS)

check:
	@tools/check.sh

include tools/codec/codec.mk
include tools/mfs/mfs.mk
include user/user.mk

tools: $(if $(wildcard tools/kcodec.c),build/tools/kcodec) $(MFS_TOOLS)

bench: codec-bench
	@tools/bench-munmap.sh
	@tools/bench-fs.sh
fuzz: codec-fuzz
stress:
	@tools/stress.sh

docs:
	@tools/make-docs.sh

doctor:
	@tools/doctor.sh

# For tools/test-overlay.sh: the effective sources and build folder of this mode.
print-sources:
	@echo $(foreach s,$(KSRC),$(call overlay,$(s)))
print-build:
	@echo $(BUILD)

clean:
	rm -rf build

# ---- handouts (tools/make-handout.sh) ---------------------------------------------
# make handout LAB=9c: build/handout-9c.tar.gz, the tree without solutions/ and
# with the labs before 9c merged in; make handout-update LAB=9c: only 9c's files.
.PHONY: handout handout-update
handout:
	@tools/make-handout.sh $(LAB)
handout-update:
	@tools/make-handout.sh --update $(LAB)
