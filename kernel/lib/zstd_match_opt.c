/* zstd_match_opt.c - placeholder: the optimal parser (levels 16-22). */
#include "lib/zstd_enc.h"

struct zenc_opt {
	int unused;
};

size_t zenc_opt_size(void)
{
	return sizeof(struct zenc_opt);
}

void zenc_match_opt(struct zenc_ctx *c, size_t start, size_t end)
{
	zenc_match_chain(c, start, end);
}
