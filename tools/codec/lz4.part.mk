# LZ4 part of the codec build (helper LZ4): kernel-flags guard, the kcodec
# CLI, LZ4 tests, fuzzers and the shared bench driver. Included by
# tools/codec/codec.mk (which the top Makefile includes); also works as
# `make -f tools/codec/codec.mk <target>` from the repository root.

# The kernel's exact flags: every codec file in kernel/lib must compile with
# them, or the kernel build breaks. Taken from the top Makefile's KCFLAGS when
# it includes us (minus dependency-file flags), else a copy of them.
CODEC_KERNEL_FLAGS := $(if $(KCFLAGS),$(filter-out -MMD -MP,$(KCFLAGS)),-std=gnu11 -O2 -g \
	-ffreestanding -mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie \
	-fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-optimize-sibling-calls -fno-asynchronous-unwind-tables -fcf-protection=none \
	-Wall -Wextra -Werror -Wframe-larger-than=2048 -Ikernel)
CODEC_KSRCS  = $(sort $(wildcard kernel/lib/lz4*.c kernel/lib/xxhash*.c kernel/lib/zstd*.c))
CODEC_KHDRS  = $(wildcard kernel/lib/lz4*.h kernel/lib/xxhash*.h kernel/lib/zstd*.h)
LZ4_SRCS     = $(sort $(wildcard kernel/lib/lz4*.c)) kernel/lib/xxhash.c
# The zstd objects (built with the kernel's flags) that kcodec and the bench
# link; they sit in the same archive, so only the ones used are pulled in.
KCODEC_ZSTD_SRCS = $(sort $(wildcard kernel/lib/zstd*.c))
LZ4_OBJDIR   := $(CODEC_DIR)/lz4k
LZ4_CORPUS   := $(CODEC_DIR)/corpus/.done
FUZZ_SECONDS ?= 30
CLANG        ?= clang

.PHONY: codec-kflags-check kcodec lz4-check lz4-fuzz codec-bench-run
CODEC_CHECKS += codec-kflags-check lz4-check
CODEC_FUZZ   += lz4-fuzz
CODEC_BENCH  += codec-bench-run

codec-kflags-check:
	@set -e; for f in $(CODEC_KSRCS); do \
		$(HOST_CC) $(CODEC_KERNEL_FLAGS) -c -o /dev/null $$f || \
			{ echo "codec-kflags-check: $$f does not build with the kernel's flags"; exit 1; }; \
	done; echo "codec-kflags-check: $(words $(CODEC_KSRCS)) files build with the kernel's flags"

# Codec objects built with the kernel's flags (minus -mcmodel=kernel), in an
# archive so that programs pull in only the objects they use. A frame-size
# overrun stays a warning here: codec-kflags-check is the guard for it.
$(LZ4_OBJDIR)/%.o: kernel/lib/%.c $(CODEC_KHDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CODEC_KFLAGS) -Wno-error=frame-larger-than= -c -o $@ $<
$(LZ4_OBJDIR)/libkcodec.a: $(patsubst kernel/lib/%.c,$(LZ4_OBJDIR)/%.o,$(LZ4_SRCS) $(KCODEC_ZSTD_SRCS))
	rm -f $@ && ar rcs $@ $^

kcodec: build/tools/kcodec
build/tools/kcodec: tools/kcodec.c $(LZ4_OBJDIR)/libkcodec.a $(CODEC_KHDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CODEC_HFLAGS) -o $@ tools/kcodec.c $(LZ4_OBJDIR)/libkcodec.a

$(LZ4_CORPUS): tools/codec/make-corpus.sh
	rm -f $@ && sh tools/codec/make-corpus.sh $(CODEC_DIR)/corpus

# Tests: the codec sources themselves built with ASan+UBSan.
$(CODEC_DIR)/test_lz4: tools/codec/test_lz4.c $(LZ4_SRCS) $(CODEC_KHDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CODEC_HFLAGS) $(CODEC_SANFLAGS) -o $@ tools/codec/test_lz4.c $(LZ4_SRCS) -llz4

lz4-check: $(CODEC_DIR)/test_lz4 build/tools/kcodec $(LZ4_CORPUS)
	$(CODEC_DIR)/test_lz4 $(CODEC_DIR)/corpus build/tools/kcodec $(CODEC_DIR)/lz4-tmp

# libFuzzer: arbitrary frames/blocks into both decoders; compress->decompress.
LZ4_FUZZERS := fuzz_lz4_decode fuzz_lz4_roundtrip
$(CODEC_DIR)/fuzz_lz4_%: tools/codec/fuzz_lz4_%.c $(LZ4_SRCS) $(CODEC_KHDRS)
	@mkdir -p $(dir $@)
	$(CLANG) -std=gnu11 -O1 -g -Ikernel -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< $(LZ4_SRCS)

lz4-fuzz: $(addprefix $(CODEC_DIR)/,$(LZ4_FUZZERS)) $(LZ4_CORPUS)
	@set -e; s=$(CODEC_DIR)/fuzz-corpus/fuzz_lz4_decode; mkdir -p $$s; \
	if [ ! -e $$s/seed0 ]; then n=0; for o in "" -BD "--content-size -BX" "-9 -BD"; do \
		{ printf '\010\000\007'; head -c 3000 $(CODEC_DIR)/corpus/text-licenses | \
		  lz4 -q -c $$o; } > $$s/seed$$n; n=$$((n + 1)); done; fi
	@set -e; for f in $(LZ4_FUZZERS); do \
		mkdir -p $(CODEC_DIR)/fuzz-corpus/$$f; \
		$(CODEC_DIR)/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=150000 $(FUZZ_FLAGS) \
			-print_final_stats=0 $(CODEC_DIR)/fuzz-corpus/$$f > $(CODEC_DIR)/$$f.log 2>&1 || \
			{ tail -40 $(CODEC_DIR)/$$f.log; echo "lz4-fuzz: $$f FAILED"; exit 1; }; \
		echo "lz4-fuzz: $$f ran $(FUZZ_SECONDS) s ($$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' \
			$(CODEC_DIR)/$$f.log) inputs), no crash"; \
	done

# Bench driver: ours (kernel flags) beside liblz4/libzstd. The Zstd rows come
# from tools/codec/bench_zstd.c when it exists (see the top of bench.c).
BENCH_SRCS = tools/codec/bench.c $(wildcard tools/codec/bench_zstd.c)
$(CODEC_DIR)/bench: $(BENCH_SRCS) tools/codec/bench.h $(LZ4_OBJDIR)/libkcodec.a $(CODEC_KHDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CODEC_HFLAGS) -o $@ $(BENCH_SRCS) $(LZ4_OBJDIR)/libkcodec.a -llz4 -lzstd

codec-bench-run: $(CODEC_DIR)/bench $(LZ4_CORPUS)
	$(CODEC_DIR)/bench $(CODEC_DIR)/corpus
