/*
 * test_zstd_enc.c - host tests of Keel's Zstandard encoder (kernel/lib/
 * zstd_compress.c and friends): round trips of the shared corpus at every
 * level 1..22, decoded by libzstd (ZSTD_decompress, with the content size
 * checked by ZSTD_getFrameContentSize), by the `zstd -d` CLI for one level
 * of each match-finder family, and by our own decoder when it is linked;
 * plus edge cases and API errors. One line per group, then a total.
 * Usage: test_zstd_enc CORPUS_DIR [KCODEC]   (KCODEC: also check kcodec -z --zstd)
 *        test_zstd_enc --quick CORPUS_DIR   (API and edge groups only)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "lib/zstd.h"

/* Our decoder, if its objects are linked in (weak: the encoder tests run without it). */
extern long zstd_decompress(void *dst, size_t dst_cap, const void *src, size_t src_len,
			    void *workspace, size_t ws_size) __attribute__((weak));
extern size_t zstd_decompress_workspace_size(void) __attribute__((weak));

static int passed, failed;
static char *tmpdir;

struct file {
	char name[64];
	unsigned char *data;
	size_t len;
};

static struct file files[64];
static int nfiles;

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *p = malloc(n ? n : 1);
	if (n && fread(p, 1, n, f) != (size_t)n) {
		fclose(f);
		free(p);
		return NULL;
	}
	fclose(f);
	*len = n;
	return p;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->name, ((const struct file *)b)->name);
}

static void load_corpus(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];
	if (!d) {
		fprintf(stderr, "zstd-enc: cannot open corpus %s\n", dir);
		exit(2);
	}
	while ((e = readdir(d)) && nfiles < 64) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct file *f = &files[nfiles];
		snprintf(f->name, sizeof(f->name), "%.63s", e->d_name);
		f->data = read_all(path, &f->len);
		if (f->data)
			nfiles++;
	}
	closedir(d);
	qsort(files, nfiles, sizeof(files[0]), cmp_name);
}

/* Compress with ours; returns the frame (malloc'ed) or NULL, printing why. */
static unsigned char *ours_compress(const void *src, size_t len, int level, size_t *out_len)
{
	size_t cap = zstd_compress_bound(len);
	size_t ws_size = zstd_compress_workspace_size(level, len);
	unsigned char *dst = malloc(cap), *ws = malloc(ws_size);
	long r = zstd_compress(dst, cap, src, len, level, ws, ws_size);
	free(ws);
	if (r < 0) {
		printf("  level %d, %zu bytes: compress failed: %s\n", level, len,
		       zstd_error_name(r));
		free(dst);
		return NULL;
	}
	*out_len = (size_t)r;
	return dst;
}

/* Decode with libzstd and compare; 0 if identical. */
static int check_libzstd(const unsigned char *frame, size_t flen, const void *src, size_t len)
{
	unsigned long long fcs = ZSTD_getFrameContentSize(frame, flen);
	if (fcs != len)
		return -1;
	unsigned char *out = malloc(len + 1);
	size_t r = ZSTD_decompress(out, len + 1, frame, flen);
	int bad = ZSTD_isError(r) || r != len || memcmp(out, src, len);
	free(out);
	return bad ? -1 : 0;
}

/* Decode with our decoder (if linked) and compare. */
static int check_ours(const unsigned char *frame, size_t flen, const void *src, size_t len)
{
	size_t ws_size = zstd_decompress_workspace_size();
	unsigned char *out = malloc(len + 1), *ws = malloc(ws_size);
	long r = zstd_decompress(out, len + 1, frame, flen, ws, ws_size);
	int bad = r != (long)len || memcmp(out, src, len);
	free(out);
	free(ws);
	return bad ? -1 : 0;
}

/* Decode with the zstd CLI through files in tmpdir and compare. */
static int check_cli(const unsigned char *frame, size_t flen, const void *src, size_t len)
{
	char in[600], out[600], cmd[1400];
	size_t olen = 0;
	snprintf(in, sizeof(in), "%s/f.zst", tmpdir);
	snprintf(out, sizeof(out), "%s/f.out", tmpdir);
	FILE *f = fopen(in, "wb");
	fwrite(frame, 1, flen, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "zstd -q -d -f -o %s %s", out, in);
	if (system(cmd) != 0)
		return -1;
	unsigned char *got = read_all(out, &olen);
	int bad = !got || olen != len || memcmp(got, src, len);
	free(got);
	return bad ? -1 : 0;
}

