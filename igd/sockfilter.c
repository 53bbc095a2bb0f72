/*
 * igd/sockfilter.c - BPF filters for the IGD's sockets (see sockfilter.h).
 * Called by the owner of the sockets, once, on the thread that made them.
 */
#include "igd/sockfilter.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>

/*
 * Loads of packet bytes are relative to the network header (SKF_NET_OFF)
 * because a socket filter sees the packet from the transport header on; the
 * interface comes from the ancillary load, which is the device the packet
 * arrived on (lo for the host's own traffic).
 *
 * The program is assembled below with symbolic forward jumps (classic BPF
 * has no backward ones), resolved once every label is placed:
 *
 *	A = ifindex; if A != f->ifindex goto LO
 *	A = version; if 4 goto V4; if 6 goto V6 (only with f->v6); drop
 *	V4: accept if (src & mask_h) == net_h, else drop
 *	V6: accept if each 32-bit word of src, masked by bits6, equals net6's
 *	LO: drop unless the interface is loopback and the source is local_h or
 *	    local6 (the host's own tunnel addresses).
 */
enum label { L_NEXT, L_V4, L_V6, L_LO, L_LO_V4, L_LO_V6, L_ACCEPT, L_DROP, L_COUNT };

enum { PROG_MAX = 64, NET_SRC4 = 12, NET_SRC6 = 8 };

struct prog {
	struct sock_filter code[PROG_MAX];
	uint8_t jt[PROG_MAX], jf[PROG_MAX]; /* labels of the conditional jumps */
	int at[L_COUNT];                    /* where each label was placed, -1 = not yet */
	unsigned n;
};

static void stmt(struct prog *p, uint16_t code, uint32_t k)
{
	p->code[p->n] = (struct sock_filter)BPF_STMT(code, k);
	p->jt[p->n] = p->jf[p->n] = L_NEXT;
	p->n++;
}

static void jeq(struct prog *p, uint32_t k, enum label t, enum label f)
{
	p->code[p->n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0);
	p->jt[p->n] = (uint8_t)t;
	p->jf[p->n] = (uint8_t)f;
	p->n++;
}

static void place(struct prog *p, enum label l)
{
	p->at[l] = (int)p->n;
}

/* Loads the IP version nibble into A. */
static void load_version(struct prog *p)
{
	stmt(p, BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF);
	stmt(p, BPF_ALU | BPF_AND | BPF_K, 0xf0);
}

/* Falls through when the 32-bit word at off, masked, equals want; else goes to L_DROP. */
static void word_eq(struct prog *p, uint32_t off, uint32_t mask, uint32_t want)
{
	if (!mask)
		return;
	stmt(p, BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + off);
	if (mask != 0xffffffffu)
		stmt(p, BPF_ALU | BPF_AND | BPF_K, mask);
	jeq(p, want & mask, L_NEXT, L_DROP);
}

/* Falls through when the IPv6 source's first bits bits equal a's; else L_DROP. */
static void src6_in(struct prog *p, const struct in6_addr *a, unsigned bits)
{
	for (unsigned w = 0; w < 4; w++) {
		const uint8_t *b = a->s6_addr + w * 4;
		unsigned from = w * 32, take = bits <= from ? 0 : bits - from >= 32 ? 32 : bits - from;
		uint32_t mask = take ? 0xffffffffu << (32 - take) : 0;
		uint32_t word = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];

		word_eq(p, NET_SRC6 + w * 4, mask, word);
	}
}

/* Resolves the labels into relative offsets; -EINVAL if one is out of reach. */
static int link_prog(struct prog *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		enum label l[2] = { (enum label)p->jt[i], (enum label)p->jf[i] };
		unsigned off[2];

		if (BPF_CLASS(p->code[i].code) != BPF_JMP)
			continue;
		for (int k = 0; k < 2; k++) {
			int to = l[k] == L_NEXT ? (int)i + 1 : p->at[l[k]];

			if (to <= (int)i || to - (int)i - 1 > 255)
				return -EINVAL;
			off[k] = (unsigned)(to - (int)i - 1);
		}
		p->code[i].jt = (uint8_t)off[0];
		p->code[i].jf = (uint8_t)off[1];
	}
	return 0;
}

