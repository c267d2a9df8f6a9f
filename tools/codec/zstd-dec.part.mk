# Zstandard decoder (helper ZDEC): sanitized host test, libFuzzer target.
# Included by tools/codec/codec.mk (itself included by the top Makefile);
# also works as `make -f tools/codec/codec.mk zstd-dec-check` from the root.

ZDEC_SRCS := $(addprefix kernel/lib/,zstd_common.c zstd_fse.c zstd_fse_decode.c \
	zstd_huf_decode.c zstd_literals.c zstd_sequences.c zstd_predefined.c zstd_block.c \
	zstd_frame.c zstd_dstream.c xxhash.c)
ZDEC_HDRS := $(addprefix kernel/lib/,zstd.h zstd_common.h zstd_fse.h zstd_bitstream.h \
	zstd_decompress.h xxhash.h)
FUZZ_SECONDS ?= 30
CLANG ?= clang

.PHONY: zstd-dec-check zstd-dec-fuzz
CODEC_CHECKS += zstd-dec-check
CODEC_FUZZ   += zstd-dec-fuzz

$(CODEC_DIR)/test_zstd_dec: tools/codec/test_zstd_dec.c $(ZDEC_SRCS) $(ZDEC_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CODEC_HFLAGS) $(CODEC_SANFLAGS) -o $@ tools/codec/test_zstd_dec.c $(ZDEC_SRCS) -lzstd

# Decoder built with ASan+UBSan against libzstd- and zstd-CLI-made frames.
zstd-dec-check: $(CODEC_DIR)/test_zstd_dec
	@sh tools/codec/make-corpus.sh $(CODEC_DIR)/corpus
	@mkdir -p $(CODEC_DIR)/zstd-dec-tmp
	$(CODEC_DIR)/test_zstd_dec $(CODEC_DIR)/corpus $(CODEC_DIR)/zstd-dec-tmp

$(CODEC_DIR)/fuzz_zstd_dec: tools/codec/fuzz_zstd_dec.c $(ZDEC_SRCS) $(ZDEC_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) -std=gnu11 -O1 -g -Ikernel -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ tools/codec/fuzz_zstd_dec.c $(ZDEC_SRCS) -lzstd

# Seeds: a few small frames of several kinds, then FUZZ_SECONDS of fuzzing
# (differential: libzstd must agree with ours on whatever it accepts).
zstd-dec-fuzz: $(CODEC_DIR)/fuzz_zstd_dec
	@set -e; sh tools/codec/make-corpus.sh $(CODEC_DIR)/corpus; \
	seeds=$(CODEC_DIR)/fuzz-corpus/fuzz_zstd_dec; mkdir -p $$seeds; \
	head -c 3000 $(CODEC_DIR)/corpus/text-licenses > $$seeds/plain; \
	head -c 2000 $(CODEC_DIR)/corpus/binary-bash >> $$seeds/plain; \
	for o in -1 -19 --no-check; do zstd -q -f -c $$o $$seeds/plain > $$seeds/seed$$o.zst; done; \
	zstd -q -f -c -3 < $$seeds/plain > $$seeds/seed-stdin.zst; rm -f $$seeds/plain; \
	$(CODEC_DIR)/fuzz_zstd_dec -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -rss_limit_mb=1024 $(FUZZ_FLAGS) \
		-print_final_stats=0 -artifact_prefix=$(CODEC_DIR)/ $$seeds > $(CODEC_DIR)/fuzz_zstd_dec.log 2>&1 || \
		{ tail -40 $(CODEC_DIR)/fuzz_zstd_dec.log; echo "zstd-dec-fuzz: FAILED"; exit 1; }; \
	echo "zstd-dec-fuzz: fuzz_zstd_dec ran $(FUZZ_SECONDS) s, no crash"