/* kcodec -z --zstd=LEVEL (our encoder behind the CLI) read back by zstd -d. */
static int check_kcodec(const char *kcodec, const struct file *f, const char *corpus, int level)
{
	size_t len = strlen(kcodec) + 2 * strlen(corpus) + 2 * strlen(f->name) + 2 * strlen(tmpdir) + 100;
	char *cmd = malloc(len);
	snprintf(cmd, len,
		 "%s -z --zstd=%d %s/%s %s/k.zst && zstd -q -d -c %s/k.zst | cmp -s - %s/%s", kcodec,
		 level, corpus, f->name, tmpdir, tmpdir, corpus, f->name);
	int r = system(cmd);
	free(cmd);
	return r == 0 ? 0 : -1;
}

static void result(const char *group, int ok, const char *detail)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("zstd-enc: %-34s %s %s\n", group, ok ? "ok  " : "FAIL", detail);
}

/* CPU budget of the check: levels 10+ skip the 1 and 4 MiB boundary files
 * (zstd blocks are 128 KiB: levels 1-9 and the edge group cover those),
 * levels 16+ skip inputs over 1.3 MiB and levels 20-22 over 300 KiB,
 * except the 16 MiB 3-byte pattern and the zeros (cheap: long matches),
 * which run at every level. */
static int skip_at_level(const struct file *f, int level)
{
	size_t max = level >= 20 ? 300u << 10 : level >= 16 ? 1300u << 10 : ~(size_t)0;
	if (strstr(f->name, "pattern") || strstr(f->name, "zeros"))
		return 0;
	if (level >= 10 && (strstr(f->name, "b1024k") || strstr(f->name, "b4096k")))
		return 1;
	return f->len > max;
}

/* Every corpus file at one level: libzstd (+ ours) decode each frame. */
static void test_level(int level)
{
	size_t in = 0, out = 0, ref = 0;
	int bad = 0, ours_bad = 0, n = 0;
	char group[64], detail[200];
	clock_t t0 = clock();

	for (int i = 0; i < nfiles; i++) {
		struct file *f = &files[i];
		size_t flen;
		if (skip_at_level(f, level))
			continue;
		unsigned char *frame = ours_compress(f->data, f->len, level, &flen);
		n++;
		if (!frame) {
			bad++;
			continue;
		}
		if (check_libzstd(frame, flen, f->data, f->len)) {
			printf("  level %d %s: libzstd decode mismatch\n", level, f->name);
			bad++;
		}
		if (zstd_decompress && check_ours(frame, flen, f->data, f->len)) {
			printf("  level %d %s: our decoder mismatch\n", level, f->name);
			ours_bad++;
		}
		if (strncmp(f->name, "text", 4) == 0 || strncmp(f->name, "source", 6) == 0) {
			in += f->len;
			out += flen;
			ref += ZSTD_compressBound(f->len);
		}
		free(frame);
	}
	snprintf(group, sizeof(group), "level %2d round trips", level);
	snprintf(detail, sizeof(detail), "(%d files%s, text+source ratio %.3f, %.2f s)", n,
		 zstd_decompress ? ", libzstd + ours" : ", libzstd", out ? (double)in / out : 0,
		 (double)(clock() - t0) / CLOCKS_PER_SEC);
	result(group, !bad && !ours_bad, detail);
	(void)ref;
}

/* The zstd CLI decodes one level per match-finder family. */
static void test_cli(void)
{
	static const int levels[] = {1, 3, 4, 6, 9, 16, 19};
	int bad = 0, n = 0;
	for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
		for (int i = 0; i < nfiles; i++) {
			struct file *f = &files[i];
			size_t flen;
			if (skip_at_level(f, levels[l]))
				continue;
			unsigned char *frame = ours_compress(f->data, f->len, levels[l], &flen);
			if (!frame || check_cli(frame, flen, f->data, f->len)) {
				printf("  zstd -d: level %d %s failed\n", levels[l], f->name);
				bad++;
			}
			n++;
			free(frame);
		}
	}
	char detail[64];
	snprintf(detail, sizeof(detail), "(%d frames, levels 1 3 4 6 9 16 19)", n);
	result("zstd -d CLI decodes our frames", !bad, detail);
}

