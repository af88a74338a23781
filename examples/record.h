/* SPDX-License-Identifier: MIT */
/*
 * The records of the examples logwriter.c and gc.c: a header (magic, key,
 * sequence number, payload length, CRC-32C) followed by its payload,
 * padded to the device's block size.  The payload follows from the key and
 * the sequence number, so that a reader can check every byte.  Each
 * program has its own magic and rules for a header (rec_read()).
 */
#ifndef ZONEKIT_EXAMPLES_RECORD_H
#define ZONEKIT_EXAMPLES_RECORD_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zonekit.h>

struct rec_hdr {
	uint32_t magic;
	uint32_t len;   /* payload bytes */
	uint64_t key;
	uint64_t seq;   /* the writer's sequence number: the newest wins */
	uint32_t crc;   /* CRC-32C of the header (crc = 0) and the payload */
	uint32_t reserved;
};

/* ---- CRC-32C (Castagnoli), bitwise table ---- */

static uint32_t crc_table[256];

static inline void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

static inline uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static inline uint32_t rec_crc(const struct rec_hdr *h, const void *payload)
{
	struct rec_hdr tmp = *h;

	tmp.crc = 0;
	return crc32c(crc32c(0, &tmp, sizeof(tmp)), payload, h->len);
}

/* ---- records ---- */

/* Payload bytes follow from (key, seq), so that a reader can check them. */
static inline void fill_payload(uint8_t *p, uint32_t len, uint64_t key,
				uint64_t seq)
{
	uint64_t x = key * 0x9e3779b97f4a7c15ull ^ seq;

	for (uint32_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

/* Bytes of a record of @len payload bytes on the device. */
static inline size_t rec_size(uint32_t len, uint32_t block_size)
{
	size_t n = sizeof(struct rec_hdr) + len;

	return (n + block_size - 1) / block_size * block_size;
}

/* A page-aligned buffer (a block device takes it without a bounce copy);
 * aligned_alloc() wants the size a multiple of the alignment. */
static inline void *buffer_alloc(size_t len)
{
	return aligned_alloc(4096, (len + 4095) / 4096 * 4096);
}

/* The record of header @h (its crc set here) and its payload in @buf;
 * returns its size on the device. */
static inline size_t rec_build(uint8_t *buf, struct rec_hdr *h,
			       uint32_t block_size)
{
	size_t size = rec_size(h->len, block_size);

	memset(buf, 0, size);
	fill_payload(buf + sizeof(*h), h->len, h->key, h->seq);
	h->crc = rec_crc(h, buf + sizeof(*h));
	memcpy(buf, h, sizeof(*h));
	return size;
}

/* How a program reads its records back. */
struct rec_reader {
	struct zk_dev *dev;
	uint32_t block_size;
	uint8_t *buf;   /* room for the largest record: the one read goes here */
	/* The program's rules for a header (its magic...), given @arg. */
	bool (*valid)(const struct rec_hdr *h, const void *arg);
	const void *arg;
};

/* Read the record at @off into r->buf.  Returns 1 if there is none (a
 * header the reader refuses, or a record that would end past @end), 0 and
 * its header in *h if it is whole and its CRC is right, -EBADMSG if the CRC
 * is wrong, or zk_pread()'s error. */
static inline int rec_read(const struct rec_reader *r, uint64_t off,
			   uint64_t end, struct rec_hdr *h)
{
	uint32_t bs = r->block_size;
	ssize_t n = zk_pread(r->dev, r->buf, bs, off);
	size_t size;

	if (n < 0)
		return (int)n;
	memcpy(h, r->buf, sizeof(*h));
	if (!r->valid(h, r->arg))
		return 1;
	size = rec_size(h->len, bs);
	if (off + size > end)
		return 1;
	if (size > bs) {
		n = zk_pread(r->dev, r->buf + bs, size - bs, off + bs);
		if (n < 0)
			return (int)n;
	}
	return h->crc == rec_crc(h, r->buf + sizeof(*h)) ? 0 : -EBADMSG;
}

/* The records from @start on, one after another, until one is missing
 * (the end of the data, or @end): @visit(offset, header, @ctx) each, which
 * returns 0 or a negative errno.  Returns 0, or the first error, of
 * rec_read() or @visit, with *at (if not NULL) the record's offset. */
static inline int rec_scan(const struct rec_reader *r, uint64_t start,
			   uint64_t end,
			   int (*visit)(uint64_t off, const struct rec_hdr *h,
					void *ctx),
			   void *ctx, uint64_t *at)
{
	for (uint64_t off = start; off < end;) {
		struct rec_hdr h;
		int ret = rec_read(r, off, end, &h);

		if (ret == 1)
			return 0;
		if (!ret)
			ret = visit(off, &h, ctx);
		if (ret) {
			if (at)
				*at = off;
			return ret;
		}
		off += rec_size(h.len, r->block_size);
	}
	return 0;
}

#endif /* ZONEKIT_EXAMPLES_RECORD_H */
