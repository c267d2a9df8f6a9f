# Host build, tests, fuzzers and benchmarks of the LZ4/Zstd codecs in kernel/lib.
# Included by the top-level Makefile. Each codec part adds its own fragment
# (tools/codec/*.part.mk) that appends its check targets to CODEC_CHECKS,
# its fuzz targets to CODEC_FUZZ and its bench targets to CODEC_BENCH.

CODEC_DIR   := build/codec
HOST_CC     ?= gcc
# "The kernel's flags" for host-built codec objects: freestanding, no red zone,
# no SSE/FP, optimised as in the kernel. Only -mcmodel=kernel is dropped,
# because these objects are linked into ordinary host programs.
CODEC_KFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-stack-protector -mno-red-zone \
                -mgeneral-regs-only -fno-omit-frame-pointer -Wall -Wextra -Werror \
                -Wframe-larger-than=2048 -Ikernel
# Flags for host test programs (ordinary hosted C).
CODEC_HFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Ikernel
CODEC_SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Extra libFuzzer options (make check passes -seed=1 for reproducible runs).
FUZZ_FLAGS ?=

CODEC_CHECKS :=
CODEC_FUZZ   :=
CODEC_BENCH  :=

-include $(sort $(wildcard tools/codec/*.part.mk))

.PHONY: codec-check codec-fuzz codec-bench
codec-check: $(CODEC_CHECKS)
codec-fuzz: $(CODEC_FUZZ)
codec-bench: $(CODEC_BENCH)
