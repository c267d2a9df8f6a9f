# Zstandard encoder (helper ZENC): host check and fuzz target.
# Works included from the top Makefile or via `make -f tools/codec/codec.mk`.
# The encoder is built with the kernel's flags (CODEC_KFLAGS); the decoder it
# is checked against (ours, helper ZDEC) is an oracle here and is built with
# the hosted flags, so a problem there shows up in its own checks, not ours.

ZENC_SRCS := $(wildcard $(addprefix kernel/lib/,zstd_compress.c zstd_levels.c \
	zstd_seqstore.c zstd_match_fast.c zstd_match_dfast.c zstd_match_chain.c zstd_match_opt.c \
	zstd_opt_price.c zstd_huf_encode.c zstd_fse_encode.c zstd_seq_encode.c \
	zstd_common.c zstd_fse.c xxhash.c))
ZENC_DEC_SRCS := $(filter-out $(ZENC_SRCS),$(wildcard kernel/lib/zstd*.c))
ZENC_HDRS := $(wildcard kernel/lib/zstd*.h kernel/lib/xxhash.h)
ZENC_OBJDIR := $(CODEC_DIR)/zenc
ZENC_OBJS := $(patsubst kernel/lib/%.c,$(ZENC_OBJDIR)/%.o,$(ZENC_SRCS)) \
	$(patsubst kernel/lib/%.c,$(ZENC_OBJDIR)/dec/%.o,$(ZENC_DEC_SRCS))

$(ZENC_OBJDIR)/%.o: kernel/lib/%.c $(ZENC_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CODEC_KFLAGS) -c -o $@ $<

$(ZENC_OBJDIR)/dec/%.o: kernel/lib/%.c $(ZENC_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CODEC_HFLAGS) -c -o $@ $<

$(CODEC_DIR)/test_zstd_enc: tools/codec/test_zstd_enc.c $(ZENC_OBJS) $(ZENC_HDRS)
	$(HOST_CC) $(CODEC_HFLAGS) -o $@ $< $(ZENC_OBJS) -lzstd

# The same test with every codec source under ASan + UBSan.
$(CODEC_DIR)/test_zstd_enc_san: tools/codec/test_zstd_enc.c $(ZENC_SRCS) $(ZENC_DEC_SRCS) $(ZENC_HDRS)
	$(HOST_CC) $(CODEC_HFLAGS) $(CODEC_SANFLAGS) -o $@ $< $(ZENC_SRCS) $(ZENC_DEC_SRCS) -lzstd

# libFuzzer: compress at a level taken from the input, decompress, compare.
$(CODEC_DIR)/fuzz_zstd_roundtrip: tools/codec/fuzz_zstd_roundtrip.c $(ZENC_SRCS) $(ZENC_DEC_SRCS) $(ZENC_HDRS)
	@mkdir -p $(dir $@)
	$(or $(CLANG),clang) -std=gnu11 -O1 -g -Ikernel -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< $(ZENC_SRCS) $(ZENC_DEC_SRCS) -lzstd

.PHONY: zstd-enc-check zstd-enc-fuzz
# Full run at kernel flags, then the API and edge groups under ASan + UBSan.
# kcodec (built by lz4.part.mk) is checked too: its -z --zstd is our encoder.
zstd-enc-check: $(CODEC_DIR)/test_zstd_enc $(CODEC_DIR)/test_zstd_enc_san build/tools/kcodec
	sh tools/codec/make-corpus.sh $(CODEC_DIR)/corpus
	$(CODEC_DIR)/test_zstd_enc $(CODEC_DIR)/corpus build/tools/kcodec
	$(CODEC_DIR)/test_zstd_enc_san --quick $(CODEC_DIR)/corpus

zstd-enc-fuzz: $(CODEC_DIR)/fuzz_zstd_roundtrip
	@mkdir -p $(CODEC_DIR)/fuzz-corpus/fuzz_zstd_roundtrip
	@$(CODEC_DIR)/fuzz_zstd_roundtrip -max_total_time=$(or $(FUZZ_SECONDS),30) $(FUZZ_FLAGS) \
		-max_len=32768 -len_control=10 -print_final_stats=0 $(CODEC_DIR)/fuzz-corpus/fuzz_zstd_roundtrip \
		> $(CODEC_DIR)/fuzz_zstd_roundtrip.log 2>&1 || \
		{ tail -40 $(CODEC_DIR)/fuzz_zstd_roundtrip.log; echo "zstd-enc-fuzz: FAILED"; exit 1; }
	@echo "zstd-enc-fuzz: fuzz_zstd_roundtrip ran $(or $(FUZZ_SECONDS),30) s, no crash"

CODEC_CHECKS += zstd-enc-check
CODEC_FUZZ += zstd-enc-fuzz
