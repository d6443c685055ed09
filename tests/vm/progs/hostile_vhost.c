/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hostile vhost-vdpa client: what a malicious VM's VMM could do to a
 * vduse-net device.  It opens /dev/vhost-vdpa-N itself, maps its own memory
 * (a memfd: vhost-vdpa hands VDUSE only file-backed memory) as the "guest"
 * memory through VHOST_IOTLB_UPDATE messages, sets up split rings and then
 * feeds malformed descriptor chains, garbage control commands and finally a
 * corrupt avail index, checking after each that the device answered as the
 * spec allows and still serves well-formed buffers.
 *
 *   hostile_vhost /dev/vhost-vdpa-N [PHASE...]
 *   phases: tx rx cvq status broken (default: all; cvq only if CTRL_VQ is
 *   offered)
 *
 * rx needs frames arriving on the device's port while it runs.  Prints one
 * "ok:" line per check and "good-tx-frames N" (frames of ethertype 0x88b5
 * from 02:00:00:00:00:66 it made the device transmit); exit 0 = every check
 * passed, 1 = a check failed, 2 = setup failed.  "bad-chains-sent N": the
 * malformed chains it put on the TX and RX queues, each of which the
 * device must count as a bad-chain drop.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#define MEM_SIZE (4u << 20)
#define IOVA_BASE 0x100000ull     /* IOVA 0 stays unmapped */
#define IOVA_HOLE 0x40000000ull   /* never mapped */
#define QSZ 256u
#define RING_STRIDE 0x10000u      /* one ring's desc/avail/used per 64 KiB */
#define TABLE_OFF 0x80000u        /* indirect tables */
#define BUF_OFF 0x100000u         /* buffers: 2 KiB slots */
#define BUF_SLOT 2048u
#define TIMEOUT_MS 10000
#define HOSTILE_MAC 0x02, 0x00, 0x00, 0x00, 0x00, 0x66
#define ETH_P_HOSTILE 0x88b5

struct vq {
	unsigned int index;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t desc_iova, avail_iova, used_iova;
	uint16_t avail_idx; /* ours */
	uint16_t used_seen;
	int kick, call;
};

static int fd = -1;
static uint8_t *mem;
static int memfd = -1;
static struct vq vqs[3];
static unsigned int nvq = 2;
static uint64_t features;
static bool mapped;
static unsigned int failures, good_tx, bad_sent;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (cond) {                                               \
			printf("ok: ");                                   \
		} else {                                                  \
			printf("FAIL: ");                                 \
			failures++;                                       \
		}                                                         \
		printf(__VA_ARGS__);                                      \
		printf("\n");                                             \
		fflush(stdout);                                           \
	} while (0)

