/*
 * cli/daemon/tunio.c - packets in and out of the TUN fd (see cli/daemon/tunio.h).
 *
 * A read lands in a pool packet up to its first page and the rest of a
 * super-packet in the scratch buffer, so ordinary packets need no copy and
 * 64 KiB reads never touch pool pages. Writes with GRO are collected until
 * the caller flushes (the end of one wakeup) or one group's worth: the
 * receiving application gets at most that many packets at once, then reads
 * on while the next ones are decrypted (a default 208 KiB socket buffer
 * holds only ~90 datagrams). Loop thread only.
 */
#include "cli/daemon/tunio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/daemon/log.h"
#include "core/ip/offload.h"

enum {
	TUN_MAX_PACKET = 65535,
	TUN_DIRECT = 4096 - UWG_PKT_HEADROOM,
	/* A TSO super-packet is at most 64 KiB (the TUN's gso_max_size), one more than an IP length. */
	TUN_MAX_READ = 65536,
	TUN_SCRATCH = UWG_VNET_HDR_LEN + TUN_MAX_READ + 64,
	/* virtio header, head packet, up to UWG_GRO_MAX_SEGS - 1 payloads */
	TUN_WRITE_IOV = UWG_GRO_MAX_SEGS + 1,
	/* Decrypted packets collected before a grouped write (one full GRO group) */
	TUN_OUT_FLUSH = UWG_GRO_MAX_SEGS,
};

/* Decrypted packets waiting for one grouped TUN write (see core/ip/offload.h). */
struct uwg_tunio_out {
	struct uwg_gro gro;
	struct uwg_pkt *pkts[UWG_GRO_MAX_PKTS];
	struct iovec iov[TUN_WRITE_IOV];
	unsigned n;
};

int uwg_tunio_init(struct uwg_tunio *t, struct uwg_pool *pool, struct uwg_tun *tun)
{
	memset(t, 0, sizeof(*t));
	t->pool = pool;
	t->tun = tun;
	t->lim.burst = 5;
	t->lim.interval_ns = 10ull * 1000000000u;
	t->scratch = malloc(TUN_SCRATCH);
	return t->scratch ? 0 : -ENOMEM;
}

static void out_drop(struct uwg_tunio *t)
{
	for (unsigned i = 0; i < t->out->n; i++)
		uwg_pool_put(t->pool, t->out->pkts[i]);
	t->out->n = 0;
}

void uwg_tunio_destroy(struct uwg_tunio *t)
{
	for (unsigned i = 0; i < t->nin; i++)
		uwg_pool_put(t->pool, t->in[i]);
	t->nin = 0;
	if (t->out) {
		out_drop(t);
		free(t->out);
		t->out = NULL;
	}
	free(t->scratch);
	t->scratch = NULL;
}

void uwg_tunio_setup_offload(struct uwg_tunio *t, bool off)
{
	unsigned want = UWG_TUN_F_CSUM | UWG_TUN_F_TSO4 | UWG_TUN_F_TSO6 | UWG_TUN_F_USO4 |
			UWG_TUN_F_USO6;
	int ret;

	if (!t->tun->vnet_hdr)
		return;
	if (off) {
		uwg_log_info("TUN and UDP offloads off (UWG_NO_OFFLOAD)");
		return;
	}
	ret = uwg_tun_set_offload(t->tun, want);
	if (ret < 0) {
		uwg_log_info("TUN offloads refused (%s); plain packets", strerror(-ret));
		return;
	}
	t->out = calloc(1, sizeof(*t->out));
	if (t->out) {
		t->gro_tcp = t->tun->offload & (UWG_TUN_F_TSO4 | UWG_TUN_F_TSO6);
		t->gro_udp = t->gro_tcp && (t->tun->offload & (UWG_TUN_F_USO4 | UWG_TUN_F_USO6));
	}
	uwg_log_debug("TUN offloads 0x%x (GRO tcp %d udp %d)", t->tun->offload, t->gro_tcp,
		      t->gro_udp);
}

