# Zstandard encoder (helper ZENC): host check, fuzz target and bench objects.
# Works included from the top Makefile or via `make -f tools/codec/codec.mk`.
# The codec objects are built with the kernel's flags (CODEC_KFLAGS).

ZENC_SRCS := $(addprefix kernel/lib/,zstd_compress.c zstd_levels.c zstd_seqstore.c \
	zstd_match_fast.c zstd_match_chain.c zstd_match_opt.c zstd_opt_price.c \
	zstd_huf_encode.c zstd_fse_encode.c zstd_seq_encode.c)
ZENC_SRCS := $(wildcard $(ZENC_SRCS))
# What the encoder needs besides its own files: shared tables, FSE spread, xxhash;
# with ZENC_OURS_DEC=1 (default) also our decoder, for round trips through it.
ZENC_OURS_DEC ?= 1
ZENC_DEC_SRCS := kernel/lib/zstd_common.c kernel/lib/zstd_fse.c kernel/lib/xxhash.c
ifeq ($(ZENC_OURS_DEC),1)
ZENC_DEC_SRCS := $(filter-out $(ZENC_SRCS),$(wildcard kernel/lib/zstd*.c)) kernel/lib/xxhash.c
endif
ZENC_HDRS := $(wildcard kernel/lib/zstd*.h kernel/lib/xxhash.h)
ZENC_OBJDIR := $(CODEC_DIR)/zenc
ZENC_OBJS := $(patsubst kernel/lib/%.c,$(ZENC_OBJDIR)/%.o,$(ZENC_SRCS) $(ZENC_DEC_SRCS))
ZENC_SAN_OBJS := $(patsubst kernel/lib/%.c,$(ZENC_OBJDIR)/san/%.o,$(ZENC_SRCS) $(ZENC_DEC_SRCS))

$(ZENC_OBJDIR)/%.o: kernel/lib/%.c $(ZENC_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CODEC_KFLAGS) -c -o $@ $<

$(ZENC_OBJDIR)/san/%.o: kernel/lib/%.c $(ZENC_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CODEC_HFLAGS) $(CODEC_SANFLAGS) -c -o $@ $<

$(CODEC_DIR)/test_zstd_enc: tools/codec/test_zstd_enc.c $(ZENC_OBJS) $(ZENC_HDRS)
	$(HOST_CC) $(CODEC_HFLAGS) -o $@ $< $(ZENC_OBJS) -lzstd

$(CODEC_DIR)/test_zstd_enc_san: tools/codec/test_zstd_enc.c $(ZENC_SAN_OBJS) $(ZENC_HDRS)
	$(HOST_CC) $(CODEC_HFLAGS) $(CODEC_SANFLAGS) -o $@ $< $(ZENC_SAN_OBJS) -lzstd

.PHONY: zstd-enc-check zstd-enc-fuzz
# Full run at kernel flags, then the edge cases again under ASan + UBSan.
zstd-enc-check: $(CODEC_DIR)/test_zstd_enc $(CODEC_DIR)/test_zstd_enc_san
	sh tools/codec/make-corpus.sh $(CODEC_DIR)/corpus
	$(CODEC_DIR)/test_zstd_enc $(CODEC_DIR)/corpus
	$(CODEC_DIR)/test_zstd_enc_san --quick $(CODEC_DIR)/corpus

CODEC_CHECKS += zstd-enc-check