static void die(const char *what)
{
	fprintf(stderr, "hostile_vhost: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint64_t iova_of(const void *p)
{
	return IOVA_BASE + (uint64_t)((const uint8_t *)p - mem);
}

static void *at(uint64_t off)
{
	return mem + off;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void iotlb(uint8_t type)
{
	struct vhost_msg_v2 m;

	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG_V2;
	m.iotlb.iova = IOVA_BASE;
	m.iotlb.size = MEM_SIZE;
	m.iotlb.uaddr = (uint64_t)(uintptr_t)mem;
	m.iotlb.perm = VHOST_ACCESS_RW;
	m.iotlb.type = type;
	if (write(fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		die(type == VHOST_IOTLB_UPDATE ? "IOTLB update" : "IOTLB invalidate");
}

static void set_status(uint8_t st)
{
	if (ioctl(fd, VHOST_VDPA_SET_STATUS, &st))
		die("VHOST_VDPA_SET_STATUS");
}

static uint8_t get_status(void)
{
	uint8_t st = 0;

	if (ioctl(fd, VHOST_VDPA_GET_STATUS, &st))
		die("VHOST_VDPA_GET_STATUS");
	return st;
}

static void vq_setup(struct vq *q, unsigned int index)
{
	uint64_t base = (uint64_t)index * RING_STRIDE;
	struct vhost_vring_state num = { .index = index, .num = QSZ };
	struct vhost_vring_state vbase = { .index = index, .num = 0 };
	struct vhost_vring_state en = { .index = index, .num = 1 };
	struct vhost_vring_addr addr;
	struct vhost_vring_file kick, call;

	if (q->kick <= 0) {
		q->kick = eventfd(0, EFD_NONBLOCK);
		q->call = eventfd(0, EFD_NONBLOCK);
	}
	q->index = index;
	memset(at(base), 0, RING_STRIDE);
	q->desc = at(base);
	q->avail = at(base + 16 * QSZ);
	q->used = at(base + 0x2000);
	q->desc_iova = iova_of(q->desc);
	q->avail_iova = iova_of(q->avail);
	q->used_iova = iova_of(q->used);
	q->avail_idx = 0;
	q->used_seen = 0;
	memset(&addr, 0, sizeof(addr));
	addr.index = index;
	addr.desc_user_addr = q->desc_iova;
	addr.avail_user_addr = q->avail_iova;
	addr.used_user_addr = q->used_iova;
	kick = (struct vhost_vring_file){ .index = index, .fd = q->kick };
	call = (struct vhost_vring_file){ .index = index, .fd = q->call };
	if (ioctl(fd, VHOST_SET_VRING_NUM, &num) || ioctl(fd, VHOST_SET_VRING_ADDR, &addr) ||
	    ioctl(fd, VHOST_SET_VRING_BASE, &vbase) || ioctl(fd, VHOST_SET_VRING_KICK, &kick) ||
	    ioctl(fd, VHOST_SET_VRING_CALL, &call) || ioctl(fd, VHOST_VDPA_SET_VRING_ENABLE, &en))
		die("vring setup");
}

/* The driver's whole bring-up, as after a reset (virtio 1.x 3.1.1). */
static void bring_up(void)
{
	uint64_t want = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |
			(1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_NET_F_MAC) |
			(1ull << VIRTIO_NET_F_CTRL_VQ) | (1ull << VIRTIO_NET_F_CTRL_RX);
	uint64_t f;

	set_status(0);
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	if (ioctl(fd, VHOST_GET_FEATURES, &f))
		die("VHOST_GET_FEATURES");
	features = f & want;
	if (!(features & (1ull << VIRTIO_F_VERSION_1)))
		die("device without VERSION_1");
	if (ioctl(fd, VHOST_SET_FEATURES, &features))
		die("VHOST_SET_FEATURES");
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(get_status() & VIRTIO_CONFIG_S_FEATURES_OK))
		die("device refused FEATURES_OK");
	/* a mapping left from before a reset must go first (-EEXIST); before
	 * the first update there is no address space to invalidate in */
	if (mapped)
		iotlb(VHOST_IOTLB_INVALIDATE);
	iotlb(VHOST_IOTLB_UPDATE);
	mapped = true;
	nvq = features & (1ull << VIRTIO_NET_F_CTRL_VQ) ? 3 : 2;
	for (unsigned int i = 0; i < nvq; i++)
		vq_setup(&vqs[i], i);
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	if (!(get_status() & VIRTIO_CONFIG_S_DRIVER_OK))
		die("device refused DRIVER_OK");
}

static void open_dev(const char *path)
{
	uint64_t bf;

	fd = open(path, O_RDWR);
	if (fd < 0)
		die(path);
	if (ioctl(fd, VHOST_SET_OWNER))
		die("VHOST_SET_OWNER");
	if (ioctl(fd, VHOST_GET_BACKEND_FEATURES, &bf))
		die("VHOST_GET_BACKEND_FEATURES");
	if (!(bf & (1ull << VHOST_BACKEND_F_IOTLB_MSG_V2))) {
		errno = ENOTSUP;
		die("no IOTLB_MSG_V2");
	}
	bf = 1ull << VHOST_BACKEND_F_IOTLB_MSG_V2;
	if (ioctl(fd, VHOST_SET_BACKEND_FEATURES, &bf))
		die("VHOST_SET_BACKEND_FEATURES");
	memfd = memfd_create("hostile-guest", 0);
	if (memfd < 0 || ftruncate(memfd, MEM_SIZE))
		die("memfd");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	bring_up();
}

/* --- ring driving ------------------------------------------------------- */

static void put_desc(struct vq *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	q->desc[i].addr = htole64(addr);
	q->desc[i].len = htole32(len);
	q->desc[i].flags = htole16(flags);
	q->desc[i].next = htole16(next);
}

static void publish(struct vq *q, uint16_t head)
{
	uint64_t one = 1;

	q->avail->ring[q->avail_idx % QSZ] = htole16(head);
	q->avail_idx++;
	__atomic_store_n(&q->avail->idx, htole16(q->avail_idx), __ATOMIC_RELEASE);
	if (write(q->kick, &one, sizeof(one)) < 0)
		die("kick");
}

/* Wait for the next used entry: true with its id and len, false on timeout. */
static bool next_used(struct vq *q, int timeout_ms, uint32_t *id, uint32_t *len)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		uint16_t idx = le16toh(__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE));

		if (idx != q->used_seen) {
			struct vring_used_elem *e = &q->used->ring[q->used_seen % QSZ];

			*id = le32toh(e->id);
			*len = le32toh(e->len);
			q->used_seen++;
			return true;
		}
		if (now_ms() >= end)
			return false;
		usleep(1000);
	}
}

/* A well-formed frame for the TX queue: header and frame in one buffer. */
static uint32_t make_frame(uint8_t *p, unsigned int seq)
{
	static const uint8_t src[6] = { HOSTILE_MAC };

	memset(p, 0, sizeof(struct virtio_net_hdr_v1));
	p += sizeof(struct virtio_net_hdr_v1);
	memset(p, 0xff, 6);
	memcpy(p + 6, src, 6);
	p[12] = ETH_P_HOSTILE >> 8;
	p[13] = ETH_P_HOSTILE & 0xff;
	memset(p + 14, 0, 46);
	memcpy(p + 14, "hostile", 7);
	p[22] = (uint8_t)seq;
	return (uint32_t)sizeof(struct virtio_net_hdr_v1) + 60;
}

static uint8_t *buf(unsigned int slot)
{
	return at(BUF_OFF + (uint64_t)slot * BUF_SLOT);
}

/* One good frame through TX, from descriptor `d`: must come back. */
static bool tx_good(const char *after)
{
	struct vq *q = &vqs[1];
	uint32_t id, len;
	uint16_t d = 200;
	uint32_t n = make_frame(buf(200), good_tx);

	put_desc(q, d, iova_of(buf(200)), n, 0, 0);
	publish(q, d);
	if (!next_used(q, TIMEOUT_MS, &id, &len) || id != d) {
		CHECK(0, "tx: a good frame after '%s' came back", after);
		return false;
	}
	good_tx++;
	return true;
}

/* Publish a malformed chain at `head` and expect it back, empty. */
static void tx_expect_back(const char *what, uint16_t head)
{
	struct vq *q = &vqs[1];
	uint32_t id = 0, len = 0;
	bool got;

	publish(q, head);
	bad_sent++;
	got = next_used(q, TIMEOUT_MS, &id, &len);
	CHECK(got && id == head && len == 0, "tx %s: returned as used, length 0 (id %u len %u%s)",
	      what, id, len, got ? "" : ", timed out");
	tx_good(what);
}

static void phase_tx(void)
{
	struct vq *q = &vqs[1];
	struct vring_desc *t = at(TABLE_OFF);
	uint64_t t_iova = iova_of(t);
	uint64_t b0 = iova_of(buf(0)), b1 = iova_of(buf(1));
	uint32_t id, len;
	uint32_t n;

	n = make_frame(buf(0), 0);
	CHECK(tx_good("nothing"), "tx: a good frame is sent and returned");

	put_desc(q, 0, b0, 16, VRING_DESC_F_NEXT, 1);
	put_desc(q, 1, b1, 16, VRING_DESC_F_NEXT, 0);
	tx_expect_back("descriptor loop 0 -> 1 -> 0", 0);

	put_desc(q, 0, b0, 16, VRING_DESC_F_NEXT, 300);
	tx_expect_back("next index 300 >= queue size", 0);

	put_desc(q, 0, b0, 16, VRING_DESC_F_NEXT, 0);
	tx_expect_back("self loop", 0);

	put_desc(q, 0, b0, 0xfffffff0u, 0, 0);
	tx_expect_back("length 4 GiB - 16 past the mapping", 0);

	put_desc(q, 0, b0, 100, VRING_DESC_F_NEXT, 1);
	put_desc(q, 1, b1, 0xffffffffu, 0, 0);
	tx_expect_back("total length over 4 GiB", 0);

	put_desc(q, 0, IOVA_HOLE, 64, 0, 0);
	tx_expect_back("address outside the IOTLB map", 0);

	put_desc(q, 0, IOVA_BASE + MEM_SIZE - 8, 64, 0, 0);
	tx_expect_back("buffer running off the end of the map", 0);

	put_desc(q, 0, 0, 64, 0, 0);
	tx_expect_back("address 0", 0);

	put_desc(q, 0, b0, 0, 0, 0);
	tx_expect_back("zero length", 0);

	/* header readable, then a device-writable buffer: TX is read-only */
	put_desc(q, 0, b0, n, VRING_DESC_F_NEXT, 1);
	put_desc(q, 1, b1, 64, VRING_DESC_F_WRITE, 0);
	tx_expect_back("write flag on a transmit buffer", 0);

	put_desc(q, 0, b0, 64, VRING_DESC_F_WRITE, 0);
	tx_expect_back("transmit buffer that is only writable", 0);

	put_desc(q, 0, b1, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put_desc(q, 1, b0, n, 0, 0);
	tx_expect_back("readable after writable", 0);

	for (uint16_t i = 0; i < 70; i++)
		put_desc(q, i, b0 + i, 1, i < 69 ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	tx_expect_back("70 descriptors in one chain", 0);

	/* indirect tables */
	memset(t, 0, 4096);
	t[0] = (struct vring_desc){ htole64(t_iova + 256), htole32(32), htole16(VRING_DESC_F_INDIRECT), 0 };
	put_desc(q, 0, t_iova, 16, VRING_DESC_F_INDIRECT, 0);
	tx_expect_back("nested indirect table", 0);

	put_desc(q, 0, t_iova, 24, VRING_DESC_F_INDIRECT, 0);
	tx_expect_back("indirect table length not a multiple of 16", 0);

	put_desc(q, 0, t_iova, 0, VRING_DESC_F_INDIRECT, 0);
	tx_expect_back("empty indirect table", 0);

	t[0] = (struct vring_desc){ htole64(b0), htole32(16), htole16(VRING_DESC_F_NEXT), htole16(1) };
	t[1] = (struct vring_desc){ htole64(b1), htole32(16), htole16(VRING_DESC_F_NEXT), htole16(0) };
	put_desc(q, 0, t_iova, 32, VRING_DESC_F_INDIRECT, 0);
	tx_expect_back("loop inside an indirect table", 0);

	t[1].next = htole16(7);
	put_desc(q, 0, t_iova, 32, VRING_DESC_F_INDIRECT, 0);
	tx_expect_back("next past the indirect table", 0);

	put_desc(q, 0, IOVA_HOLE, 32, VRING_DESC_F_INDIRECT, 0);
	tx_expect_back("indirect table outside the map", 0);

	t[0] = (struct vring_desc){ htole64(b0), htole32(n), 0, 0 };
	put_desc(q, 0, t_iova, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	put_desc(q, 1, b1, 16, 0, 0);
	tx_expect_back("indirect descriptor with NEXT", 0);

	put_desc(q, 0, t_iova, 0x10000000u, VRING_DESC_F_INDIRECT, 0);
	tx_expect_back("indirect table of 256 MiB", 0);

	/* a well-formed indirect frame still goes out */
	t[0] = (struct vring_desc){ htole64(b0), htole32(n), 0, 0 };
	put_desc(q, 0, t_iova, 16, VRING_DESC_F_INDIRECT, 0);
	publish(q, 0);
	CHECK(next_used(q, TIMEOUT_MS, &id, &len) && id == 0, "tx: a good indirect frame is sent");
	good_tx++;

	/* a head the driver cannot own: consumed, nothing to give back */
	q->avail->ring[q->avail_idx % QSZ] = htole16(999);
	q->avail_idx++;
	bad_sent++;
	__atomic_store_n(&q->avail->idx, htole16(q->avail_idx), __ATOMIC_RELEASE);
	CHECK(tx_good("head index 999"), "tx head 999: skipped, the queue goes on");
	/* the used ring must not have produced an entry for it */
	CHECK(q->used_seen + 1 == q->avail_idx, "tx: one used entry per valid head (%u used, %u avail)",
	      q->used_seen, q->avail_idx);
}

/* --- RX: the device writes packets into our buffers ---------------------- */

static void rx_expect(const char *what, uint16_t head, bool good)
{
	struct vq *q = &vqs[0];
	uint32_t id = 0, len = 0;
	bool got;

	publish(q, head);
	bad_sent += !good;
	got = next_used(q, 30000, &id, &len);
	if (good)
		CHECK(got && id == head && len > sizeof(struct virtio_net_hdr_v1),
		      "rx %s: a packet arrived (id %u len %u%s)", what, id, len, got ? "" : ", timed out");
	else
		CHECK(got && id == head && len == 0, "rx %s: returned as used, length 0 (id %u len %u%s)",
		      what, id, len, got ? "" : ", timed out");
}

static void phase_rx(void)
{
	struct vq *q = &vqs[0];
	uint64_t b = iova_of(buf(10));

	put_desc(q, 0, b, BUF_SLOT, VRING_DESC_F_WRITE, 0);
	rx_expect("good buffer", 0, true);
	put_desc(q, 0, b, BUF_SLOT, 0, 0);
	rx_expect("buffer the device may only read", 0, false);
	put_desc(q, 0, b, 8, VRING_DESC_F_WRITE, 0);
	rx_expect("buffer smaller than the header", 0, false);
	put_desc(q, 0, b, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put_desc(q, 1, b + 64, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	rx_expect("descriptor loop", 0, false);
	put_desc(q, 0, IOVA_HOLE, BUF_SLOT, VRING_DESC_F_WRITE, 0);
	rx_expect("address outside the IOTLB map", 0, false);
	put_desc(q, 0, b, 0xfffffff0u, VRING_DESC_F_WRITE, 0);
	rx_expect("huge length", 0, false);
	put_desc(q, 0, b, BUF_SLOT, VRING_DESC_F_WRITE, 0);
	rx_expect("good buffer after the bad ones", 0, true);
}

/* --- control queue: garbage commands ------------------------------------ */

/* Send a command: header (class, cmd), data, ack; the ack buffer is poisoned
 * first.  Returns the ack byte, -1 if the chain came back without one, -2
 * if it did not come back. */
static int cvq_cmd(const uint8_t *hdr, uint32_t hlen, const void *data, uint32_t dlen,
		   uint16_t ack_flags)
{
	struct vq *q = &vqs[2];
	uint8_t *h = buf(20), *d = buf(21), *ack = buf(22);
	uint16_t i = 0;
	uint32_t id, len;

	memcpy(h, hdr, hlen);
	memcpy(d, data, dlen);
	*ack = 0xaa;
	put_desc(q, i, iova_of(h), hlen, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	i++;
	if (dlen) {
		put_desc(q, i, iova_of(d), dlen, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
		i++;
	}
	put_desc(q, i, iova_of(ack), 1, ack_flags, 0);
	publish(q, 0);
	if (!next_used(q, TIMEOUT_MS, &id, &len) || id != 0)
		return -2;
	return len >= 1 && *ack != 0xaa ? *ack : -1;
}

static void phase_cvq(void)
{
	static const uint8_t rx_promisc[2] = { VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC };
	static const uint8_t mac_table[2] = { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET };
	static const uint8_t mq[2] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET };
	static const uint8_t junk[2] = { 0xee, 0x77 };
	uint8_t on = 1, big[16] = { 0xff, 0xff, 0xff, 0xff };
	uint16_t pairs;
	int a;

	a = cvq_cmd(rx_promisc, 2, &on, 1, VRING_DESC_F_WRITE);
	CHECK(a == VIRTIO_NET_OK, "cvq: RX_PROMISC on acked OK (%d)", a);
	a = cvq_cmd(junk, 2, &on, 1, VRING_DESC_F_WRITE);
	CHECK(a == VIRTIO_NET_ERR, "cvq: unknown class 0xee acked ERR (%d)", a);
	a = cvq_cmd(rx_promisc, 1, NULL, 0, VRING_DESC_F_WRITE);
	CHECK(a == VIRTIO_NET_ERR || a == -1, "cvq: 1-byte header refused (%d)", a);
	a = cvq_cmd(rx_promisc, 2, NULL, 0, VRING_DESC_F_WRITE);
	CHECK(a == VIRTIO_NET_ERR, "cvq: RX_PROMISC without its byte acked ERR (%d)", a);
	a = cvq_cmd(mac_table, 2, big, sizeof(big), VRING_DESC_F_WRITE);
	CHECK(a == VIRTIO_NET_ERR, "cvq: MAC table claiming 2^32-1 entries acked ERR (%d)", a);
	pairs = htole16(0);
	a = cvq_cmd(mq, 2, &pairs, 2, VRING_DESC_F_WRITE);
	CHECK(a == VIRTIO_NET_ERR, "cvq: VQ_PAIRS_SET 0 acked ERR (%d)", a);
	pairs = htole16(0xffff);
	a = cvq_cmd(mq, 2, &pairs, 2, VRING_DESC_F_WRITE);
	CHECK(a == VIRTIO_NET_ERR, "cvq: VQ_PAIRS_SET 65535 acked ERR (%d)", a);
	a = cvq_cmd(rx_promisc, 2, &on, 1, 0);
	CHECK(a == -1, "cvq: command without a writable ack returned unanswered (%d)", a);
	put_desc(&vqs[2], 0, iova_of(buf(20)), 2, VRING_DESC_F_NEXT, 0);
	{
		uint32_t id, len;

		publish(&vqs[2], 0);
		CHECK(next_used(&vqs[2], TIMEOUT_MS, &id, &len) && id == 0 && len == 0,
		      "cvq: looping command returned, length 0");
	}
	a = cvq_cmd(rx_promisc, 2, &on, 1, VRING_DESC_F_WRITE);
	CHECK(a == VIRTIO_NET_OK, "cvq: still serves a good command (%d)", a);
}

/* --- status writes out of order, rings outside the map -------------------- */

static void try_status(uint8_t st)
{
	/* vhost-vdpa refuses some transitions itself; either way is fine */
	(void)ioctl(fd, VHOST_VDPA_SET_STATUS, &st);
}

static void phase_status(void)
{
	const uint8_t basic = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	struct vhost_vring_addr addr;
	uint8_t st;

	/* DRIVER_OK straight after a reset: no features, no rings */
	try_status(0);
	try_status(VIRTIO_CONFIG_S_DRIVER_OK);
	/* every bit, FAILED and NEEDS_RESET included */
	try_status(0);
	try_status(0xff);
	try_status(0);
	bring_up();
	CHECK(tx_good("out-of-order status writes"), "status: DRIVER_OK alone, then 0xff, then a reset: the device serves again");

	/* a TX ring placed outside the IOTLB map: DRIVER_OK must be refused
	 * (the device cannot start the queue), not crash anything */
	try_status(0);
	try_status(basic);
	if (ioctl(fd, VHOST_SET_FEATURES, &features))
		die("VHOST_SET_FEATURES");
	try_status(basic | VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned int i = 0; i < nvq; i++)
		vq_setup(&vqs[i], i);
	memset(&addr, 0, sizeof(addr));
	addr.index = 1;
	addr.desc_user_addr = IOVA_HOLE;
	addr.avail_user_addr = vqs[1].avail_iova;
	addr.used_user_addr = vqs[1].used_iova;
	if (ioctl(fd, VHOST_SET_VRING_ADDR, &addr))
		die("VHOST_SET_VRING_ADDR");
	try_status(basic | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	st = get_status();
	CHECK(!(st & VIRTIO_CONFIG_S_DRIVER_OK), "status: descriptor table outside the map: DRIVER_OK refused (status 0x%x)", st);
	bring_up();
	CHECK(tx_good("a ring outside the map"), "status: after a reset the device serves again");
}

/* --- a corrupt avail index: the queue stops until the driver resets ------ */

static void phase_broken(void)
{
	struct vq *q = &vqs[1];
	uint32_t id, len;
	uint16_t before;

	CHECK(tx_good("nothing"), "broken: a good frame before");
	/* a good chain is there, but the index claims 300 more than the ring
	 * holds */
	make_frame(buf(200), good_tx);
	put_desc(q, 200, iova_of(buf(200)), 60 + sizeof(struct virtio_net_hdr_v1), 0, 0);
	q->avail->ring[q->avail_idx % QSZ] = htole16(200);
	before = q->used_seen;
	q->avail_idx += 300;
	__atomic_store_n(&q->avail->idx, htole16(q->avail_idx), __ATOMIC_RELEASE);
	CHECK(!next_used(q, 3000, &id, &len) && q->used_seen == before,
	      "broken: avail index +300 on a 256-entry ring: nothing consumed in 3 s");
	/* a sane index again does not revive it */
	q->avail_idx -= 299;
	__atomic_store_n(&q->avail->idx, htole16(q->avail_idx), __ATOMIC_RELEASE);
	CHECK(!next_used(q, 2000, &id, &len), "broken: a sane index afterwards is not served either");
	printf("broken: the queue is stopped; resetting the device\n");
	fflush(stdout);
	bring_up();
	CHECK(tx_good("the reset"), "broken: after the driver reset a good frame flows again");
}

int main(int argc, char **argv)
{
	bool all = argc < 3;
	int nphases = 5;

	if (argc < 2) {
		fprintf(stderr, "usage: %s /dev/vhost-vdpa-N [tx|rx|cvq|broken...]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	open_dev(argv[1]);
	printf("features 0x%llx, %u queues\n", (unsigned long long)features, nvq);
	for (int i = all ? 0 : 2; i < (all ? nphases : argc); i++) {
		static const char *const phases[] = { "tx", "rx", "cvq", "status", "broken" };
		const char *p = all ? phases[i] : argv[i];

		printf("--- phase %s\n", p);
		if (!strcmp(p, "tx"))
			phase_tx();
		else if (!strcmp(p, "rx"))
			phase_rx();
		else if (!strcmp(p, "cvq") && nvq == 3)
			phase_cvq();
		else if (!strcmp(p, "cvq"))
			printf("cvq: not negotiated (the device offers no CTRL_VQ): phase not run\n");
		else if (!strcmp(p, "status"))
			phase_status();
		else if (!strcmp(p, "broken"))
			phase_broken();
		else
			fprintf(stderr, "unknown phase %s\n", p);
	}
	printf("good-tx-frames %u\n", good_tx);
	printf("bad-chains-sent %u\n", bad_sent);
	printf("%u check(s) failed\n", failures);
	set_status(0);
	close(fd);
	return failures ? 1 : 0;
}