/* ---- reading ---- */

static void in_flush(struct uwg_tunio *t)
{
	unsigned n = t->nin;

	t->nin = 0;
	if (n)
		t->input(t->ctx, t->in, n);
}

static void deliver(struct uwg_tunio *t, struct uwg_pkt *p)
{
	t->in[t->nin++] = p;
	if (t->nin == UWG_TUNIO_IN_BATCH)
		in_flush(t);
}

/*
 * A packet with a virtio header, n bytes in all: the first TUN_DIRECT bytes
 * after the header are in p, any rest in the scratch buffer after the same
 * offset. Splits a super-packet into p and further pool packets.
 */
static void input_vnet(struct uwg_tunio *t, struct uwg_pkt *p, size_t n)
{
	uint8_t *whole = t->scratch + UWG_VNET_HDR_LEN;
	size_t len = n - UWG_VNET_HDR_LEN;
	struct uwg_gso_split s;
	struct uwg_vnet_hdr h;
	uint32_t count;

	uwg_vnet_hdr_decode(&h, t->scratch);
	if (h.gso_type == UWG_VNET_GSO_NONE && len <= TUN_DIRECT) {
		/* The common case: one packet, already in place. */
		if (uwg_offload_csum_finish(&h, uwg_pkt_data(p), len) < 0)
			goto bad;
		p->len = (uint32_t)len;
		deliver(t, p);
		return;
	}
	/* Make the packet contiguous in the scratch buffer; segments go to pool packets. */
	memcpy(whole, uwg_pkt_data(p), len < TUN_DIRECT ? len : TUN_DIRECT);
	if (uwg_gso_split_init(&s, &h, whole, len) < 0 ||
	    uwg_gso_split_max_segment(&s) > TUN_MAX_PACKET)
		goto bad;
	count = uwg_gso_split_count(&s);
	if (count > 1)
		t->stats.gso_reads++;
	if (t->pool->avail + 1 < count) {
		t->stats.pool_empty++;
		uwg_pool_put(t->pool, p);
		return;
	}
	for (uint32_t i = 0; i < count; i++) {
		size_t m;

		if (i > 0)
			p = uwg_pool_get(t->pool);
		m = uwg_gso_split_next(&s, uwg_pkt_data(p), TUN_MAX_PACKET);
		if (!m) {
			uwg_pool_put(t->pool, p);
			break;
		}
		p->len = (uint32_t)m;
		deliver(t, p);
	}
	return;
bad:
	t->stats.bad_offload++;
	uwg_pool_put(t->pool, p);
}

/* Reads one packet into p (consumed): 1 read, 0 nothing more now, or -errno. */
static int read_one(struct uwg_tunio *t, struct uwg_pkt *p)
{
	struct iovec iov[3];
	ssize_t n;

	if (t->tun->vnet_hdr) {
		iov[0] = (struct iovec){ t->scratch, UWG_VNET_HDR_LEN };
		iov[1] = (struct iovec){ uwg_pkt_data(p), TUN_DIRECT };
		iov[2] = (struct iovec){ t->scratch + UWG_VNET_HDR_LEN + TUN_DIRECT,
					 TUN_SCRATCH - UWG_VNET_HDR_LEN - TUN_DIRECT };
		n = uwg_tun_readv(t->tun, iov, 3);
	} else {
		n = uwg_tun_read(t->tun, uwg_pkt_data(p), TUN_MAX_PACKET);
	}
	if (n < 0) {
		uwg_pool_put(t->pool, p);
		if (n == -EINTR)
			return 1;
		if (n == -EAGAIN || n == -EBADFD)
			return n == -EAGAIN ? 0 : -EBADFD;
		t->stats.read_errors++;
		uwg_log_limited(&t->lim, uwg_log_clock(), UWG_LOG_ERROR, "TUN read failed: %s",
				strerror((int)-n));
		return (int)n;
	}
	if (!t->tun->vnet_hdr) {
		p->len = (uint32_t)n;
		deliver(t, p);
	} else if (n < UWG_VNET_HDR_LEN) {
		t->stats.bad_offload++;
		uwg_pool_put(t->pool, p);
	} else {
		input_vnet(t, p, (size_t)n);
	}
	return 1;
}