/* Unconditionally to l (classic BPF's "ja" is the same, but the linker knows jeq). */
static void jump(struct prog *p, enum label l)
{
	jeq(p, 0, l, l);
}

static void build(struct prog *p, const struct uwg_igd_sockfilter *f)
{
	bool lo4 = f->local_h != 0, lo6 = f->v6 && !IN6_IS_ADDR_UNSPECIFIED(&f->local6);

	memset(p, 0, sizeof(*p));
	for (int l = 0; l < L_COUNT; l++)
		p->at[l] = -1;
	stmt(p, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX));
	jeq(p, (uint32_t)f->ifindex, L_NEXT, L_LO);
	load_version(p);
	jeq(p, 0x40, L_V4, f->v6 ? L_NEXT : L_DROP);
	if (f->v6)
		jeq(p, 0x60, L_V6, L_DROP);
	place(p, L_V4);
	word_eq(p, NET_SRC4, f->mask_h, f->net_h);
	jump(p, L_ACCEPT);
	if (f->v6) {
		place(p, L_V6);
		src6_in(p, &f->net6, f->bits6);
		jump(p, L_ACCEPT);
	}
	place(p, L_LO);
	if (!lo4 && !lo6) {
		jump(p, L_DROP);
	} else {
		/* A still holds the ifindex: loopback is 1 in every namespace */
		jeq(p, 1, L_NEXT, L_DROP);
		load_version(p);
		jeq(p, 0x40, lo4 ? L_LO_V4 : L_DROP, lo6 ? L_NEXT : L_DROP);
		if (lo6)
			jeq(p, 0x60, L_LO_V6, L_DROP);
		if (lo4) {
			place(p, L_LO_V4);
			word_eq(p, NET_SRC4, 0xffffffffu, f->local_h);
			jump(p, L_ACCEPT);
		}
		if (lo6) {
			place(p, L_LO_V6);
			src6_in(p, &f->local6, 128);
			jump(p, L_ACCEPT);
		}
	}
	place(p, L_ACCEPT);
	stmt(p, BPF_RET | BPF_K, 0xffffffffu);
	place(p, L_DROP);
	stmt(p, BPF_RET | BPF_K, 0);
}

int uwg_igd_sockfilter_attach(int fd, const struct uwg_igd_sockfilter *f)
{
	struct prog p;
	struct sock_fprog prog;

	build(&p, f);
	if (link_prog(&p))
		return -EINVAL;
	prog.len = (unsigned short)p.n;
	prog.filter = p.code;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		return -errno;
	return 0;
}

static int attach_drop_all(int fd)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { 1, code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		return -errno;
	return 0;
}

enum kind { OTHER, SSDP, LISTENER };

static enum kind kind_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss), olen;
	int type = 0, listening = 0;
	uint16_t port;

	olen = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen))
		return OTHER; /* not a socket, or not open */
	if (type == SOCK_STREAM) {
		olen = sizeof(listening);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen))
			return OTHER;
		return listening ? LISTENER : OTHER;
	}
	memset(&ss, 0, sizeof(ss));
	if (type != SOCK_DGRAM || getsockname(fd, (struct sockaddr *)&ss, &len))
		return OTHER;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, &ss, sizeof(sin));
		port = ntohs(sin.sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, &ss, sizeof(sin6));
		port = ntohs(sin6.sin6_port);
	} else {
		return OTHER;
	}
	return port == UWG_IGD_SSDP_PORT ? SSDP : OTHER;
}

int uwg_igd_sockfilter_pupnp(const struct uwg_igd_sockfilter *f)
{
	int n = 0;

	/* pupnp multiplexes with select(), so all of its sockets are below FD_SETSIZE */
	for (int fd = 0; fd < FD_SETSIZE; fd++) {
		enum kind k = kind_of(fd);
		int err;

		if (k == OTHER)
			continue;
		err = k == SSDP ? uwg_igd_sockfilter_attach(fd, f) : attach_drop_all(fd);
		if (err)
			return err;
		n++;
	}
	return n;
}