static void test_kcodec(const char *kcodec, const char *corpus)
{
	static const int levels[] = {1, 3, 19};
	int bad = 0, n = 0;
	for (int i = 0; i < nfiles; i++) {
		if (strncmp(files[i].name, "text", 4) && strncmp(files[i].name, "source", 6) &&
		    strcmp(files[i].name, "edge-empty"))
			continue;
		for (int l = 0; l < 3; l++, n++) {
			if (check_kcodec(kcodec, &files[i], corpus, levels[l])) {
				printf("  kcodec -z --zstd=%d %s: zstd -d disagrees\n", levels[l], files[i].name);
				bad++;
			}
		}
	}
	char detail[64];
	snprintf(detail, sizeof(detail), "(%d files x levels 1 3 19)", n / 3);
	result("kcodec -z --zstd, then zstd -d", !bad, detail);
}

/* Generated edge cases at a few levels of each family. */
static void test_edges(int quick)
{
	static const int all_levels[] = {1, 2, 3, 4, 5, 7, 12, 16, 19, 22};
	static const int quick_levels[] = {1, 3, 4, 6, 16, 19}; /* each finder, two-pass */
	const int *levels = quick ? quick_levels : all_levels;
	size_t nlevels = quick ? 6 : 10;
	static const size_t sizes[] = {0, 1, 2, 3, 7, 8, 15, 16, 17, 63, 64, 65, 255, 256, 257,
				       131071, 131072, 131073, 262143, 262144, 262145};
	unsigned char *buf = malloc(262145 + 8);
	int bad = 0, n = 0;
	unsigned x = 12345;

	for (int kind = 0; kind < 3; kind++) {
		for (size_t i = 0; i < 262145; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = kind == 0 ? 0 : kind == 1 ? (unsigned char)(x >> 16) : "abcab"[i % 5] ^ (unsigned char)((x >> 28) == 0);
		}
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			for (size_t l = 0; l < nlevels; l++) {
				size_t flen;
				unsigned char *frame = ours_compress(buf, sizes[s], levels[l], &flen);
				n++;
				if (!frame || check_libzstd(frame, flen, buf, sizes[s]) ||
				    (zstd_decompress && check_ours(frame, flen, buf, sizes[s]))) {
					printf("  edge kind %d size %zu level %d failed\n", kind, sizes[s],
					       levels[l]);
					bad++;
				}
				free(frame);
			}
		}
	}
	free(buf);
	char detail[64];
	snprintf(detail, sizeof(detail), "(%d frames: zeros/random/text-ish, 0..256K+1)", n);
	result("edge sizes and block boundaries", !bad, detail);
}

/* Bad arguments give errors, never overflows; the bound is respected. */
static void test_api(void)
{
	unsigned char src[1000], dst[2000];
	int bad = 0;
	for (int i = 0; i < 1000; i++)
		src[i] = (unsigned char)(i * 7 / 3);
	size_t ws_size = zstd_compress_workspace_size(19, sizeof(src));
	unsigned char *ws = malloc(ws_size);
	if (zstd_compress(dst, sizeof(dst), src, sizeof(src), 23, ws, ws_size) != -ZSTD_E_LEVEL)
		bad++;
	if (zstd_compress(dst, sizeof(dst), src, sizeof(src), 19, ws, ws_size - 100) !=
	    -ZSTD_E_WORKSPACE)
		bad++;
	for (size_t cap = 0; cap < 40; cap++) {
		unsigned char *small = malloc(cap ? cap : 1);
		long r = zstd_compress(small, cap, src, sizeof(src), 19, ws, ws_size);
		if (r != -ZSTD_E_DST_TOO_SMALL && (r < 0 || (size_t)r > cap))
			bad++;
		free(small);
	}
	if (zstd_compress_bound(sizeof(src)) > sizeof(dst))
		bad++;
	free(ws);
	result("API errors (level, workspace, dst)", !bad, "");
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/zstd-enc-XXXXXX";
	int quick = argc > 2 && strcmp(argv[1], "--quick") == 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s [--quick] CORPUS_DIR [KCODEC]\n", argv[0]);
		return 2;
	}
	tmpdir = mkdtemp(tmpl);
	if (quick) {
		printf("zstd-enc: (ASan+UBSan build: API and edge groups)\n");
		test_api();
		test_edges(1);
	} else {
		load_corpus(argv[1]);
		test_api();
		test_edges(0);
		for (int level = 1; level <= 22; level++)
			test_level(level);
		test_cli();
		if (argc > 2 && access(argv[2], X_OK) == 0)
			test_kcodec(argv[2], argv[1]);
	}
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		failed++;
	printf("zstd-enc: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