int uwg_tunio_read(struct uwg_tunio *t, unsigned budget)
{
	int ret = 0;
	unsigned i;

	for (i = 0; i < budget; i++) {
		struct uwg_pkt *p = uwg_pool_get(t->pool);

		if (!p) {
			/* Back-pressure: drop one so the level-triggered poll does not spin. */
			if (uwg_tun_read(t->tun, t->scratch, TUN_SCRATCH) >= 0)
				t->stats.pool_empty++;
			break;
		}
		ret = read_one(t, p);
		if (ret <= 0)
			break;
	}
	in_flush(t);
	return ret < 0 ? ret : (int)i;
}

/* ---- writing ---- */

/* Counts the outcome of one write that carried pkts packets. */
static void write_result(struct uwg_tunio *t, ssize_t n, unsigned pkts)
{
	if (n == -EAGAIN || n == -ENOBUFS) {
		t->stats.write_dropped += pkts;
	} else if (n == -EBADFD) {
		t->gone = true;
	} else if (n < 0) {
		t->stats.write_errors += pkts;
		uwg_log_limited(&t->lim, uwg_log_clock(), UWG_LOG_DEBUG, "TUN write failed: %s",
				strerror((int)-n));
	}
}

void uwg_tunio_flush(struct uwg_tunio *t)
{
	struct uwg_tunio_out *o = t->out;
	struct uwg_gro *g;

	if (!o || !o->n)
		return;
	g = &o->gro;
	uwg_gro_init(g, t->gro_udp);
	for (unsigned i = 0; i < o->n; i++)
		uwg_gro_add(g, uwg_pkt_data(o->pkts[i]), o->pkts[i]->len);
	uwg_gro_finish(g);
	for (uint16_t k = 0; k < g->ngroups; k++) {
		struct uwg_gro_group *grp = &g->groups[k];
		int niov = 0;
		ssize_t n;

		o->iov[niov++] = (struct iovec){ grp->vnet, UWG_VNET_HDR_LEN };
		for (uint16_t i = grp->first; i != UWG_GRO_NONE; i = g->next[i]) {
			size_t skip = i == grp->first ? 0 : g->skip[i];

			o->iov[niov++] = (struct iovec){ g->data[i] + skip, g->len[i] - skip };
		}
		n = uwg_tun_writev(t->tun, o->iov, niov);
		if (n == -EINVAL && grp->count > 1) {
			/* The kernel does not take our super-packets: write singly from now on. */
			t->stats.gro_refused++;
			if (t->gro_tcp || t->gro_udp)
				uwg_log_info("TUN refused a coalesced write; TUN GRO disabled");
			t->gro_tcp = t->gro_udp = false;
		}
		write_result(t, n, grp->count);
		if (grp->count > 1 && n >= 0)
			t->stats.gro_writes++;
	}
	out_drop(t);
}

void uwg_tunio_write(struct uwg_tunio *t, struct uwg_pkt *pkt)
{
	ssize_t n;

	if (t->gro_tcp) { /* implies t->out */
		t->out->pkts[t->out->n++] = pkt;
		if (t->out->n >= TUN_OUT_FLUSH)
			uwg_tunio_flush(t);
		return;
	}
	if (t->tun->vnet_hdr) {
		uint8_t vnet[UWG_VNET_HDR_LEN] = { 0 };
		struct iovec iov[2] = { { vnet, sizeof(vnet) }, { uwg_pkt_data(pkt), pkt->len } };

		n = uwg_tun_writev(t->tun, iov, 2);
	} else {
		n = uwg_tun_write(t->tun, uwg_pkt_data(pkt), pkt->len);
	}
	write_result(t, n, 1);
	uwg_pool_put(t->pool, pkt);
}
