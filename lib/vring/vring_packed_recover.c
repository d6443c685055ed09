/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where a packed ring resumes after the device process died: its journal
 * word (kept as used entries are written and at flush, see
 * vdn_vring_packed_recover) against the descriptor ring as the driver sees
 * it.  Completions are written into the ring at flush (or stage-out), one
 * entry after the other, each after its journal word; ones pushed but not
 * yet written leave no trace, and their chains are simply done again.
 *
 * The word says: entries are staged from p0 (published position) to p1,
 * the last one written at pk.  What the ring can still say:
 * - whether the batch was published: the slot at p0 has USED equal to the
 *   lap's wrap counter once its entry's flags are stored, and keeps it if
 *   the driver has taken the entry and made the slot available again for
 *   the next lap (AVAIL flips, USED does not); an unpublished p0 still has
 *   the driver's flags, USED != wrap;
 * - whether the last entry was written, when it is not the first of the
 *   batch (those are written whole, flags included, in one store).
 * The first entry of a batch gets its id and length when it is written and
 * its flags only at the end of the flush, so a batch of one unpublished
 * entry may be half written: its chain is processed again (its length
 * field may have been overwritten; for TX that is a frame already sent,
 * for RX a buffer that looks shorter than it is: both harmless).
 */
#include <errno.h>

#include "vring_packed_private.h"

struct seq {
	uint16_t pos;
	bool wrap;
};

static struct seq seq_of(uint16_t s)
{
	return (struct seq){ .pos = s & 0x7fff, .wrap = s >> 15 };
}

static bool same(struct seq a, struct seq b)
{
	return a.pos == b.pos && a.wrap == b.wrap;
}

int vdn_vring_packed_recover(const struct vdn_vring_cfg *cfg, uint64_t word,
			     struct vdn_vq_state *st)
{
	if (!cfg || !st || !cfg->packed || !cfg->xlate || !cfg->num ||
	    cfg->num > VDN_VRING_PACKED_MAX_NUM || cfg->desc_iova % 16)
		return -EINVAL;
	if (word >> 56 != PK_JOURNAL_TAG)
		return -ENODATA;
	struct seq p0 = seq_of(word), pk = seq_of(word >> 16), p1 = seq_of(word >> 32), u;

	if (p0.pos >= cfg->num || pk.pos >= cfg->num || p1.pos >= cfg->num)
		return -EINVAL;
	struct vring_packed_desc *ring =
		vdn_vring_map_area(cfg, cfg->desc_iova, sizeof(*ring) * cfg->num,
				   VDN_ACCESS_READ | VDN_ACCESS_WRITE, 8);
	if (!ring)
		return -EFAULT;

	if (same(p0, p1)) {
		u = p0;
	} else if (!!(le16_load(&ring[p0.pos].flags, __ATOMIC_ACQUIRE) & PK_USED) == p0.wrap) {
		/* flushed: the process died before it noted so */
		u = p1;
	} else if (same(pk, p0)) {
		/* a lone first entry, maybe half written: redo its chain */
		u = p0;
	} else {
		uint16_t f = le16_load(&ring[pk.pos].flags, __ATOMIC_ACQUIRE);
		bool written = !!(f & PK_AVAIL) == pk.wrap && !!(f & PK_USED) == pk.wrap;

		u = written ? p1 : pk;
		/* what flush would have stored: the entries after it are in
		 * place (program order), so publishing them all is safe */
		uint32_t len = le32toh(__atomic_load_n(&ring[p0.pos].len, __ATOMIC_RELAXED));
		uint16_t flags = (uint16_t)((p0.wrap ? PK_AVAIL | PK_USED : 0) |
					    (len ? VRING_DESC_F_WRITE : 0));

		le16_store(&ring[p0.pos].flags, flags, __ATOMIC_RELEASE);
	}
	st->last_avail_idx = u.pos;
	st->avail_wrap = u.wrap;
	st->last_used_idx = u.pos;
	st->used_wrap = u.wrap;
	return 0;
}
